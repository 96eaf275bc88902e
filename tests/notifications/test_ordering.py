"""Per-subscription order under concurrent writers on PostgreSQL (issue 13).

Outbox ids come from a sequence at insert time, so without the outbox lock a writer could take id 10, another
id 11 and commit first: a reader taking the oldest pending row would then send 11 before 10. Here writers hold
their transaction open for a moment after writing their rows while two readers take heads exactly as delivery
workers do (`delivery._locked_run`, runs of one to three rows), 200 rounds: every row is taken once, in id order,
none is missing. Two readers also catch the reader-side race: a head lock tried per candidate row skipped the
head while the other reader was committing and granted the next row.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, connections, transaction

from inventory.models import Notification, Subscription
from inventory.notifications import delivery
from inventory.notifications.subscriptions import create_subscription
from inventory.sync import apply_changes
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk

pytestmark = [pytest.mark.django_db(transaction=True)]
ROUNDS = 200
WRITERS = 3
TRANSACTIONS = 2
READERS = 2


def _writer(instance: PluginInstance, name: str, errors: list[BaseException]) -> None:
    try:
        for step in range(TRANSACTIONS):
            with transaction.atomic():
                apply_changes(instance, upserts={"resourcePool": [sdk.ResourcePool(name, name, f"v{step}")]})
                time.sleep(random.uniform(0, 0.004))  # committed a little later than its ids were taken
    except BaseException as exc:
        errors.append(exc)
    finally:
        connections.close_all()


def _take_heads(subscription_id: str, stop: threading.Event, taken: list[int], errors: list[BaseException]) -> None:
    try:
        while True:
            done = stop.is_set()
            with transaction.atomic():
                rows, _ = delivery._locked_run(subscription_id, random.randint(1, 3))
                if rows:
                    ids = [row.pk for row in rows]
                    Notification.objects.filter(pk__in=ids).update(status=Notification.Status.DELIVERED)
                    taken.extend(ids)
            if not rows and done:
                return
    except BaseException as exc:
        errors.append(exc)
    finally:
        connections.close_all()


def test_order_holds_under_concurrent_writers(settings: object) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one write transaction at a time; the race needs PostgreSQL")
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]  # type: ignore[attr-defined]
    # One instance per writer: reconciles of one instance wait for each other (inventory.sync._lock_instance),
    # and the race is between transactions that do not.
    instances = [
        PluginInstance.objects.create(
            name=f"order-ims-{w}", category="ims", plugin_type="mock", is_default=w == 0, config={}, sync_interval=0
        )
        for w in range(WRITERS)
    ]
    subscription_id = create_subscription({"callback": "http://127.0.0.1:9/n"})["subscriptionId"]
    subscription = Subscription.objects.get(pk=subscription_id)
    for round_ in range(ROUNDS):
        before = subscription.notifications.order_by("-id").values_list("id", flat=True).first() or 0
        taken: list[int] = []
        errors: list[BaseException] = []
        stop = threading.Event()
        readers = [
            threading.Thread(target=_take_heads, args=(subscription_id, stop, taken, errors)) for _ in range(READERS)
        ]
        for thread in readers:
            thread.start()
        writers = [
            threading.Thread(target=_writer, args=(instances[w], f"r{round_}w{w}", errors)) for w in range(WRITERS)
        ]
        for thread in writers:
            thread.start()
        for thread in writers:
            thread.join()
        stop.set()
        for thread in readers:
            thread.join()
        assert not errors, errors
        written = list(subscription.notifications.filter(pk__gt=before).order_by("id").values_list("id", flat=True))
        assert taken == sorted(taken), f"round {round_}: reordered {taken}"
        assert len(taken) == len(set(taken)) == WRITERS * TRANSACTIONS, f"round {round_}: lost or repeated {taken}"
        assert taken == written, f"round {round_}: gap: taken {taken}, written {written}"
