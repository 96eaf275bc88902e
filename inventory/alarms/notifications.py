"""AlarmEventNotifications (O2-REFERENCE.md §6) through the inventory's durable outbox.

A change-log listener turns each AlarmEventRecord change into outbox rows for the alarm subscriptions whose
filter lets it through, in the transaction of the change; delivery, retries, expiry and the sweeper are the
inventory notification machinery's (docs/notifications.md), unchanged.

The event type comes from the change: a new record is NEW (0); a change that sets perceivedSeverity to 5 is
CLEAR (2); one that sets alarmAcknowledged is ACKNOWLEDGE (3); any other change is CHANGE (1). Purging a
cleared record after the retention period notifies nobody.

Filters have the documented SOL013 semantics of inventory subscription filters
(docs/decisions/0004-subscription-filters.md): a filter selects the alarms reported, evaluated over the
record's state after the change or before it; no filter reports every alarm.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings

from inventory.alarms.models import AlarmSubscription, PerceivedSeverity
from inventory.alarms.specs import ALARM_EVENT_RECORD
from inventory.models import ChangeLogEntry, Subscription
from inventory.notifications.outbox import fan_out
from netweave.o2.query import FilterTerm, matches, parse_filter
from netweave.o2.urls import public_url

NEW, CHANGE, CLEAR, ACKNOWLEDGE = 0, 1, 2, 3
MONITORING = "/o2ims-infrastructureMonitoring/v1"


def parse_alarm_filter(raw: str) -> list[FilterTerm]:
    """Parse and check an alarm subscription filter over AlarmEventRecord attributes (400 naming the term)."""
    terms = parse_filter(raw)
    matches(terms, ALARM_EVENT_RECORD, {})  # raises BadRequest for unknown attributes or mistyped values
    return terms


def event_type(action: str, prior: Mapping[str, Any] | None, post: Mapping[str, Any] | None) -> int | None:
    """The notificationEventType of one AlarmEventRecord change; None for a purge."""
    if action == ChangeLogEntry.Action.CREATE:
        return NEW
    if action == ChangeLogEntry.Action.DELETE or post is None:
        return None
    prior = prior or {}
    if post.get("perceivedSeverity") == PerceivedSeverity.CLEARED and prior.get("perceivedSeverity") != 5:
        return CLEAR
    if post.get("alarmAcknowledged") and not prior.get("alarmAcknowledged"):
        return ACKNOWLEDGE
    return CHANGE


def build_payload(entry: ChangeLogEntry, subscription: Subscription, event: int) -> dict[str, Any]:
    state: dict[str, Any] = dict(entry.post_state or {})
    payload: dict[str, Any] = {
        "notificationId": str(uuid.uuid4()),
        "globalCloudID": str(settings.NETWEAVE_OCLOUD["globalCloudId"]),
    }
    if subscription.consumer_subscription_id is not None:
        payload["consumerSubscriptionId"] = subscription.consumer_subscription_id
    payload["notificationEventType"] = event
    payload["objectRef"] = public_url(f"{MONITORING}/alarms/{entry.object_id}")
    payload.update(state)
    return payload


def _passes(terms: Sequence[FilterTerm], entry: ChangeLogEntry) -> bool:
    if not terms:
        return True
    return any(
        state is not None and matches(terms, ALARM_EVENT_RECORD, state)
        for state in (entry.post_state, entry.prior_state)
    )


def _payload(entry: ChangeLogEntry, subscription: Subscription) -> dict[str, Any] | None:
    event = event_type(entry.action, entry.prior_state, entry.post_state)
    return None if event is None else build_payload(entry, subscription, event)


def record_alarm_notifications(entries: Sequence[ChangeLogEntry]) -> None:
    """Change-log listener: outbox rows for the alarm changes among `entries` (a purge notifies nobody)."""
    alarms = [e for e in entries if e.object_type == ALARM_EVENT_RECORD.object_type]
    if alarms:
        fan_out(alarms, AlarmSubscription.objects.all(), parse_alarm_filter, _passes, _payload)
