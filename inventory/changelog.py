"""The change log: the one mechanism that records every inventory change and feeds notifications.

Writers build `Change` values and call `record()` inside the transaction that made the change. `record`
stamps them with the ambient context (source, user, request id; see netweave.context), bulk-inserts the
rows, and hands them to the registered listeners in the same transaction (the notification outbox is one),
so a change, its log row and its notifications commit or roll back together.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from inventory import bulk
from inventory.models import ChangeLogEntry
from netweave import context

CREATE = ChangeLogEntry.Action.CREATE
MODIFY = ChangeLogEntry.Action.MODIFY
DELETE = ChangeLogEntry.Action.DELETE

BATCH_SIZE = 2000


@dataclass(frozen=True)
class Change:
    object_type: str
    object_id: uuid.UUID
    action: str
    prior_state: dict[str, Any] | None
    post_state: dict[str, Any] | None


Listener = Callable[[Sequence[ChangeLogEntry]], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    """Register a function called with each batch of new entries, inside the recording transaction."""
    if listener not in _listeners:
        _listeners.append(listener)


def object_name(prior: Any, post: Any) -> str:
    """The name an entry is found by: the object's `name` after the change (before it, for a deletion)."""
    for state in (post, prior):
        if isinstance(state, dict) and isinstance(state.get("name"), str):
            return str(state["name"])[:255]
    return ""


def record(changes: Sequence[Change], *, plugin_instance: Any = None) -> list[ChangeLogEntry]:
    """Write change-log rows for `changes` with the current context. Must run inside a transaction."""
    if not changes:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("changelog.record() must be called inside the transaction that made the change")
    ctx = context.current()
    now = timezone.now()
    instance_id = plugin_instance.pk if plugin_instance is not None else ctx.plugin_instance_id
    instance_name = plugin_instance.name if plugin_instance is not None else ""
    actor = ctx.actor
    if not actor and ctx.source in ("sync", "watch") and instance_name:
        actor = f"{ctx.source} by {instance_name}"
    rows = [
        {
            "time": now,
            "object_type": change.object_type,
            "object_id": change.object_id,
            "object_name": object_name(change.prior_state, change.post_state),
            "action": change.action,
            "prior_state": change.prior_state,
            "post_state": change.post_state,
            "source": ctx.source,
            "plugin_instance_id": instance_id,
            "plugin_instance_name": instance_name,
            "user_id": ctx.user_id,
            "request_id": ctx.request_id,
            "actor": actor[:200],
        }
        for change in changes
    ]
    if bulk.uses_copy(ChangeLogEntry, len(rows)):
        # Large batches (a first sync) are COPYed: ids come from the sequence first, for the listeners.
        for row, entry_id in zip(rows, bulk.allocate_ids(ChangeLogEntry, len(rows)), strict=True):
            row["id"] = entry_id
        bulk.insert(ChangeLogEntry, rows)
        created = [ChangeLogEntry(**row) for row in rows]
    else:
        created = ChangeLogEntry.objects.bulk_create([ChangeLogEntry(**row) for row in rows], batch_size=BATCH_SIZE)
    for listener in _listeners:
        listener(created)
    return created
