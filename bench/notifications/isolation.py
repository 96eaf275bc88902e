"""Delivery isolation benchmark (issue 13): 10 healthy receivers next to one black-hole receiver (accepts TCP,
never answers) and one refusing receiver, BENCH_WORKERS (4) Celery worker processes on PostgreSQL and Redis. Run
by isolation.sh.

1. Backlog: BENCH_BACKLOG changes (default 10,000; 10 per transaction) are written with the workers stopped, so
   12 subscriptions have that many rows each; the workers start and the healthy receivers' drain time is
   measured, with their order checked (first arrivals against the outbox order).
2. Steady load: BENCH_RATE changes/s (default 100, 10 per transaction) for BENCH_SECONDS (30) while the dead
   receivers keep failing; change-to-delivery latency of the healthy receivers (arrival time minus the
   change-log row's time): p50, p99, max. Target: p99 <= 2 s at 100 changes/s.

For each phase it also reports where the CPU went: seconds of CPU used by the workers, the receiver process,
PostgreSQL (the postmaster and its backends, from NETWEAVE_PG_DIR), Redis and this process (the writer), read from
/proc, and the phase's wall time: with two cores, a sum near twice the wall time means the machine was the limit.

Prints a Markdown table and one JSON line (the figures for docs/benchmarks.md).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ.setdefault("NETWEAVE_CALLBACK_ALLOWED_HOSTS", "127.0.0.1")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from inventory.models import ChangeLogEntry, Notification, Subscription  # noqa: E402
from inventory.notifications.subscriptions import create_subscription  # noqa: E402
from inventory.sync import apply_changes  # noqa: E402
from plugins.models import PluginInstance  # noqa: E402
from plugins.sdk import ims as sdk  # noqa: E402
from tests.notifications import harness  # noqa: E402

HEALTHY = 10
BACKLOG = int(os.environ.get("BENCH_BACKLOG", "10000"))
RATE = float(os.environ.get("BENCH_RATE", "100"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
PER_TRANSACTION = 10
TIMEOUT = os.environ.get("BENCH_TIMEOUT", "10")  # the workers' NETWEAVE_NOTIFICATION_TIMEOUT
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))  # worker processes (solo pool each); docs/production.md sizing
POOLS = 50


def write(instance: PluginInstance, first: int, count: int) -> None:
    pools = [
        sdk.ResourcePool(f"pool-{n % POOLS}", f"pool-{n % POOLS}", f"change {n}") for n in range(first, first + count)
    ]
    apply_changes(instance, upserts={"resourcePool": pools})


def arrivals(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def healthy_pending(healthy: list[str]) -> int:
    return Notification.objects.filter(subscription_id__in=healthy, status="pending").count()


def wait_drained(healthy: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while healthy_pending(healthy):
        if time.monotonic() > deadline:
            raise SystemExit(f"the healthy subscriptions did not drain within {timeout:.0f} s")
        time.sleep(0.2)


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _postgres_pids() -> list[int]:
    """The postmaster and its children (backends, background processes)."""
    postmaster = int((Path(os.environ["NETWEAVE_PG_DIR"]) / "data" / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return [postmaster, *children]


class CpuMeter:
    """CPU seconds per group of processes over a phase: call `start()`, then `stop()` for the figures."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups

    def _read(self) -> dict[str, dict[int, float]]:
        pids = {**self.groups, "postgres": _postgres_pids()}
        read = {name: {pid: _cpu(pid) for pid in group} for name, group in pids.items()}
        read["writer"] = {0: time.process_time()}
        return read

    def start(self) -> None:
        self.began, self.first = time.monotonic(), self._read()

    def stop(self) -> dict[str, float]:
        last = self._read()
        used = {
            name: round(sum(cpu - self.first[name].get(pid, 0.0) for pid, cpu in pids.items()), 1)
            for name, pids in last.items()
        }
        return {**used, "wall": round(time.monotonic() - self.began, 1)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    work = Path(os.environ["NETWEAVE_DATA_DIR"])
    port = harness.free_port()
    received_file = work / "arrivals.jsonl"
    receiver = subprocess.Popen(
        [sys.executable, "manage.py", "netweave_receiver", "--port", str(port), "--jsonl"],
        cwd=REPO,
        stdout=received_file.open("w"),
        stderr=subprocess.DEVNULL,
    )
    hole = harness.BlackHole()
    hole_url = f"http://127.0.0.1:{hole.port}/hole"
    redis = harness.RedisServer(work).start()
    harness.use_broker(redis.url)
    env = harness.process_env(
        harness.database_url(connection.settings_dict),
        redis.url,
        work,
        NETWEAVE_LOG_LEVEL="WARNING",
        NETWEAVE_NOTIFICATION_TIMEOUT=TIMEOUT,
        NETWEAVE_NOTIFICATION_RETRY_BASE="1",
        NETWEAVE_NOTIFICATION_RETRY_CAP="30",
    )
    beat = harness.CeleryProcess("beat", env, work / "beat.log").start()
    instance, _ = PluginInstance.objects.get_or_create(
        name="bench-ims", defaults={"category": "ims", "plugin_type": "mock", "config": {}, "sync_interval": 0}
    )
    Subscription.objects.all().delete()
    create_subscription({"callback": hole_url})
    create_subscription({"callback": f"http://127.0.0.1:{harness.free_port()}/refused"})
    healthy = [
        create_subscription({"callback": f"http://127.0.0.1:{port}/h{i}"})["subscriptionId"] for i in range(HEALTHY)
    ]
    workers: list[harness.CeleryProcess] = []
    try:
        for first in range(0, BACKLOG, PER_TRANSACTION):
            write(instance, first, PER_TRANSACTION)
        backlog_rows = healthy_pending(healthy)
        workers = [
            harness.CeleryProcess("worker", env, work / f"w{n}.log", f"w{n}", loglevel="WARNING").start()
            for n in range(1, WORKERS + 1)
        ]
        meter = CpuMeter(
            {
                "workers": [w.process.pid for w in workers if w.process is not None],
                "receiver": [receiver.pid],
                "redis": [redis.process.pid] if redis.process is not None else [],
            }
        )
        meter.start()
        started = time.monotonic()
        wait_drained(healthy, 3600)
        drain = time.monotonic() - started
        backlog_cpu = meter.stop()
        got = arrivals(received_file)
        in_order = all(
            list(dict.fromkeys(a["notificationId"] for a in got if a["path"] == f"/h{i}"))
            == [
                str(p["notificationId"])
                for p in Notification.objects.filter(subscription_id=sub)
                .order_by("id")
                .values_list("payload", flat=True)
            ]
            for i, sub in enumerate(healthy)
        )
        backlog_count = len(got)

        begin = ChangeLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        meter.start()
        t0 = time.monotonic()
        steps = int(SECONDS * RATE / PER_TRANSACTION)
        for step in range(steps):
            delay = t0 + step * PER_TRANSACTION / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            write(instance, BACKLOG + step * PER_TRANSACTION, PER_TRANSACTION)
        write_seconds = time.monotonic() - t0
        wait_drained(healthy, 1800)
        steady_cpu = meter.stop()
        time.sleep(0.5)
        change_time = {
            str(n.payload["notificationId"]): n.change.time.timestamp()
            for n in Notification.objects.filter(change_id__gt=begin, subscription_id__in=healthy).select_related(
                "change"
            )
        }
        steady = [a for a in arrivals(received_file)[backlog_count:] if a["notificationId"] in change_time]
        first_seen: dict[str, float] = {}
        for item in steady:
            first_seen.setdefault(item["notificationId"], item["time"])
        latencies = [first_seen[n] - change_time[n] for n in first_seen]
        dead_failures = sum(Subscription.objects.exclude(pk__in=healthy).values_list("failure_count", flat=True))
    finally:
        for process in [*workers, beat]:
            process.stop()
        redis.stop()
        receiver.terminate()
        receiver.wait(10)
        hole.close()
    figures = {
        "backlog_changes": BACKLOG,
        "backlog_healthy_notifications": backlog_rows,
        "backlog_drain_seconds": round(drain, 1),
        "backlog_deliveries_per_second": round(backlog_rows / drain, 1),
        "backlog_in_order": in_order,
        "rate_changes_per_second": RATE,
        "rate_achieved": round(steps * PER_TRANSACTION / write_seconds, 1),
        "steady_deliveries": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p99_ms": round(percentile(latencies, 0.99) * 1000),
        "max_ms": round(max(latencies) * 1000),
        "dead_receiver_failed_attempts": dead_failures,
        "backlog_cpu_seconds": backlog_cpu,
        "steady_cpu_seconds": steady_cpu,
        "delivery_timeout_s": float(TIMEOUT),
        "workers": WORKERS,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    print("| measure | figure |\n|---|---|")
    for key, value in figures.items():
        print(f"| {key} | {value} |")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
