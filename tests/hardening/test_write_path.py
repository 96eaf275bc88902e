"""Issue 13, delivery isolation: the write path of an inventory change is cheap enough to offer 100 changes/s.

A transaction of ten pool modifications used to read the instance's site, type and pool ids before it started
(whether anything referred to them or not), read the pools' hashes and then their prior states in a second
statement, parse every subscription's filter again, and write the outbox through Django's quoted arrays (most of
its CPU; bench/notifications/write.py). Now the ids a reference may point at are read on the first reference
that needs them, a partial write reads its objects once, filters are parsed once per process, and the outbox is
COPYed on PostgreSQL. What must not change: the notifications themselves (states before and after, order per
subscription) and the refusal of a reference to an object that does not exist.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Notification, ResourcePool
from inventory.notifications import outbox
from inventory.notifications.subscriptions import create_subscription
from inventory.sync import ReconcileError, apply_changes
from plugins.sdk import ims as sdk

pytestmark = pytest.mark.django_db


def pools(step: int) -> list[sdk.ResourcePool]:
    return [sdk.ResourcePool(f"p{n}", f"p{n}", f"step {step}") for n in range(10)]


def statements_on(captured: CaptureQueriesContext, table: str) -> int:
    return sum(f'FROM "{table}"' in query["sql"] for query in captured.captured_queries)


def test_a_partial_write_reads_its_objects_once_and_nothing_it_does_not_refer_to(
    ims_instance: Any, allow_loopback: None
) -> None:
    apply_changes(ims_instance, upserts={"resourcePool": pools(0)})
    subscriptions = [create_subscription({"callback": f"http://127.0.0.1:9/s{n}"})["subscriptionId"] for n in range(3)]
    with CaptureQueriesContext(connection) as captured:
        apply_changes(ims_instance, upserts={"resourcePool": pools(1)})
    assert statements_on(captured, "inventory_resourcepool") == 1  # hashes and prior states together
    assert statements_on(captured, "inventory_ocloudsite") == 0  # no pool names a site
    assert statements_on(captured, "inventory_resourcetype") == 0
    for subscription in subscriptions:
        rows = list(Notification.objects.filter(subscription_id=subscription).order_by("id"))
        assert [row.payload["postObjectState"]["name"] for row in rows] == [f"p{n}" for n in range(10)]
        assert {row.payload["priorObjectState"]["description"] for row in rows} == {"step 0"}
        assert {row.payload["postObjectState"]["description"] for row in rows} == {"step 1"}
        assert {(row.status, row.attempts, row.last_error) for row in rows} == {("pending", 0, "")}


def test_references_are_still_checked_when_they_are_read_late(ims_instance: Any) -> None:
    apply_changes(
        ims_instance,
        upserts={"resourcePool": pools(0), "resourceType": [sdk.ResourceType("t1", "t1")]},
    )
    # The pool and the type are stored, not part of this write: read on the first reference to each.
    apply_changes(ims_instance, upserts={"resource": [sdk.Resource("r1", "t1", "p1")]})
    with pytest.raises(ReconcileError, match="unknown resourcePool 'nope'"):
        apply_changes(ims_instance, upserts={"resource": [sdk.Resource("r2", "t1", "nope")]})
    assert ResourcePool.objects.count() == 10


def test_a_stored_filter_is_parsed_once_not_per_change(
    ims_instance: Any, allow_loopback: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    parse = outbox.parse_subscription_filter

    def counting(raw: str) -> Any:
        parsed.append(raw)
        return parse(raw)

    monkeypatch.setattr(outbox, "parse_subscription_filter", counting)
    monkeypatch.setattr(outbox, "_compiled", {})
    subscription = create_subscription({"callback": "http://127.0.0.1:9/f", "filter": "(eq,name,p3)"})
    for step in range(3):
        apply_changes(ims_instance, upserts={"resourcePool": pools(step)})
    assert parsed == ["(eq,name,p3)"]
    rows = Notification.objects.filter(subscription_id=subscription["subscriptionId"]).order_by("id")
    assert [row.payload["postObjectState"]["description"] for row in rows] == ["step 0", "step 1", "step 2"]
