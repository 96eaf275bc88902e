"""Issue 13, delivery isolation: a subscription's rows are delivered in runs. One transaction holds the
subscription for a run of its oldest rows (up to NETWEAVE_DELIVERY_BATCH), sends them in order over one kept-alive
connection and marks them delivered with one UPDATE: a few statements per run instead of five per row, which
made the delivery path too slow to keep healthy receivers within seconds at 100 changes/s. Order and
at-least-once delivery hold: a run stops at its first failure, and a run whose commit is lost is sent again."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError

from inventory.models import Notification, Subscription
from inventory.notifications import delivery
from inventory.notifications.receiver import Received, Receiver
from inventory.sync import reconcile
from plugins.sdk import ims as sdk
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db


def changes(instance: Any, count: int) -> list[int]:
    """`count` pool creations, one notification each; their outbox ids in order."""
    pools = [sdk.ResourcePool(f"p{n:02}", f"p{n:02}") for n in range(count)]
    reconcile(instance, sdk.Inventory(None, pools, None, None))
    return list(Notification.objects.order_by("id").values_list("id", flat=True))


def arrived(receiver: Receiver) -> list[str]:
    return [body["postObjectState"]["name"] for body in receiver.bodies()]


def test_a_run_costs_a_few_statements_not_several_per_row(
    o2: O2Client, receiver: Receiver, ims_instance: Any, django_assert_max_num_queries: Any
) -> None:
    sub = subscribe(o2, receiver.url)["subscriptionId"]
    changes(ims_instance, 30)
    with django_assert_max_num_queries(16):  # was 5 per row: 150
        assert delivery.deliver_pending(sub).step is delivery.Step.EMPTY
    assert arrived(receiver) == [f"p{n:02}" for n in range(30)]
    assert not Notification.objects.exclude(status="delivered").exists()
    subscription = Subscription.objects.get(pk=sub)
    assert subscription.delivered_count == 30


def test_runs_are_bounded_and_keep_the_order(
    o2: O2Client, receiver: Receiver, ims_instance: Any, settings: Any
) -> None:
    settings.NETWEAVE_DELIVERY_BATCH = 4
    sub = subscribe(o2, receiver.url)["subscriptionId"]
    changes(ims_instance, 10)
    assert delivery.deliver_pending(sub, limit=6).step is delivery.Step.MORE
    assert arrived(receiver) == [f"p{n:02}" for n in range(6)]
    assert delivery.deliver_pending(sub).step is delivery.Step.EMPTY
    assert arrived(receiver) == [f"p{n:02}" for n in range(10)]


def test_a_run_stops_at_its_first_failure_and_keeps_what_was_delivered(
    o2: O2Client, receiver: Receiver, ims_instance: Any
) -> None:
    def refuse_p03(item: Received) -> tuple[int, Any] | None:
        return (503, None) if item.json()["postObjectState"]["name"] == "p03" else None

    receiver.respond = refuse_p03
    sub = subscribe(o2, receiver.url)["subscriptionId"]
    ids = changes(ims_instance, 8)
    assert delivery.deliver_pending(sub).step is delivery.Step.FAILED
    assert arrived(receiver) == ["p00", "p01", "p02", "p03"]
    rows = {row.pk: row for row in Notification.objects.all()}
    assert [rows[pk].status for pk in ids[:3]] == ["delivered"] * 3
    assert (rows[ids[3]].status, rows[ids[3]].attempts) == ("pending", 1)
    assert "HTTP 503" in rows[ids[3]].last_error
    assert all((rows[pk].status, rows[pk].attempts) == ("pending", 0) for pk in ids[4:])


def test_a_run_whose_commit_is_lost_is_sent_again_in_order(
    o2: O2Client, receiver: Receiver, ims_instance: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least once: the database connection drops after three rows of a run were sent, so nothing of the run
    is recorded; the next task sends those three again, then the rest, in order."""
    sub = subscribe(o2, receiver.url)["subscriptionId"]
    changes(ims_instance, 6)
    send = delivery.send
    sent: list[int] = []

    def drop_after_three(*args: Any) -> int:
        if len(sent) == 3:
            raise OperationalError("server closed the connection unexpectedly")
        sent.append(1)
        return send(*args)

    monkeypatch.setattr(delivery, "send", drop_after_three)
    with pytest.raises(OperationalError):
        delivery.deliver_pending(sub)
    assert Notification.objects.filter(status="pending").count() == 6
    monkeypatch.setattr(delivery, "send", send)
    assert delivery.deliver_pending(sub).step is delivery.Step.EMPTY
    names = arrived(receiver)
    assert names == ["p00", "p01", "p02", "p00", "p01", "p02", "p03", "p04", "p05"]
    assert list(dict.fromkeys(names)) == [f"p{n:02}" for n in range(6)]
