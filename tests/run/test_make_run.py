"""`make run` end to end (scripts/run.sh on SQLite with the filesystem broker, issue 13): the supervisor restarts
a worker and a beat killed with -9 and replaces a worker that stops running tasks, readiness reports the worker
and beat heartbeats, and Ctrl-C stops every process with exit 0, leaving nothing in the repository root (broker
files included: they live in the data folder)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.notifications.harness import free_port
from tests.run.test_supervise import REPO

pytestmark = pytest.mark.sqlite_only  # its own SQLite database and processes: once is enough


def test_broker_folders_are_inside_the_data_folder() -> None:
    from django.conf import settings

    if settings.CELERY_BROKER_URL != "filesystem://":
        pytest.skip("a broker server is configured")
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    folders = [options[key] for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")]
    assert all(Path(folder).is_relative_to(settings.DATA_DIR) for folder in folders)


def _ready(base: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{base}/health/ready", timeout=5) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]
    except OSError:
        return None


def _wait(predicate: Any, timeout: float, what: str, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout} s; output:\n{log.read_text()[-6000:]}")


def _pids(log: Path, name: str) -> list[int]:
    return [int(p) for p in re.findall(rf"{name} started \(pid (\d+)\)", log.read_text())]


def _alive_in_groups(groups: set[int]) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) in groups and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


def test_make_run_supervises_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "CELERY_"))}
    env.update(
        NETWEAVE_DATA_DIR=str(tmp_path / "data"),
        NETWEAVE_BIND=f"127.0.0.1:{port}",
        NETWEAVE_HEARTBEAT_INTERVAL="1",
        NETWEAVE_HEARTBEAT_WINDOW="10",
        NETWEAVE_STOP_TIMEOUT="20",
        NETWEAVE_LOG_LEVEL="WARNING",
    )
    root_before = sorted(p.name for p in REPO.iterdir())
    log = tmp_path / "run.log"
    process = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        body = _wait(lambda: (_ready(base) or {}).get("status") == "ok" and _ready(base), 300, "ready", log)
        assert body["background"] == {"worker": "ok", "beat": "ok"}

        # kill -9 of the Celery worker's main process and of beat: both come back.
        for name in ("worker", "beat"):
            first = _pids(log, name)[-1]
            os.kill(first, signal.SIGKILL)
            _wait(lambda name=name, first=first: _pids(log, name)[-1] != first, 30, f"{name} restarted", log)
        # A worker that stops running tasks (its pool hung: here, stopped) is replaced after the window.
        stopped = _pids(log, "worker")[-1]
        os.killpg(stopped, signal.SIGSTOP)
        _wait(lambda: "worker: no heartbeat" in log.read_text(), 60, "hung worker noticed", log)
        _wait(lambda: _pids(log, "worker")[-1] != stopped, 60, "hung worker replaced", log)
        _wait(lambda: (_ready(base) or {}).get("status") == "ok", 90, "ready again", log)
        groups = {pid for name in ("web", "worker", "beat", "watch") for pid in _pids(log, name)}
    finally:
        # Ctrl-C: SIGINT to the foreground process group, as a terminal sends it.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        code = process.wait(90)
    assert code == 0, log.read_text()[-4000:]
    assert not _alive_in_groups(groups)
    assert sorted(p.name for p in REPO.iterdir()) == root_before
    assert (tmp_path / "data" / "broker" / "control").is_dir()
