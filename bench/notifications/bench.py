"""Notification delivery benchmark: maximum sustained deliveries/s, and p50/p99 change-to-delivery latency at
100 deliveries/s (10 subscriptions x 10 changes/s), with 2 Celery workers on PostgreSQL. Run by run.sh."""

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

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from inventory.models import ChangeLogEntry, Notification, Subscription  # noqa: E402
from inventory.notifications.subscriptions import create_subscription  # noqa: E402
from inventory.sync import apply_changes  # noqa: E402
from plugins.models import PluginInstance  # noqa: E402
from plugins.sdk import ims as sdk  # noqa: E402
from tests.notifications import harness  # noqa: E402

SUBSCRIPTIONS = 10
BACKLOG = int(os.environ.get("BENCH_BACKLOG", "300"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "30"))
RATE = 10  # changes per second


def reset() -> None:
    Notification.objects.all().delete()
    Subscription.objects.all().delete()


def change(instance: PluginInstance, step: int, pools: int = 20) -> None:
    name = f"pool-{step % pools}"
    apply_changes(instance, upserts={"resourcePool": [sdk.ResourcePool(name, name, f"step {step}")]})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def received(arrivals: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in arrivals.read_text().splitlines() if line.startswith("{")]


def wait_drained(timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while Notification.objects.filter(status="pending").exists():
        if time.monotonic() > deadline:
            raise SystemExit("the outbox did not drain in time")
        time.sleep(0.05)


def main() -> None:
    work = Path(os.environ["NETWEAVE_DATA_DIR"])
    # The receiver runs in its own process, so the writer below does not slow it down (or the other way round).
    port = harness.free_port()
    arrivals = work / "arrivals.jsonl"
    receiver_process = subprocess.Popen(
        [sys.executable, "manage.py", "netweave_receiver", "--port", str(port), "--jsonl"],
        cwd=REPO,
        stdout=arrivals.open("w"),
        stderr=subprocess.DEVNULL,
    )
    receiver_url = f"http://127.0.0.1:{port}"
    redis = harness.RedisServer(work).start()
    harness.use_broker(redis.url)
    env = harness.process_env(
        harness.database_url(connection.settings_dict), redis.url, work, NETWEAVE_LOG_LEVEL="WARNING"
    )
    beat = harness.CeleryProcess("beat", env, work / "beat.log").start()
    instance, _ = PluginInstance.objects.get_or_create(
        name="bench-ims", defaults={"category": "ims", "plugin_type": "mock", "config": {}, "sync_interval": 0}
    )
    for i in range(SUBSCRIPTIONS):
        create_subscription({"callback": f"{receiver_url}/s{i}"})
    workers: list[harness.CeleryProcess] = []
    try:
        # 1. Throughput: drain a backlog with two workers.
        for step in range(BACKLOG):
            change(instance, step)
        total = Notification.objects.filter(status="pending").count()
        workers = [
            harness.CeleryProcess("worker", env, work / f"w{n}.log", f"w{n}", loglevel="WARNING").start()
            for n in (1, 2)
        ]
        while not received(arrivals):
            time.sleep(0.01)
        started = time.monotonic()
        first = len(received(arrivals))
        wait_drained(600)
        drain_seconds = time.monotonic() - started
        throughput = (total - first) / drain_seconds
        backlog_count = len(received(arrivals))

        # 2. Latency at a steady 10 changes/s x 10 subscriptions.
        begin_id = ChangeLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
        t0 = time.monotonic()
        for step in range(SECONDS * RATE):
            target = t0 + step / RATE
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            change(instance, BACKLOG + step)
        wait_drained(120)
        time.sleep(0.5)
        change_time = {
            str(n.payload["notificationId"]): n.change.time.timestamp()
            for n in Notification.objects.filter(change_id__gt=begin_id).select_related("change")
        }
        steady = [a for a in received(arrivals)[backlog_count:] if a["notificationId"] in change_time]
        latencies = [a["time"] - change_time[a["notificationId"]] for a in steady]
        duplicates = len(steady) - len({a["notificationId"] for a in steady})
    finally:
        for process in [*workers, beat]:
            process.stop()
        redis.stop()
        receiver_process.terminate()
        receiver_process.wait(10)
    print()
    timeout = settings.NETWEAVE_NOTIFICATION_TIMEOUT
    print(f"database: {connection.vendor}; workers: 2 (solo pool); broker: redis; delivery timeout {timeout}s")
    print("| measure | figure |")
    print("|---|---|")
    print(f"| maximum sustained deliveries/s (drain of {total} notifications) | {throughput:.0f} |")
    print(f"| deliveries at 100/s for {SECONDS} s | {len(latencies)} (duplicates {duplicates}) |")
    print(f"| change-to-delivery latency p50 | {statistics.median(latencies) * 1000:.0f} ms |")
    print(f"| change-to-delivery latency p99 | {percentile(latencies, 0.99) * 1000:.0f} ms |")
    print(f"| change-to-delivery latency max | {max(latencies) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
