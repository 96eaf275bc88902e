"""The write path alone: BENCH_CHANGES inventory changes (resource-pool modifies, 10 per transaction, as the
isolation bench and the fault test write them) with BENCH_SUBSCRIPTIONS inventory subscriptions, on the database
of DATABASE_URL, no broker (every subscription already has a delivery task queued, so the after-commit step
only looks). Prints the SQL statements per transaction (from the change to the after-commit queueing) with
their mean time, changes/s and the writer's CPU per change (`--profile`: a cProfile of CPU time).

    DATABASE_URL=postgres://... .venv/bin/python bench/notifications/write.py [--profile]

Run it on two checkouts one after the other to compare them (docs/benchmarks.md, delivery isolation).
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import sys
import time
from datetime import timedelta
from pathlib import Path

import standalone  # noqa: F401 - sets Django up before the project is imported

# isort: split
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import Subscription
from inventory.notifications.subscriptions import create_subscription
from inventory.sync import apply_changes
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk

CHANGES = int(os.environ.get("BENCH_CHANGES", "2000"))
SUBSCRIPTIONS = int(os.environ.get("BENCH_SUBSCRIPTIONS", "12"))
PER_TRANSACTION = 10
POOLS = 50


def write(instance: PluginInstance, first: int) -> None:
    pools = [
        sdk.ResourcePool(f"pool-{n % POOLS}", f"pool-{n % POOLS}", f"change {n}")
        for n in range(first, first + PER_TRANSACTION)
    ]
    apply_changes(instance, upserts={"resourcePool": pools})


def main() -> None:
    Subscription.objects.all().delete()
    instance, _ = PluginInstance.objects.get_or_create(
        name="write-ims", defaults={"category": "ims", "plugin_type": "mock", "config": {}, "sync_interval": 0}
    )
    for i in range(SUBSCRIPTIONS):
        create_subscription({"callback": f"http://127.0.0.1:9/h{i}"})
    Subscription.objects.update(delivery_queued=timezone.now() + timedelta(days=1))
    for first in range(0, POOLS, PER_TRANSACTION):  # every pool exists: what follows are modifies
        write(instance, first)
    profile = cProfile.Profile(time.process_time) if "--profile" in sys.argv else None  # CPU, not wall time
    started, cpu = time.monotonic(), time.process_time()
    if profile:
        profile.enable()
    with CaptureQueriesContext(connection) as captured:
        for first in range(0, CHANGES, PER_TRANSACTION):
            write(instance, POOLS + first)
    if profile:
        profile.disable()
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    transactions = CHANGES // PER_TRANSACTION
    by_statement: dict[str, list[float]] = {}
    for query in captured.captured_queries:
        by_statement.setdefault(" ".join(query["sql"].split()[:4])[:70], []).append(float(query["time"]))
    figures = {
        "changes": CHANGES,
        "subscriptions": SUBSCRIPTIONS,
        "statements_per_transaction": round(len(captured.captured_queries) / transactions, 2),
        "changes_per_s": round(CHANGES / wall, 1),
        "writer_cpu_ms_per_change": round(cpu * 1000 / CHANGES, 3),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    for statement, times in by_statement.items():
        print(f"{len(times) / transactions:5.2f}/transaction {sum(times) * 1000 / len(times):7.2f} ms  {statement}")
    print(json.dumps(figures))
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
