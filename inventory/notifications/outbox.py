"""The outbox: every change a subscription lets through becomes a notification row in the change's transaction.

`record_notifications` is a change-log listener (inventory.changelog.add_listener), so the change, its log row
and its notifications commit or roll back together: a crash can lose neither. After the commit, one delivery
task per affected subscription is queued; if the broker is down at that moment the sweeper queues it later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.utils import timezone

from inventory import bulk
from inventory.models import ChangeLogEntry, Notification, Subscription
from inventory.notifications.filters import SPECS, change_passes, parse_subscription_filter
from netweave.o2.problems import BadRequest
from netweave.o2.query import FilterTerm
from netweave.o2.urls import public_url

logger = logging.getLogger(__name__)

INVENTORY = "/o2ims-infrastructureInventory/v1"
EVENT_TYPES = {ChangeLogEntry.Action.CREATE: 0, ChangeLogEntry.Action.MODIFY: 1, ChangeLogEntry.Action.DELETE: 2}


def object_path(object_type: str, state: Mapping[str, Any]) -> str | None:
    """The O2ims path of an object, from its O2 state."""
    if object_type == "CloudInfo":
        return INVENTORY
    if object_type == "ResourceTypeInfo":
        return f"{INVENTORY}/resourceTypes/{state['resourceTypeId']}"
    if object_type == "ResourcePoolInfo":
        return f"{INVENTORY}/resourcePools/{state['resourcePoolId']}"
    if object_type == "DeploymentManagerInfo":
        return f"{INVENTORY}/deploymentManagers/{state['deploymentManagerId']}"
    if object_type == "ResourceInfo":
        return f"{INVENTORY}/resourcePools/{state['resourcePoolId']}/resources/{state['resourceId']}"
    if object_type == "LocationInfo":
        return f"{INVENTORY}/locations/{quote(state['globalLocationId'], safe=':,@')}"
    if object_type == "OCloudSiteInfo":
        return f"{INVENTORY}/oCloudSites/{state['oCloudSiteId']}"
    if object_type == "AlarmDictionaryInfo":
        return f"{INVENTORY}/alarmDictionaries/{state['alarmDictionaryId']}"
    return None


def object_ref(object_type: str, state: Mapping[str, Any]) -> str | None:
    """The object's URI: the public base URL (netweave.o2.urls) plus the O2ims path."""
    path = object_path(object_type, state)
    if path is None:
        return None
    return public_url(path)


def build_payload(entry: ChangeLogEntry, subscription: Subscription) -> dict[str, Any]:
    """The InventoryChangeNotification for one change and one subscription (O2-REFERENCE.md §5)."""
    payload: dict[str, Any] = {"notificationId": str(uuid.uuid4())}
    if subscription.consumer_subscription_id is not None:
        payload["consumerSubscriptionId"] = subscription.consumer_subscription_id
    payload["notificationEventType"] = EVENT_TYPES[ChangeLogEntry.Action(entry.action)]
    if entry.action != ChangeLogEntry.Action.DELETE and entry.post_state is not None:
        ref = object_ref(entry.object_type, entry.post_state)
        if ref is not None:
            payload["objectRef"] = ref
    if entry.action != ChangeLogEntry.Action.CREATE:
        payload["priorObjectState"] = entry.prior_state
    if entry.action != ChangeLogEntry.Action.DELETE:
        payload["postObjectState"] = entry.post_state
    return payload


def compile_filter(subscription: Subscription, parse: Callable[[str], list[FilterTerm]]) -> list[FilterTerm] | None:
    """The subscription's filter terms; None (with a log line) if a stored filter no longer parses.

    Parsed once per (grammar, filter text) and process: a filter used to be parsed again for every
    transaction that recorded a change, for every subscription. Terms are immutable, so sharing them is safe."""
    if not subscription.filter:
        return []
    key = (parse, subscription.filter)
    terms = _compiled.get(key)
    if terms is not None:
        return terms
    try:
        terms = parse(subscription.filter)
    except BadRequest as exc:
        logger.error("Subscription %s has an invalid filter and receives nothing: %s", subscription.pk, exc.detail)
        return None
    if len(_compiled) >= COMPILED_FILTERS:
        _compiled.clear()
    _compiled[key] = terms
    return terms


# Parsed filters by (grammar's parse function, filter text); cleared when it reaches COMPILED_FILTERS entries.
_compiled: dict[tuple[Callable[[str], list[FilterTerm]], str], list[FilterTerm]] = {}
COMPILED_FILTERS = 1000


def fan_out(
    entries: Sequence[ChangeLogEntry],
    subscriptions: Iterable[Subscription],
    parse: Callable[[str], list[FilterTerm]],
    passes: Callable[[Sequence[FilterTerm], ChangeLogEntry], bool],
    payload: Callable[[ChangeLogEntry, Subscription], dict[str, Any] | None],
) -> None:
    """Write one outbox row per (change, subscription whose filter `passes` it) whose `payload` is not None.

    Every kind of subscription (inventory, alarm, O2dms) goes through here, so they share the outbox, the
    delivery worker, the sweeper and the SMO authentication."""
    compiled = [(subscription, compile_filter(subscription, parse)) for subscription in subscriptions]
    if not compiled or not entries:
        return
    now = timezone.now()
    rows: list[dict[str, Any]] = []
    touched: set[uuid.UUID] = set()
    for entry in entries:
        for subscription, terms in compiled:
            if terms is None or not passes(terms, entry):
                continue
            body = payload(entry, subscription)
            if body is None:
                continue
            rows.append(
                {
                    "subscription_id": subscription.pk,
                    "change_id": entry.pk,
                    "payload": body,
                    "status": Notification.Status.PENDING.value,
                    "created": now,
                    "enqueued": now,
                    "next_attempt": now,
                    "attempts": 0,
                    "last_error": "",
                    "last_attempt": None,
                    "delivered": None,
                }
            )
            touched.add(subscription.pk)
    write_outbox(rows, touched)


def record_notifications(entries: Sequence[ChangeLogEntry]) -> None:
    """Change-log listener: write the outbox rows for `entries`, then queue delivery after the commit.

    Only inventory objects go to inventory subscriptions; alarms and O2dms objects have their own listeners and
    subscriptions (inventory.alarms.notifications, deployments.notifications), which use `fan_out` too."""
    entries = [entry for entry in entries if entry.object_type in SPECS]
    if not entries:
        return
    fan_out(
        entries,
        Subscription.objects.filter(kind=Subscription.Kind.INVENTORY),
        parse_subscription_filter,
        lambda terms, entry: change_passes(terms, entry.object_type, entry.prior_state, entry.post_state),
        build_payload,
    )


# The classid of the outbox's advisory locks (two-key form), so that they meet no other lock of the database.
LOCK_CLASS = 0x4E57_0B01


def lock_subscriptions(subscription_ids: Iterable[uuid.UUID]) -> None:
    """Hold each subscription's outbox lock until the current transaction ends (PostgreSQL).

    Outbox ids come from a sequence when a row is inserted, not when it commits: without this, a writer could
    take id 10, another id 11 and commit first, and a delivery worker could send 11 before 10 is visible. Writers
    of the same subscription take turns from their first outbox row to their commit, so its ids become visible in
    id order and the delivery order holds. Locks are taken in key order, so two writers cannot deadlock on them.
    SQLite needs nothing: its write transactions run one at a time (IMMEDIATE)."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return
    keys = sorted({int.from_bytes(pk.bytes[:4], "big", signed=True) for pk in subscription_ids})
    if keys:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, k) FROM (SELECT unnest(%s::int[]) AS k ORDER BY 1) AS keys",
                [LOCK_CLASS, keys],
            )


def write_outbox(rows: Sequence[dict[str, Any]], subscription_ids: set[uuid.UUID]) -> None:
    """Insert outbox rows (dicts of every Notification field but the id) in the current transaction, ids in the
    order of `rows`, and queue their delivery once it commits."""
    if not rows:
        return
    lock_subscriptions(subscription_ids)
    bulk.append(Notification, rows)
    ids = sorted(str(pk) for pk in subscription_ids)
    transaction.on_commit(lambda: queue_deliveries(ids), robust=True)


def queue_deliveries(subscription_ids: Sequence[str], *, force: bool = False) -> None:
    """Ask the workers to deliver for these subscriptions (one queued task per subscription at most; see
    scheduling). A broker outage only delays: the sweeper queues it later."""
    from inventory.notifications import scheduling

    scheduling.request(subscription_ids, force=force)
