"""scripts/debian.sh and tests/debian.py: the Debian packages of the test backends are installed one apt at a
time (on a fresh machine several stages reach for theirs at once), a missing package list is refreshed, and a
failure says what apt said. apt-get and dpkg-query are stand-ins on PATH here: nothing is installed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import debian

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "debian.sh"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="scripts/debian.sh installs only as root")

# dpkg-query answers "not installed" for every package; apt-get logs each run, and `install` fails until an
# `update` has run (a fresh machine without package lists), then takes a moment, as a real install does.
FAKE_DPKG_QUERY = "#!/bin/sh\nexit 1\n"
FAKE_APT_GET = """#!/bin/sh
log="$FAKE_APT_DIR/log"
for word in "$@"; do
  case "$word" in
    update) echo "update" >> "$log"; touch "$FAKE_APT_DIR/lists"; exit 0 ;;
    install)
      [ -f "$FAKE_APT_DIR/lists" ] || { echo "E: Unable to locate package" >&2; exit 100; }
      echo "start $$" >> "$log"; sleep 0.3; echo "end $$" >> "$log"; exit 0 ;;
  esac
done
exit 2
"""


@pytest.fixture
def fake_apt(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("apt-get", FAKE_APT_GET), ("dpkg-query", FAKE_DPKG_QUERY)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "FAKE_APT_DIR": str(tmp_path),
        "NETWEAVE_APT_LOCK": str(tmp_path / "apt.lock"),
    }


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60)


def log_of(env: dict[str, str]) -> list[str]:
    return (Path(env["FAKE_APT_DIR"]) / "log").read_text().split("\n")[:-1]


def test_an_installed_package_runs_no_apt(fake_apt: dict[str, str]) -> None:
    done = run({**os.environ, "NETWEAVE_APT_LOCK": fake_apt["NETWEAVE_APT_LOCK"]}, "install", "dpkg")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_missing_package_lists_are_refreshed_once(fake_apt: dict[str, str]) -> None:
    done = run(fake_apt, "install", "redis-server")
    assert done.returncode == 0, done.stderr
    assert "refreshing the package lists" in done.stderr
    assert [line.split()[0] for line in log_of(fake_apt)] == ["update", "start", "end"]


def test_installs_at_once_run_one_after_the_other(fake_apt: dict[str, str]) -> None:
    (Path(fake_apt["FAKE_APT_DIR"]) / "lists").touch()
    runs = [
        subprocess.Popen(["bash", str(SCRIPT), "install", package], env=fake_apt, stderr=subprocess.PIPE)
        for package in ("redis-server", "prometheus", "chromium")
    ]
    assert [process.wait(60) for process in runs] == [0, 0, 0]
    lines = log_of(fake_apt)
    assert [line.split()[0] for line in lines] == ["start", "end"] * 3
    assert all(lines[i].split()[1] == lines[i + 1].split()[1] for i in range(0, 6, 2))


def test_usage(fake_apt: dict[str, str]) -> None:
    assert run(fake_apt, "install").returncode == 2
    assert run(fake_apt, "remove", "x").returncode == 2


def test_program_names_what_apt_said(fake_apt: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PATH", "FAKE_APT_DIR", "NETWEAVE_APT_LOCK"):
        monkeypatch.setenv(name, fake_apt[name])
    # The lists are refreshed but the package still cannot be installed: apt-get's own message reaches the test.
    (Path(fake_apt["FAKE_APT_DIR"]) / "bin" / "apt-get").write_text(
        "#!/bin/sh\necho 'E: Could not get lock /var/lib/dpkg/lock-frontend' >&2\nexit 100\n"
    )
    with pytest.raises(RuntimeError) as failed:
        debian.program("netweave-no-such-program", "netweave-no-such-package")
    assert "netweave-no-such-program is missing" in str(failed.value)
    assert "Could not get lock" in str(failed.value)


def test_program_finds_an_installed_one_without_apt(fake_apt: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(debian, "SCRIPT", Path("/nonexistent/debian.sh"))
    assert debian.program("sh", "dash").endswith("/sh")
