"""The delivery path alone: one process drains BENCH_CHANGES changes x 10 subscriptions with
`delivery.deliver_pending` (no Celery, no broker) into a receiver process, on the database of DATABASE_URL.
Prints rows, wall time, deliveries/s and the deliverer's CPU per row (`--profile`: a cProfile by internal time;
BENCH_PROFILE_FILE=path also saves it).

    DATABASE_URL=postgres://... .venv/bin/python bench/notifications/drain.py [--profile]

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

from standalone import start_receiver  # sets Django up before the project is imported

# isort: split
from django.utils import timezone

from inventory.models import Notification, Subscription
from inventory.notifications import delivery
from inventory.notifications.subscriptions import create_subscription
from inventory.sync import apply_changes
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk
from tests.notifications import harness

CHANGES = int(os.environ.get("BENCH_CHANGES", "300"))


def main() -> None:
    port = harness.free_port()
    receiver = start_receiver(port)
    Subscription.objects.all().delete()
    instance, _ = PluginInstance.objects.get_or_create(
        name="drain-ims", defaults={"category": "ims", "plugin_type": "mock", "config": {}, "sync_interval": 0}
    )
    subscriptions = [
        create_subscription({"callback": f"http://127.0.0.1:{port}/h{i}"})["subscriptionId"] for i in range(10)
    ]
    # A task "queued" far ahead: the writes below queue no delivery, the loop below does all of it.
    Subscription.objects.update(delivery_queued=timezone.now() + timedelta(days=1))
    for first in range(0, CHANGES, 10):
        pools = [sdk.ResourcePool(f"pool-{n % 50}", f"pool-{n % 50}", f"change {n}") for n in range(first, first + 10)]
        apply_changes(instance, upserts={"resourcePool": pools})
    rows = Notification.objects.filter(status="pending").count()
    profile = cProfile.Profile(time.process_time) if "--profile" in sys.argv else None  # CPU, not wall time
    started, cpu = time.monotonic(), time.process_time()
    if profile:
        profile.enable()
    try:
        while Notification.objects.filter(status="pending").exists():
            for subscription in subscriptions:
                delivery.deliver_pending(subscription)
    finally:
        if profile:
            profile.disable()
        receiver.terminate()
        receiver.wait(10)
    wall, cpu = time.monotonic() - started, time.process_time() - cpu
    figures = {
        "rows": rows,
        "wall_s": round(wall, 2),
        "deliveries_per_s": round(rows / wall, 1),
        "deliverer_cpu_ms_per_row": round(cpu * 1000 / rows, 3),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    print(json.dumps(figures))
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        if os.environ.get("BENCH_PROFILE_FILE"):  # for pstats / snakeviz (e.g. sorted by cumulative time)
            profile.dump_stats(os.environ["BENCH_PROFILE_FILE"])


if __name__ == "__main__":
    main()
