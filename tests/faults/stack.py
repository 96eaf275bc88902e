"""The database side of the production-stack fault test, run as a separate process against the stack's
PostgreSQL (DATABASE_URL), so the test process itself stays out of Django's test database machinery.

    python -m tests.faults.stack subscribe URL...       create one inventory subscription per callback URL
    python -m tests.faults.stack write CHANGES RATE BATCH
        make CHANGES inventory changes (pool descriptions), BATCH per transaction, at RATE changes/s; a
        transaction the database refused (restart) is retried; prints progress as JSON lines
    python -m tests.faults.stack outbox                 per subscription: callback, notificationIds in outbox order
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")

import django

django.setup()

from django.db import Error, connections  # noqa: E402

POOLS = 40


def subscribe(urls: list[str]) -> None:
    from inventory.notifications.subscriptions import create_subscription

    for url in urls:
        create_subscription({"callback": url})


def write(changes: int, rate: float, batch: int) -> None:
    from inventory.sync import apply_changes
    from plugins.models import PluginInstance
    from plugins.sdk import ims as sdk

    instance, _ = PluginInstance.objects.get_or_create(
        name="faults-ims", defaults={"category": "ims", "plugin_type": "mock", "config": {}, "sync_interval": 0}
    )
    started = time.monotonic()
    retries = 0
    for first in range(0, changes, batch):
        wait = started + first / rate - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        pools = [
            sdk.ResourcePool(f"pool-{n % POOLS}", f"pool-{n % POOLS}", f"change {n}")
            for n in range(first, min(first + batch, changes))
        ]
        while True:
            try:
                apply_changes(instance, upserts={"resourcePool": pools})
                break
            except Error as exc:
                # The database went away (restart): the transaction rolled back, so it is made again. Django's
                # Error, not DatabaseError: a connection the server dropped can also surface as InterfaceError
                # ("connection already closed"), which is not a DatabaseError.
                retries += 1
                print(json.dumps({"retry": str(exc).splitlines()[0][:200]}), flush=True)
                connections.close_all()
                time.sleep(0.5)
        if (first // batch) % 50 == 0:
            print(json.dumps({"written": first + len(pools), "seconds": time.monotonic() - started}), flush=True)
    seconds = time.monotonic() - started
    print(json.dumps({"done": changes, "seconds": seconds, "retries": retries}), flush=True)


def outbox() -> None:
    from inventory.models import Notification, Subscription

    result = {}
    for subscription in Subscription.objects.all():
        rows = Notification.objects.filter(subscription=subscription).order_by("id")
        result[subscription.callback] = {
            "ids": [str(p["notificationId"]) for p in rows.values_list("payload", flat=True)],
            "pending": rows.filter(status=Notification.Status.PENDING).count(),
            "expired": rows.filter(status=Notification.Status.EXPIRED).count(),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "subscribe":
        subscribe(args)
    elif command == "write":
        write(int(args[0]), float(args[1]), int(args[2]))
    elif command == "outbox":
        outbox()
    else:
        raise SystemExit(f"unknown command {command}")
