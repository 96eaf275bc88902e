"""scripts/supervise.py, the `make run` supervisor (issue 13: workers died silently, Ctrl-C left processes and
ended with "make: Error 143"): it restarts what dies with a back-off, replaces a worker whose heartbeat stops,
and on Ctrl-C stops every process, grandchildren included, and exits 0. Driven with small stand-in processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SLEEPER = f"{sys.executable} -c 'import time; time.sleep(600)'"
# A stand-in for a prefork worker: a parent with a child, both in the process group.
FORKER = f"{sys.executable} -c 'import os, time; os.fork(); time.sleep(600)'"
STUBBORN = f"{sys.executable} -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'"


class Supervised:
    def __init__(self, tmp_path: Path, procfile: str, **env: str) -> None:
        (tmp_path / "Procfile").write_text(procfile)
        self.data = tmp_path / "data"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "scripts" / "supervise.py"), str(tmp_path / "Procfile")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NETWEAVE_DATA_DIR": str(self.data), **env},
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self.lines.append(raw.decode().rstrip())

    def wait_line(self, pattern: str, timeout: float = 30.0, after: int = 0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines[after:]:
                found = re.search(pattern, line)
                if found:
                    return found
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def pid(self, name: str, after: int = 0) -> int:
        return int(self.wait_line(rf"{name} started \(pid (\d+)\)", after=after).group(1))

    def group_members(self, pid: int) -> list[int]:
        """Processes still alive in the process group led by `pid`."""
        members = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[2]) == pid and fields[0] != "Z":
                    members.append(int(entry.name))
        return members

    def interrupt(self) -> int:
        """Ctrl-C: SIGINT to the supervisor's whole process group, as a terminal sends it."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(60)


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[Callable[..., Supervised]]:
    started: list[Supervised] = []

    def start(procfile: str, **env: str) -> Supervised:
        started.append(Supervised(tmp_path, procfile, **env))
        return started[-1]

    yield start
    for item in started:
        if item.process.poll() is None:
            os.killpg(item.process.pid, signal.SIGKILL)
            item.process.wait(10)


def test_a_killed_process_is_restarted_and_a_crashing_one_backs_off(supervised: Callable[..., Supervised]) -> None:
    run = supervised(f"worker: {FORKER}\nbeat: {SLEEPER}\ncrash: {sys.executable} -c 'raise SystemExit(3)'\n")
    worker = run.pid("worker")
    time.sleep(0.5)
    children = run.group_members(worker)
    assert len(children) == 2  # the worker and its "prefork" child
    os.kill(worker, signal.SIGKILL)
    mark = len(run.lines)
    run.wait_line(r"worker exited \(-9\); restarting in 1 s", after=mark)
    assert run.pid("worker", after=mark) != worker
    assert not run.group_members(worker)  # the old worker's orphaned child was killed with its group
    run.wait_line(r"crash exited \(3\); restarting in 1 s")
    run.wait_line(r"crash exited \(3\); restarting in 2 s")
    run.wait_line(r"crash exited \(3\); restarting in 4 s", timeout=40)
    assert run.interrupt() == 0


def test_ctrl_c_stops_every_process_and_exits_0(supervised: Callable[..., Supervised]) -> None:
    run = supervised(f"web: {SLEEPER}\nworker: {FORKER}\nstubborn: {STUBBORN}\n", NETWEAVE_STOP_TIMEOUT="2")
    leaders = [run.pid(name) for name in ("web", "worker", "stubborn")]
    time.sleep(0.5)
    assert run.interrupt() == 0
    assert all(not run.group_members(leader) for leader in leaders)
    assert any("stubborn did not stop in 2 s; killing it" in line for line in run.lines)


def test_a_worker_without_heartbeat_is_replaced(supervised: Callable[..., Supervised]) -> None:
    """A worker whose pool hangs stops running the heartbeat task: after the window it is killed and restarted."""
    run = supervised(f"worker: {SLEEPER}\nbeat: {SLEEPER}\n", NETWEAVE_HEARTBEAT_WINDOW="2")
    worker = run.pid("worker")
    run.wait_line(r"worker: no heartbeat for 2 s", timeout=20)
    assert run.pid("worker", after=run.lines.index(next(x for x in run.lines if "no heartbeat" in x))) != worker
    assert run.interrupt() == 0


def test_a_worker_with_a_fresh_heartbeat_is_left_alone(supervised: Callable[..., Supervised], tmp_path: Path) -> None:
    beat = tmp_path / "data" / "heartbeat" / "worker"
    beat.parent.mkdir(parents=True)
    toucher = (
        f"{sys.executable} -c 'import pathlib, time\nwhile True: pathlib.Path(\"{beat}\").touch(); time.sleep(0.5)'"
    )
    run = supervised(f"worker: {toucher}\nbeat: {SLEEPER}\n", NETWEAVE_HEARTBEAT_WINDOW="2")
    run.pid("worker")
    time.sleep(5)
    assert not any("no heartbeat" in line for line in run.lines)
    assert run.interrupt() == 0
