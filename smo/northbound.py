"""Northbound sync: one step per SMO plugin instance pushes the change log to the SMO.

A step (`step(instance)`) holds the instance's lease (a conditional UPDATE, so no transaction stays open while
the SMO is called; SQLite has one writer), renewed by a heartbeat thread while the step runs, so a full sync
longer than the lease is not joined by a second worker; a killed worker's lease expires. Only its holder gives
the lease back, and a push's mapping and position are committed only while the step still holds it. It then:

1. copies new change-log entries into the event outbox, in one transaction with the cursor move (exactly once);
2. pushes inventory: a full sync the first time and on demand, else the changed objects since `position`. The
   target position is committed as `inflight_upto` before the push and becomes `position` after it. A step that
   finds `inflight_upto` already set knows a push was interrupted (worker kill, SMO failure): it pushes the same
   entries again and adds them to `duplicates`, since they may have reached the SMO the first time;
3. publishes pending events in order, in batches, with the same claim-then-confirm accounting.

Failures back off exponentially (the notification delivery's backoff), separately for inventory and events, so
an A&AI outage does not hold back Kafka and the other way round.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from inventory import specs
from inventory.models import OCloud
from inventory.notifications.delivery import backoff
from inventory.ocloud import ensure_ocloud
from inventory.sync import KINDS
from plugins.models import PluginInstance, RoutingRule
from plugins.registry import get_plugin
from plugins.sdk.base import Capability, PluginCategory
from plugins.sdk.errors import PluginError
from plugins.sdk.smo import InfrastructureInventory, SMOPlugin, SyncedObject
from smo import changes
from smo.models import NorthboundCursor, ObjectMapping, OutboundEvent

logger = logging.getLogger(__name__)

BATCH = 1000  # change-log entries per incremental push
CAPTURE_BATCH = 5000
ERROR_MAX = 500


@dataclass
class StepResult:
    """What one step did; `more` asks the caller to step again at once (a backlog remains)."""

    leased: bool = True
    full_sync: bool = False
    pushed: int = 0
    events: int = 0
    more: bool = False
    errors: list[str] = field(default_factory=list)


def lease_seconds() -> float:
    return float(getattr(settings, "NETWEAVE_SMO_LEASE_SECONDS", 120.0))


def cursor_for(instance: PluginInstance) -> NorthboundCursor:
    cursor, _ = NorthboundCursor.objects.get_or_create(instance=instance)
    return cursor


class LeaseLost(Exception):
    """Another worker took the instance's lease (this one's expired unrenewed): the step stops before writing."""


def _owner_tag() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _acquire(cursor: NorthboundCursor) -> bool:
    """Take the lease if it is free or expired; the cursor object remembers this worker's tag."""
    now = timezone.now()
    owner = _owner_tag()
    taken = (
        NorthboundCursor.objects.filter(pk=cursor.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + dt.timedelta(seconds=lease_seconds()), lease_owner=owner)
    )
    if taken == 1:
        cursor.lease_owner = owner
    return taken == 1


def _renew(cursor: NorthboundCursor) -> bool:
    """Extend the lease by a full term if this worker still holds it; False when another worker has it."""
    until = timezone.now() + dt.timedelta(seconds=lease_seconds())
    held = NorthboundCursor.objects.filter(pk=cursor.pk, lease_owner=cursor.lease_owner)
    return held.update(lease_until=until) == 1


def _release(cursor: NorthboundCursor) -> None:
    """Give the lease back, unless another worker holds it by now."""
    NorthboundCursor.objects.filter(pk=cursor.pk, lease_owner=cursor.lease_owner).update(
        lease_until=None, lease_owner=""
    )


def _heartbeat(cursor: NorthboundCursor, stop: threading.Event) -> None:
    """Renew the lease every third of its term until `stop`; a database error is retried at the next beat."""
    try:
        while not stop.wait(lease_seconds() / 3):
            try:
                if not _renew(cursor):
                    logger.warning("SMO northbound lease of %s was taken by another worker", cursor.instance_id)
                    return
            except DatabaseError as exc:
                logger.warning("SMO northbound lease of %s not renewed: %s", cursor.instance_id, exc)
    finally:
        connections.close_all()  # this thread's connections only


@contextmanager
def _kept(cursor: NorthboundCursor) -> Iterator[None]:
    """Keep the lease alive, from a thread of its own, for as long as the block runs."""
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(cursor, stop), name="smo-lease", daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()


@contextmanager
def _while_held(cursor: NorthboundCursor) -> Iterator[None]:
    """A transaction whose first write renews this worker's lease: it commits only while the lease is held (the
    renewal locks the cursor row, so no other worker can take the lease before the commit)."""
    with transaction.atomic():
        if not _renew(cursor):
            raise LeaseLost
        yield


def _save(cursor: NorthboundCursor, **values: Any) -> None:
    NorthboundCursor.objects.filter(pk=cursor.pk).update(**values)
    for name, value in values.items():
        if not hasattr(value, "resolve_expression"):
            setattr(cursor, name, value)
    if any(hasattr(value, "resolve_expression") for value in values.values()):
        cursor.refresh_from_db()


def safe_message(exc: BaseException) -> str:
    if isinstance(exc, PluginError):
        return exc.detail[:ERROR_MAX]
    return f"Unexpected error ({type(exc).__name__}); see the netweave log for details."


def smo_plugin(instance: PluginInstance) -> SMOPlugin:
    plugin = get_plugin(instance)
    if not isinstance(plugin, SMOPlugin):
        raise PluginError(f"Plugin instance '{instance.name}' is not an SMO plugin.")
    return plugin


def syncs_inventory(plugin: SMOPlugin) -> bool:
    return Capability.INVENTORY_SYNC in plugin.capabilities()


# --- inventory ------------------------------------------------------------------------------------------------


def known_mapping(instance: PluginInstance, object_ids: Sequence[str] | None = None) -> dict[str, SyncedObject]:
    rows = ObjectMapping.objects.filter(instance=instance)
    if object_ids is not None:
        rows = rows.filter(object_id__in=list(object_ids))
    return {
        row.object_id: SyncedObject(row.object_type, row.object_id, row.smo_id, row.smo_version)
        for row in rows.iterator()
    }


def full_inventory(known: Mapping[str, SyncedObject]) -> InfrastructureInventory:
    """Everything netweave holds that an SMO is sent (changes.INVENTORY_FIELDS: the R003 kinds and R005
    locations, sites and alarm dictionaries), as the O2 API renders it."""
    ocloud = specs.OCLOUD.render(ensure_ocloud())
    lists: dict[str, Any] = {}
    for kind in KINDS:
        field = changes.INVENTORY_FIELDS.get(kind.spec.object_type)
        if field is None:
            continue
        rows = kind.model.objects.order_by("id").values(*kind.spec.columns)  # type: ignore[attr-defined]
        lists[field] = [kind.spec.render(row) for row in rows.iterator()]
    return InfrastructureInventory(ocloud=ocloud, complete=True, known=known, **lists)


def _ocloud_state() -> dict[str, Any]:
    row = OCloud.objects.values(*specs.OCLOUD.columns).first()
    return specs.OCLOUD.render(row) if row is not None else specs.OCLOUD.render(ensure_ocloud())


MAPPING_CHUNK = 900  # object ids per DELETE ... IN (...): well under SQLite's and PostgreSQL's parameter limits


def _store_mapping(
    instance: PluginInstance, inventory: InfrastructureInventory, synced: Sequence[SyncedObject] | None
) -> None:
    """Replace the mapping rows of what was pushed (all of them after a full sync) in one transaction."""
    with transaction.atomic():
        rows = ObjectMapping.objects.filter(instance=instance)
        replaced: list[str] = []
        if inventory.complete and synced is not None:
            rows.delete()
        else:
            replaced = [removed.object_id for removed in inventory.removed] + [s.object_id for s in synced or ()]
        for start in range(0, len(replaced), MAPPING_CHUNK):
            rows.filter(object_id__in=replaced[start : start + MAPPING_CHUNK]).delete()
        if synced:
            _insert_mapping(instance, synced)


def _insert_mapping(instance: PluginInstance, synced: Sequence[SyncedObject]) -> None:
    """One prepared INSERT run for every row (executemany). Django's bulk_create compiles each field of each row
    into SQL and was most of the database time of a 100,000-object full sync."""
    quote = connection.ops.quote_name
    columns = ("instance_id", "object_type", "object_id", "smo_id", "smo_version", "updated")
    # Only the model's own table and column names go into the text; every value is a bound parameter.
    sql = (
        f"INSERT INTO {quote(ObjectMapping._meta.db_table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    fields = {field.name: field for field in ObjectMapping._meta.concrete_fields}
    owner = fields["instance"].get_db_prep_value(instance.pk, connection)
    updated = fields["updated"].get_db_prep_value(timezone.now(), connection)
    rows = [(owner, str(s.object_type), str(s.object_id), str(s.smo_id), str(s.smo_version), updated) for s in synced]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _push(cursor: NorthboundCursor, plugin: SMOPlugin, result: StepResult) -> None:
    """One inventory push (full or incremental), with the in-flight accounting."""
    instance = cursor.instance
    interrupted = cursor.inflight_upto is not None
    if cursor.full_sync_requested:
        ensure_ocloud()  # may log the O-Cloud's creation: before the snapshot position, not after it
        target = changes.head()
        inventory = full_inventory(known_mapping(instance))
        result.full_sync = True
    else:
        limit = BATCH
        if interrupted:
            assert cursor.inflight_upto is not None
            limit = max(cursor.inflight_upto - cursor.position, 1)
        entries, gap = changes.contiguous_after(cursor.position, limit, changes.Gap(cursor.gap_after, cursor.gap_seen))
        if interrupted:
            entries = [e for e in entries if cursor.inflight_upto is not None and e.id <= cursor.inflight_upto]
        _save(cursor, gap_after=gap.after, gap_seen=gap.seen)
        if not entries:
            return
        target = entries[-1].id
        result.more = len(entries) >= BATCH
        ids = sorted({changes.object_key(e) for e in entries})
        pending = changes.incremental_inventory(entries, _ocloud_state(), known_mapping(instance, ids))
        if pending is None:  # nothing for the inventory in these entries: move on
            _save(cursor, position=target, inflight_upto=None, inflight_count=0)
            return
        inventory = pending
    count = changes.pushed_count(inventory)
    if interrupted and cursor.inflight_count:
        _save(cursor, duplicates=F("duplicates") + min(cursor.inflight_count, count))
    _save(cursor, inflight_upto=target, inflight_count=count)
    synced = plugin.sync_infrastructure_inventory(inventory)
    with _while_held(cursor):
        _store_mapping(instance, inventory, synced)
        _save_pushed(cursor, target, count, inventory)
    result.pushed += count


def _save_pushed(cursor: NorthboundCursor, target: int, count: int, inventory: InfrastructureInventory) -> None:
    now = timezone.now()
    values: dict[str, Any] = {
        "position": max(target, cursor.position),
        "inflight_upto": None,
        "inflight_count": 0,
        "attempts": 0,
        "next_attempt": None,
        "last_push": now,
        "objects_pushed": F("objects_pushed") + (count - len(inventory.removed)),
        "objects_deleted": F("objects_deleted") + len(inventory.removed),
    }
    if inventory.complete:
        values.update(full_sync_requested=False, last_full_sync=now, gap_after=None, gap_seen=None)
    _save(cursor, **values)


# --- events ---------------------------------------------------------------------------------------------------


def capture_events(cursor: NorthboundCursor) -> int:
    """Copy new change-log entries into this instance's event outbox; the copy and the cursor move commit together."""
    with transaction.atomic():
        locked = NorthboundCursor.objects.select_for_update().get(pk=cursor.pk)
        if (
            locked.event_position == 0
            and locked.last_full_sync is None
            and not OutboundEvent.objects.filter(instance_id=cursor.instance_id).exists()
        ):
            # A new instance starts its events at the head: its full sync carries the past.
            locked.event_position = changes.head()
        entries, gap = changes.contiguous_after(
            locked.event_position, CAPTURE_BATCH, changes.Gap(locked.event_gap_after, locked.event_gap_seen)
        )
        now = timezone.now()
        OutboundEvent.objects.bulk_create(
            [
                OutboundEvent(
                    instance_id=cursor.instance_id,
                    change_id=entry.id,
                    payload=changes.event_payload(entry, cursor.instance.name),
                    created=now,
                )
                for entry in entries
                if entry.object_type not in changes.NOT_EVENTS
            ],
            batch_size=2000,
            ignore_conflicts=True,
        )
        position = entries[-1].id if entries else locked.event_position
        NorthboundCursor.objects.filter(pk=cursor.pk).update(
            event_position=position, event_gap_after=gap.after, event_gap_seen=gap.seen
        )
        cursor.event_position = position
    return len(entries)


def publish_pending(cursor: NorthboundCursor, plugin: SMOPlugin, result: StepResult) -> None:
    """Publish the oldest pending events, one batch; claimed before the call, confirmed after it."""
    batch = list(
        OutboundEvent.objects.filter(instance_id=cursor.instance_id, status=OutboundEvent.Status.PENDING).order_by(
            "change_id"
        )[: max(plugin.event_batch_size(), 1)]
    )
    if not batch:
        return
    ids = [event.pk for event in batch]
    again = sum(1 for event in batch if event.claimed is not None)
    now = timezone.now()
    OutboundEvent.objects.filter(pk__in=ids).update(claimed=now, attempts=F("attempts") + 1)
    if again:
        _save(cursor, duplicates=F("duplicates") + again)
    plugin.publish_events([changes.to_event(event.payload) for event in batch])
    with _while_held(cursor):
        published = OutboundEvent.objects.filter(pk__in=ids)
        published.update(status=OutboundEvent.Status.PUBLISHED, published=timezone.now())
        _save(cursor, events_published=F("events_published") + len(batch), event_attempts=0, event_next_attempt=None)
    result.events += len(batch)
    result.more = result.more or len(batch) >= plugin.event_batch_size()


# --- the step -------------------------------------------------------------------------------------------------


def _failed(cursor: NorthboundCursor, exc: BaseException, *, events: bool, result: StepResult) -> None:
    message = safe_message(exc)
    if not isinstance(exc, PluginError):
        logger.exception("SMO northbound step for %s failed", cursor.instance.name)
    else:
        logger.warning("SMO northbound step for %s failed: %s", cursor.instance.name, message)
    now = timezone.now()
    attempts = (cursor.event_attempts if events else cursor.attempts) + 1
    delay = dt.timedelta(seconds=backoff(attempts))
    prefix = "events: " if events else "inventory: "
    values: dict[str, Any] = {
        "last_error": (prefix + message)[:ERROR_MAX],
        "last_error_time": now,
        "errors": F("errors") + 1,
    }
    if events:
        values.update(event_attempts=attempts, event_next_attempt=now + delay)
    else:
        values.update(attempts=attempts, next_attempt=now + delay)
    _save(cursor, **values)
    result.errors.append(prefix + message)


def _attempt(
    work: Callable[[NorthboundCursor, SMOPlugin, StepResult], None],
    cursor: NorthboundCursor,
    plugin: SMOPlugin,
    result: StepResult,
    *,
    events: bool,
) -> None:
    """Run one part of a step; its failure is recorded with its own back-off. A lost lease ends the step."""
    try:
        work(cursor, plugin, result)
    except LeaseLost:
        raise
    except Exception as exc:
        _failed(cursor, exc, events=events, result=result)


def step(instance: PluginInstance) -> StepResult:
    """One round of northbound work for `instance`; a no-op when another worker holds it."""
    cursor = cursor_for(instance)
    if not _acquire(cursor):
        return StepResult(leased=False)
    result = StepResult()
    try:
        with _kept(cursor):
            _step(cursor, instance, result)
    except LeaseLost:
        message = "lease lost: another worker took over this instance; it pushes the same changes again"
        logger.warning("SMO northbound step for %s stopped: %s", instance.name, message)
        result.errors.append(message)
    finally:
        _release(cursor)
    return result


def _step(cursor: NorthboundCursor, instance: PluginInstance, result: StepResult) -> None:
    try:
        plugin = smo_plugin(instance)
    except Exception as exc:
        _failed(cursor, exc, events=False, result=result)
        return
    ensure_ocloud()  # a new O-Cloud row is logged before the events start, not in the middle of a full sync
    now = timezone.now()
    if plugin.publishes_events():
        capture_events(cursor)
    if syncs_inventory(plugin) and (cursor.next_attempt is None or cursor.next_attempt <= now):
        _attempt(_push, cursor, plugin, result, events=False)
    if plugin.publishes_events() and (cursor.event_next_attempt is None or cursor.event_next_attempt <= now):
        _attempt(publish_pending, cursor, plugin, result, events=True)
    if not result.errors and cursor.last_error and cursor.attempts == 0 and cursor.event_attempts == 0:
        _save(cursor, last_error="")


def northbound_instances() -> QuerySet[PluginInstance]:
    """The enabled SMO instances that get the northbound push: the ones named by enabled SMO routing rules with
    `mode: northbound` when there are such rules (plugins.yaml `routing.smo.rules`), else every enabled one."""
    instances = PluginInstance.objects.filter(category=PluginCategory.SMO, enabled=True)
    rules = RoutingRule.objects.filter(category=PluginCategory.SMO, mode="northbound", enabled=True)
    if rules.exists():
        instances = instances.filter(pk__in=rules.values("plugin_instance_id"))
    return instances


def request_full_sync(instance: PluginInstance) -> None:
    """Ask for a full sync at the next step (the admin's "full resync")."""
    cursor = cursor_for(instance)
    _save(cursor, full_sync_requested=True, attempts=0, next_attempt=None)


def lag(cursor: NorthboundCursor, head: int | None = None) -> int:
    """Change-log entries not yet pushed to this SMO (the position against the head of the log)."""
    return max((changes.head() if head is None else head) - cursor.position, 0)


def preview(instance: PluginInstance, object_type: str, object_id: str) -> dict[str, Any]:
    """What the plugin would push for one object now: its O2 state and the plugin's rendering of it."""
    state = current_state(object_type, object_id)
    if state is None:
        raise PluginError(f"No {object_type} with id '{object_id}'.")
    mapped = known_mapping(instance, [object_id]).get(object_id)
    return {
        "objectType": object_type,
        "objectId": object_id,
        "o2State": state,
        "mapping": None if mapped is None else {"smoId": mapped.smo_id, "smoVersion": mapped.smo_version},
        "payload": smo_plugin(instance).render_northbound(object_type, state),
    }


def current_state(object_type: str, object_id: str) -> dict[str, Any] | None:
    """The object's O2 state now; None when there is no such object (or the id is not a UUID)."""
    try:
        uuid.UUID(object_id)
    except ValueError:
        return None
    if object_type == changes.OCLOUD_TYPE:
        return _ocloud_state()
    for kind in KINDS:
        if kind.spec.object_type == object_type:
            row = kind.model.objects.filter(pk=object_id).values(*kind.spec.columns).first()  # type: ignore[attr-defined]
            return kind.spec.render(row) if row is not None else None
    return None
