"""The production stack under faults (`make faults`, issue 13).

The production shape, each part a real process: PostgreSQL (scripts/postgres.sh, a throw-away cluster), Redis
as the Celery broker (Debian's redis-server, persistence off), gunicorn, two Celery workers and beat, and 20
subscriptions whose callbacks are spread over 4 receiver processes (`manage.py netweave_receiver --jsonl`, each
arrival written before it is acknowledged). While inventory changes flow (tests/faults/stack.py write), the
test kills a worker with -9 in the middle of its deliveries (and starts it again, as a supervisor would), stops
Redis and starts it again, restarts PostgreSQL, and takes one receiver (5 subscriptions) down for
NETWEAVE_FAULTS_OUTAGE seconds (120). Then it waits for the outbox to drain and checks, per subscription: no
notification lost, the order of first arrivals is the outbox order; duplicates are counted, not refused
(delivery is at least once). The figures are printed and appended to NETWEAVE_FAULT_REPORT when set
(docs/reliability.md has them).

Sizes (environment): NETWEAVE_FAULTS_CHANGES (10000, the issue's size: 200,000 deliveries, about 4.5 minutes on a
quiet 2-core machine since delivery sends with http.client, see docs/reliability.md), NETWEAVE_FAULTS_RATE
changes/s (50), NETWEAVE_FAULTS_BATCH changes per transaction (10), NETWEAVE_FAULTS_DRAIN seconds to wait for
the drain (600), NETWEAVE_FAULTS_PATIENCE a factor on every bound of the test (1; `make test` runs the stage at
`nice 10` beside the unit stage and sets 3: the bounds say "it finished", never "it was fast").
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.notifications import harness

pytestmark = pytest.mark.faults

REPO = harness.REPO
CHANGES = int(os.environ.get("NETWEAVE_FAULTS_CHANGES", "10000"))
RATE = float(os.environ.get("NETWEAVE_FAULTS_RATE", "50"))
BATCH = int(os.environ.get("NETWEAVE_FAULTS_BATCH", "10"))
OUTAGE = float(os.environ.get("NETWEAVE_FAULTS_OUTAGE", "120"))
PATIENCE = float(os.environ.get("NETWEAVE_FAULTS_PATIENCE", "1"))
DRAIN = float(os.environ.get("NETWEAVE_FAULTS_DRAIN", "600")) * PATIENCE
WORKERS_START = 180 * PATIENCE
RECEIVERS = 4
SUBSCRIPTIONS_PER_RECEIVER = 5


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class ReceiverProcess:
    port: int
    arrivals: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> ReceiverProcess:
        command = [sys.executable, "manage.py", "netweave_receiver", "--port", str(self.port), "--jsonl"]
        handle = self.arrivals.open("ab")
        self.process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=handle, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60 * PATIENCE
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/probe", timeout=2)
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"receiver on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@dataclass
class Stack:
    work: Path
    env: dict[str, str]
    database_url: str
    pg_env: dict[str, str]
    redis: harness.RedisServer
    receivers: list[ReceiverProcess]
    workers: list[harness.CeleryProcess] = field(default_factory=list)
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)
    beat: harness.CeleryProcess | None = None
    base: str = ""

    def run(self, *args: str, timeout: float = 300 * PATIENCE) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "tests.faults.stack", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"stack {args[0]} failed:\n{result.stderr.decode(errors='replace')[-3000:]}"
        return result.stdout.decode()

    def pending(self) -> int:
        with psycopg.connect(self.database_url, connect_timeout=5) as connection:
            row = connection.execute("SELECT count(*) FROM inventory_notification WHERE status = 'pending'").fetchone()
            assert row is not None
            return int(row[0])

    def workers_ready(self) -> int:
        """Workers that said they are ready (connected to the broker, consuming)."""
        return sum(" ready." in process.log.read_text(errors="replace") for process in self.workers)

    def worker(self, name: str) -> harness.CeleryProcess:
        process = harness.CeleryProcess("worker", self.env, self.work / f"{name}.log", name).start()
        self.workers.append(process)
        return process


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    # The cluster's folder must be reachable by the postgres user: not under pytest's private tmp_path.
    pg_port = harness.free_port()
    pg_env = {**os.environ, "NETWEAVE_PG_PORT": str(pg_port), "NETWEAVE_PG_DIR": f"/tmp/netweave-faults-pg-{pg_port}"}
    started = subprocess.run(
        ["bash", "scripts/postgres.sh", "start"],
        cwd=REPO,
        env=pg_env,
        capture_output=True,
        check=False,
        timeout=300 * PATIENCE,
    )
    assert started.returncode == 0, started.stderr.decode()
    database_url = started.stdout.decode().strip()
    # Each part is stopped, last started first, even when a later one fails to start (Redis missing, say).
    with contextlib.ExitStack() as started_parts:
        started_parts.callback(shutil.rmtree, pg_env["NETWEAVE_PG_DIR"], ignore_errors=True)
        started_parts.callback(
            subprocess.run, ["bash", "scripts/postgres.sh", "stop"], cwd=REPO, env=pg_env, check=False, timeout=120
        )
        redis = harness.RedisServer(tmp_path).start()
        started_parts.callback(redis.stop)
        env = harness.process_env(
            database_url,
            redis.url,
            tmp_path / "data",
            NETWEAVE_LOG_LEVEL="WARNING",
            NETWEAVE_NOTIFICATION_TIMEOUT="5",
            NETWEAVE_HEARTBEAT_INTERVAL="2",
            NETWEAVE_HEARTBEAT_WINDOW="20",
            DJANGO_DEBUG="false",
        )
        receivers = [
            ReceiverProcess(harness.free_port(), tmp_path / f"arrivals-{n}.jsonl", env) for n in range(RECEIVERS)
        ]
        running = Stack(tmp_path, env, database_url, pg_env, redis, receivers)
        started_parts.callback(stop_stack, running)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=REPO,
            env=env,
            check=True,
            timeout=600 * PATIENCE,
        )
        for receiver in receivers:
            receiver.start()
        yield running


def stop_stack(running: Stack) -> None:
    """The workers, beat and other processes the test started, then the receivers."""
    harness.stop_all([*running.workers, *([running.beat] if running.beat else [])])
    for other in running.others:
        other.terminate()
        other.wait(15)
    for receiver in running.receivers:
        receiver.stop()


def ready_sampler(base: str, stop: threading.Event, samples: Counter[str]) -> None:
    """Readiness of the web tier during the run: what a load balancer would have seen."""
    while not stop.wait(1.0):
        try:
            with urllib.request.urlopen(f"{base}/health/ready", timeout=5) as response:
                samples[json.loads(response.read())["status"]] += 1
        except OSError as exc:
            samples[f"error {getattr(exc, 'code', type(exc).__name__)}"] += 1


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a process's log: kept in the failure message, since pytest's temporary folder is not."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def arrivals(receivers: list[ReceiverProcess]) -> dict[str, list[str]]:
    """Per callback URL: notificationIds in arrival order."""
    got: dict[str, list[str]] = {}
    for receiver in receivers:
        for line in receiver.arrivals.read_text().splitlines():
            if line.startswith("{"):
                item = json.loads(line)
                got.setdefault(f"http://127.0.0.1:{receiver.port}{item['path']}", []).append(item["notificationId"])
    return got


def test_production_stack_survives_faults(stack: Stack) -> None:
    began = time.monotonic()
    callbacks = [f"http://127.0.0.1:{r.port}/s{n}" for r in stack.receivers for n in range(SUBSCRIPTIONS_PER_RECEIVER)]
    stack.run("subscribe", *callbacks)
    port = harness.free_port()
    stack.base = f"http://127.0.0.1:{port}"
    gunicorn = [sys.executable, "-m", "gunicorn", "netweave.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    stack.others.append(
        subprocess.Popen(gunicorn, cwd=REPO, env=stack.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    )
    stack.beat = harness.CeleryProcess("beat", stack.env, stack.work / "beat.log").start()
    w1, _ = stack.worker("w1"), stack.worker("w2")
    deadline = time.monotonic() + WORKERS_START
    while stack.workers_ready() < 2:
        if time.monotonic() > deadline:
            logs = "\n".join(f"{process.log.name}:\n{tail(process.log)}" for process in stack.workers)
            raise AssertionError(f"the two workers did not start within {WORKERS_START:.0f} s\n{logs}")
        time.sleep(1)
    log("stack up: 2 workers ready")
    samples: Counter[str] = Counter()
    stop_sampling = threading.Event()
    threading.Thread(target=ready_sampler, args=(stack.base, stop_sampling, samples), daemon=True).start()

    writer_log = stack.work / "writer.log"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.stack", "write", str(CHANGES), str(RATE), str(BATCH)],
        cwd=REPO,
        env=stack.env,
        stdout=writer_log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    stack.others.append(writer)
    t0 = time.monotonic()
    faults: list[str] = []

    def at(seconds: float) -> None:
        time.sleep(max(0.0, t0 + seconds - time.monotonic()))

    at(15)
    log("kill -9 worker w1 (mid-delivery), restarted 5 s later")
    w1.kill()
    stack.workers.remove(w1)
    time.sleep(5)
    stack.worker("w1b")
    faults.append("worker killed with -9 mid-delivery, restarted after 5 s")
    at(30)
    log("Redis stopped for 5 s")
    stack.redis.stop()
    time.sleep(5)
    stack.redis.start()
    faults.append("Redis stopped for 5 s (queued messages lost: persistence off)")
    at(45)
    log("PostgreSQL restarted")
    restart = ["bash", "scripts/postgres.sh", "restart"]
    subprocess.run(restart, cwd=REPO, env=stack.pg_env, check=True, timeout=120 * PATIENCE)
    faults.append("PostgreSQL restarted (fast shutdown: every connection dropped)")
    at(60)
    log(f"receiver 0 down for {OUTAGE:.0f} s")
    stack.receivers[0].stop()
    time.sleep(OUTAGE)
    stack.receivers[0].start()
    faults.append(f"receiver down for {OUTAGE:.0f} s ({SUBSCRIPTIONS_PER_RECEIVER} subscriptions)")

    writer.wait(timeout=max(60.0, CHANGES / RATE * 3) * PATIENCE)
    written = [json.loads(line) for line in writer_log.read_text().splitlines() if line.startswith("{")]
    done = next((item for item in written if "done" in item), None)
    assert done is not None, f"the writer ended ({writer.returncode}) without finishing:\n{tail(writer_log)}"
    log(f"writer done: {done}")
    drain_start = time.monotonic()
    deadline = drain_start + DRAIN
    while (left := stack.pending()) and time.monotonic() < deadline:
        log(f"{left} pending")
        time.sleep(5)
    drained = time.monotonic() - drain_start
    stop_sampling.set()

    outbox = json.loads(stack.run("outbox"))
    got = arrivals(stack.receivers)
    expected = sum(len(item["ids"]) for item in outbox.values())
    lost = {url: len(set(item["ids"]) - set(got.get(url, []))) for url, item in outbox.items()}
    duplicates = sum(len(ids) - len(set(ids)) for ids in got.values())
    reordered = [url for url, item in outbox.items() if list(dict.fromkeys(got.get(url, []))) != item["ids"]]
    figures = {
        "scenario": "production stack under faults",
        "changes": CHANGES,
        "rate": RATE,
        "writer_seconds": round(done["seconds"], 1),
        "writer_retries": done["retries"],
        "subscriptions": len(outbox),
        "expected": expected,
        "received": sum(len(ids) for ids in got.values()),
        "lost": sum(lost.values()),
        "duplicates": duplicates,
        "reordered_subscriptions": len(reordered),
        "expired": sum(item["expired"] for item in outbox.values()),
        "drain_seconds_after_writer": round(drained, 1),
        "total_seconds": round(time.monotonic() - began, 1),
        "readiness_samples": dict(samples),
        "faults": faults,
    }
    log(json.dumps(figures))
    target = os.environ.get("NETWEAVE_FAULT_REPORT")
    if target:
        with open(target, "a") as handle:
            handle.write(json.dumps(figures) + "\n")
    assert expected == CHANGES * len(callbacks)
    assert figures["expired"] == 0
    assert figures["lost"] == 0, lost
    assert not reordered, reordered
