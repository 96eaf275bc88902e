"""The `make run` process supervisor: runs each Procfile process, restarts what dies, stops everything on Ctrl-C.

honcho (which `make run` used before) stops everything when one process exits and leaves a killed worker's
children and an orphaned beat behind. This supervisor instead:

- starts each Procfile line (`name: command`) in its own process group, its output prefixed with its name;
- restarts a process that exits, after a back-off that doubles from 1 s up to 30 s and resets once a process
  has stayed up for a minute; a restart first kills whatever the old process group left (prefork children);
- restarts the Celery worker (process `worker`) when its heartbeat file (`<data>/heartbeat/worker`, touched by
  the `netweave.heartbeat` task that beat queues) is older than NETWEAVE_HEARTBEAT_WINDOW seconds while worker
  and beat have both been up that long: a worker whose pool hangs is replaced, not left to rot;
- on SIGINT (Ctrl-C) or SIGTERM sends SIGTERM to every process group, waits up to NETWEAVE_STOP_TIMEOUT seconds
  (20), kills what is left and exits 0.

Standard library only: it runs before anything else is imported. Usage: supervise.py [Procfile].
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BACKOFF_START = 1.0
BACKOFF_CAP = 30.0
STABLE_AFTER = 60.0
WATCHED = "worker"
NEEDS = "beat"  # the worker's heartbeat task is queued by beat


def log(name: str, line: str) -> None:
    sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<8}| {line}\n")
    sys.stdout.flush()


@dataclass
class Child:
    name: str
    command: str
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    restarts: int = field(default=0)

    def start(self) -> None:
        self.kill_group()
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {self.command}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started = time.monotonic()
        log("system", f"{self.name} started (pid {self.process.pid})")
        threading.Thread(target=self._copy, args=(self.process,), daemon=True).start()

    def _copy(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            log(self.name, raw.decode(errors="replace").rstrip())

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def kill_group(self) -> None:
        """Kill what is left of the previous run's process group (a killed worker's prefork children)."""
        if self.process is not None:
            self.signal_group(signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)


def read_procfile(path: Path) -> list[Child]:
    children = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and ":" in line:
            name, command = line.split(":", 1)
            children.append(Child(name.strip(), command.strip()))
    return children


class Supervisor:
    def __init__(self, children: list[Child], heartbeat_file: Path, window: float) -> None:
        self.children = {child.name: child for child in children}
        self.heartbeat_file = heartbeat_file
        self.window = window
        self.stopping = threading.Event()

    def request_stop(self, signum: int, _frame: object) -> None:
        if not self.stopping.is_set():
            log("system", f"{signal.Signals(signum).name} received, stopping")
        self.stopping.set()

    def schedule_restart(self, child: Child, now: float) -> None:
        assert child.process is not None
        code = child.process.returncode
        child.failures = 1 if now - child.started >= STABLE_AFTER else child.failures + 1
        delay = min(BACKOFF_CAP, BACKOFF_START * 2 ** (child.failures - 1))
        child.restart_at = now + delay
        child.restarts += 1
        log("system", f"{child.name} exited ({code}); restarting in {delay:.0f} s")

    def heartbeat_stale(self, now: float) -> bool:
        worker, beat = self.children.get(WATCHED), self.children.get(NEEDS)
        if worker is None or beat is None or not (worker.running and beat.running):
            return False
        up_since = max(worker.started, beat.started)
        if now - up_since < self.window:
            return False
        try:
            age = time.time() - self.heartbeat_file.stat().st_mtime
        except FileNotFoundError:
            age = float("inf")
        return age > self.window

    def run(self) -> int:
        for child in self.children.values():
            child.start()
        while not self.stopping.wait(0.2):
            now = time.monotonic()
            for child in self.children.values():
                if child.process is not None and child.process.poll() is not None and child.restart_at <= 0:
                    self.schedule_restart(child, now)
                elif child.restart_at > 0 and now >= child.restart_at:
                    child.restart_at = 0
                    child.start()
            if self.heartbeat_stale(now):
                log("system", f"{WATCHED}: no heartbeat for {self.window:.0f} s (hung pool?); killing it")
                self.children[WATCHED].signal_group(signal.SIGKILL)
        return self.stop()

    def stop(self) -> int:
        timeout = float(os.environ.get("NETWEAVE_STOP_TIMEOUT", "20"))
        for child in self.children.values():
            if child.running:
                child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            if child.process is None:
                continue
            try:
                child.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log("system", f"{child.name} did not stop in {timeout:.0f} s; killing it")
            child.signal_group(signal.SIGKILL)  # and whatever its group left behind
            child.kill_group()
        log("system", "stopped")
        return 0


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    procfile = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "Procfile"
    data = Path(os.environ.get("NETWEAVE_DATA_DIR", str(root / "data")))
    window = float(os.environ.get("NETWEAVE_HEARTBEAT_WINDOW", "60"))
    supervisor = Supervisor(read_procfile(procfile), data / "heartbeat" / "worker", window)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
