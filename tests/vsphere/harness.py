"""vcsim, VMware's vCenter simulator (govmomi's `simulator` package, VPX model), for the vSphere plugin's tests and
bench: built once by scripts/backends.py into the machine cache, started on a free loopback port over TLS.

`start_vcsim(cluster=2, host=4, vm=10)` passes sizes as vcsim flags; the process prints its URL and the PEM file of
its certificate, which tests use as the plugin's caBundle. `Vcsim.stop()` / `Vcsim.start()` restart it on the same
port (an outage; the simulator's inventory is rebuilt from the same model, so its ids are the same).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.backend_cache import BackendUnavailable, backends, stop_group

BUILD_TIMEOUT = 1200
START_TIMEOUT = 60
USERNAME = "netweave"
PASSWORD = "vcsim-Pa55word"  # the simulator's own login, nothing real


class VcsimUnavailable(RuntimeError):
    """vcsim could not be built or started; the message carries its last log lines."""


def vcsim_binary() -> str:
    try:
        return backends("path", "vcsim", timeout=BUILD_TIMEOUT)
    except BackendUnavailable as exc:
        raise VcsimUnavailable(str(exc)) from exc


@dataclass
class Vcsim:
    binary: str
    flags: dict[str, int]
    log_path: Path
    port: int = 0
    url: str = ""
    ca_file: str = ""
    username: str = USERNAME
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    starts: int = 0  # how many times it printed its URL: a restart appends to the same log

    def start(self) -> Vcsim:
        args = [self.binary, "-l", f"127.0.0.1:{self.port}", "-username", self.username, "-password", self.password]
        for flag, value in self.flags.items():
            args += [f"-{flag}", str(value)]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            urls = re.findall(r"VCSIM_URL=(\S+)", text)
            certs = re.findall(r"VCSIM_CERT=(\S+)", text)
            if len(certs) > self.starts:
                parts = urlsplit(urls[-1])
                self.port = parts.port or 443
                self.url = f"https://127.0.0.1:{self.port}{parts.path}"
                self.ca_file = certs[-1]
                self.starts = len(certs)
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise VcsimUnavailable(f"vcsim did not start; last lines of {self.log_path}:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_group(process)

    def plugin_config(self, **overrides: object) -> dict[str, object]:
        """The vSphere plugin's config for this simulator (password in clear: for direct plugin objects only)."""
        return {
            "vcenterUrl": self.url,
            "username": self.username,
            "password": self.password,
            "caBundle": self.ca_file,
            "ocloudId": "ocloud-vsphere-test",
            "taskTimeoutSeconds": 60,
            **overrides,
        }


def start_vcsim(**flags: int) -> Vcsim:
    """Build (once per machine) and start a vcsim with the given model sizes (vcsim flags: dc, cluster, host,
    standalone-host, pool, vm, folder)."""
    binary = vcsim_binary()
    log_path = Path(tempfile.mkstemp(prefix="netweave-vcsim-", suffix=".log")[1])
    return Vcsim(binary, dict(flags), log_path).start()
