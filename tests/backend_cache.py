"""The test backends that scripts/backends.py builds once into the machine cache, as the harnesses ask for them:
`backends("path", NAME)` installs NAME on first use (its progress goes to the script's stderr) and answers the
path of its main file; `Process` runs one in its own process group, and `stop_group` ends such a group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BACKENDS = Path(__file__).resolve().parent.parent / "scripts" / "backends.py"
BUILD_TIMEOUT = 3600  # the coldest build (Flux's source-controller) takes many minutes on 2 busy cores


class BackendUnavailable(Exception):
    """scripts/backends.py failed or took too long; the message carries its last output."""


def backends(*args: str, timeout: float = BUILD_TIMEOUT) -> str:
    """The last line `scripts/backends.py ARGS` prints."""
    try:
        done = subprocess.run(
            [sys.executable, str(BACKENDS), *args], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BackendUnavailable(f"scripts/backends.py {' '.join(args)} took more than {timeout} s") from exc
    if done.returncode != 0:
        raise BackendUnavailable(
            f"scripts/backends.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}"
        )
    return done.stdout.strip().splitlines()[-1]


def stop_group(process: subprocess.Popen[bytes] | None, grace: float = 10) -> None:
    """SIGTERM the process group `process` leads (started with start_new_session), SIGKILL it after `grace` s."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Process:
    """A backend process in its own process group, its output in `log`."""

    argv: list[str]
    log: Path
    env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_group(process, grace=15)
