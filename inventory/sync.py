"""Sync and reconcile: bring the rows a plugin instance owns in line with what its backend reports.

`sync_instance` asks the plugin for its whole inventory (outside any transaction: backends are slow), then
`reconcile` compares it with the stored rows in one transaction:

- upsert by (plugin instance, native id), with deterministic UUIDs (inventory.identity);
- skip unchanged objects by a hash of their O2 representation, so a no-change re-sync writes nothing;
- delete what disappeared (only for kinds the plugin reported; a kind it does not provide is left alone);
- write one change-log row per create, modify and delete, with the O2 state before and after;
- one reconcile of an instance at a time (its row locked first), whoever started it.

Bulk operations keep this fast at 100k objects. `apply_changes` is the partial form used by API writes and
watchers: it upserts and deletes only the objects it is given.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from inventory import bulk, changelog, identity, specs
from inventory.changelog import Change
from inventory.models import (
    AlarmDictionary,
    ChangeLogEntry,
    DeploymentManager,
    Location,
    OCloudSite,
    Resource,
    ResourcePool,
    ResourceType,
)
from netweave import context
from netweave.o2.parsers import nul_paths
from netweave.o2.spec import ObjectSpec
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000


class ReconcileError(Exception):
    """The plugin reported an inconsistent inventory (for example a resource in an unknown pool)."""


def _hashed(o2: Mapping[str, Any]) -> bytes:
    return orjson.dumps(o2, option=orjson.OPT_SORT_KEYS)


def content_hash(o2: Mapping[str, Any]) -> str:
    return hashlib.blake2b(_hashed(o2), digest_size=16).hexdigest()


NUL, REPLACEMENT = "\x00", "\ufffd"
_ESCAPED_NUL = b"\\u0000"  # how orjson writes U+0000 (an escaped backslash before u0000 also matches: rechecked)
LOGGED_NUL_REPLACEMENTS = 20


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT)
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nul(item) for item in value]
    return value


def _replace_nul(kind: Kind, native_id: str, row: dict[str, Any], result: SyncResult) -> None:
    """Replace U+0000 in the row's text and JSON values by U+FFFD, counting and logging each field it was in.

    PostgreSQL stores no NUL character in text or jsonb: a backend that reports one used to fail the whole sync
    (the API refuses NUL with a 400, but a backend's data cannot be refused object by object without deleting
    what is stored for it). docs/decisions/0016-nul-from-backends.md."""
    for column, value in row.items():
        found = list(nul_paths(value, column))
        if not found:
            continue
        row[column] = _without_nul(value)
        for where in found:
            result.nul_replaced += 1
            if result.nul_replaced <= LOGGED_NUL_REPLACEMENTS:
                logger.warning(
                    "%s %r: field %s holds a NUL character (U+0000), stored as U+FFFD",
                    kind.name,
                    native_id.replace(NUL, REPLACEMENT),
                    where.replace(NUL, "\\u0000"),
                )


@dataclass
class KindCounts:
    created: int = 0
    modified: int = 0
    deleted: int = 0
    unchanged: int = 0


@dataclass
class SyncResult:
    counts: dict[str, KindCounts] = field(default_factory=dict)
    seconds: float = 0.0
    skipped: bool = False  # the backend's fingerprint was unchanged: nothing was compared
    nul_replaced: int = 0  # fields whose NUL characters were stored as U+FFFD (_replace_nul)

    @property
    def changed(self) -> int:
        return sum(c.created + c.modified + c.deleted for c in self.counts.values())

    def summary(self) -> str:
        parts = [
            f"{kind}: +{c.created} ~{c.modified} -{c.deleted} ={c.unchanged}"
            for kind, c in self.counts.items()
            if c.created or c.modified or c.deleted or c.unchanged
        ]
        if self.skipped:
            return "unchanged since the last sync (same backend fingerprint)"
        replaced = f"; NUL characters replaced in {self.nul_replaced} fields (see the log)" if self.nul_replaced else ""
        return f"{'; '.join(parts) or 'nothing reported'}{replaced} in {self.seconds:.2f}s"


RowBuilder = Callable[[Any, uuid.UUID, "_Refs"], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """How one SDK object kind becomes rows of one model."""

    name: str
    model: type[models.Model]
    spec: ObjectSpec
    build_row: RowBuilder


class _Refs:
    """Resolves native references to O2 UUIDs and checks that the referenced objects exist.

    The ids a kind's references may point at are read when the first reference to that kind is checked (`checks`
    says how), not before: a write of ten pools without sites reads no site, type or pool ids at all.
    Also the reconcile's memo of object ids: each (kind, native id) is hashed once (uuid5 is most of a no-change
    sync's time otherwise: each resource names its type, its pool and often a parent)."""

    def __init__(self, instance_id: uuid.UUID) -> None:
        self.instance_id = instance_id
        self.checks: dict[str, Callable[[], set[uuid.UUID]]] = {}
        self._known: dict[str, set[uuid.UUID]] = {}
        self._ids: dict[str, dict[str, uuid.UUID]] = {}

    def oid(self, kind: str, native_id: str) -> uuid.UUID:
        memo = self._ids.get(kind)
        if memo is None:
            memo = self._ids[kind] = {}
        found = memo.get(native_id)
        if found is None:
            found = memo[native_id] = identity.object_uuid(self.instance_id, kind, native_id)
        return found

    def ref(self, kind: str, native_id: str, *, owner: str, field_name: str) -> uuid.UUID:
        target = self.oid(kind, native_id)
        known = self._known.get(kind)
        if known is None and kind in self.checks:
            known = self._known[kind] = self.checks[kind]()
        if known is not None and target not in known:
            raise ReconcileError(f"{owner} refers to unknown {kind} {native_id!r} in {field_name}")
        return target


def _ocloud_id() -> uuid.UUID:
    return uuid.UUID(settings.NETWEAVE_OCLOUD["oCloudId"])


def _dm_row(obj: sdk.DeploymentManager, oid: uuid.UUID, refs: _Refs) -> dict[str, Any]:
    return {
        "id": oid,
        "name": obj.name,
        "description": obj.description,
        "o_cloud_id": _ocloud_id(),
        "service_uri": obj.service_uri,
        "supported_locations": list(obj.supported_locations),
        "capabilities": dict(obj.capabilities),
        "capacity": dict(obj.capacity),
        "extensions": dict(obj.extensions),
    }


def _pool_row(obj: sdk.ResourcePool, oid: uuid.UUID, refs: _Refs) -> dict[str, Any]:
    site = obj.site_id
    return {
        "id": oid,
        "global_location_id": obj.global_location_id,
        "name": obj.name,
        "description": obj.description,
        "o_cloud_id": _ocloud_id(),
        "location": obj.location,
        "o_cloud_site_id": (
            refs.ref(identity.O_CLOUD_SITE, site, owner=f"resource pool {obj.native_id!r}", field_name="site")
            if site
            else None
        ),
        "extensions": dict(obj.extensions),
    }


def _location_row(obj: sdk.Location, oid: uuid.UUID, refs: _Refs) -> dict[str, Any]:
    return {
        "id": oid,
        "global_location_id": obj.global_location_id,
        "name": obj.name,
        "description": obj.description,
        "coordinate": dict(obj.coordinate) if obj.coordinate is not None else None,
        "civic_address": [dict(element) for element in obj.civic_address],
        "address": obj.address,
        "extensions": dict(obj.extensions),
    }


def _site_row(obj: sdk.OCloudSite, oid: uuid.UUID, refs: _Refs) -> dict[str, Any]:
    return {
        "id": oid,
        "global_location_id": obj.global_location_id,
        "name": obj.name,
        "description": obj.description,
        "extensions": dict(obj.extensions),
    }


@dataclass(frozen=True)
class DictionaryOf:
    """A resource type's embedded alarm dictionary, reconciled as an R005 AlarmDictionary of its own."""

    native_id: str  # the resource type's
    dictionary: Mapping[str, Any]


def dictionaries_of(types: Iterable[sdk.ResourceType]) -> list[DictionaryOf]:
    return [DictionaryOf(t.native_id, t.alarm_dictionary) for t in types if t.alarm_dictionary is not None]


# AlarmDictionary attributes (O2-REFERENCE.md §2) -> columns; anything else a backend puts in goes to extensions.
_DICTIONARY_COLUMNS = {
    "alarmDictionaryVersion": ("alarm_dictionary_version", ""),
    "alarmDictionarySchemaVersion": ("alarm_dictionary_schema_version", ""),
    "entityType": ("entity_type", ""),
    "vendor": ("vendor", ""),
    "managementInterfaceId": ("management_interface_id", []),
    "pkNotificationField": ("pk_notification_field", []),
    "alarmDefinition": ("alarm_definition", []),
}


def _dictionary_row(obj: DictionaryOf, oid: uuid.UUID, refs: _Refs) -> dict[str, Any]:
    row: dict[str, Any] = {"id": oid, "resource_type_id": refs.oid(identity.RESOURCE_TYPE, obj.native_id)}
    for name, (column, default) in _DICTIONARY_COLUMNS.items():
        row[column] = obj.dictionary.get(name, default)
    row["extensions"] = {k: v for k, v in obj.dictionary.items() if k not in _DICTIONARY_COLUMNS}
    return row


def _type_row(obj: sdk.ResourceType, oid: uuid.UUID, refs: _Refs) -> dict[str, Any]:
    return {
        "id": oid,
        "name": obj.name,
        "description": obj.description,
        "vendor": obj.vendor,
        "model": obj.model,
        "version": obj.version,
        "alarm_dictionary": dict(obj.alarm_dictionary) if obj.alarm_dictionary is not None else None,
        "alarm_dictionary_id": (
            refs.oid(identity.ALARM_DICTIONARY, obj.native_id) if obj.alarm_dictionary is not None else None
        ),
        "resource_kind": str(obj.resource_kind),
        "resource_class": str(obj.resource_class),
        "extensions": dict(obj.extensions),
    }


def _resource_row(obj: sdk.Resource, oid: uuid.UUID, refs: _Refs) -> dict[str, Any]:
    owner = f"resource {obj.native_id!r}"
    return {
        "id": oid,
        "resource_type_id": refs.ref(identity.RESOURCE_TYPE, obj.resource_type_id, owner=owner, field_name="type"),
        "resource_pool_id": refs.ref(identity.RESOURCE_POOL, obj.resource_pool_id, owner=owner, field_name="pool"),
        "global_asset_id": obj.global_asset_id,
        "parent_id": (
            refs.ref(identity.RESOURCE, obj.parent_id, owner=owner, field_name="parent") if obj.parent_id else None
        ),
        "description": obj.description,
        "tags": list(obj.tags),
        "groups": list(obj.groups),
        "extensions": dict(obj.extensions),
    }


# Upsert order: referenced kinds first. Deletion runs in the reverse order.
KINDS: tuple[Kind, ...] = (
    Kind(identity.LOCATION, Location, specs.LOCATION, _location_row),
    Kind(identity.O_CLOUD_SITE, OCloudSite, specs.O_CLOUD_SITE, _site_row),
    Kind(identity.RESOURCE_TYPE, ResourceType, specs.RESOURCE_TYPE, _type_row),
    Kind(identity.ALARM_DICTIONARY, AlarmDictionary, specs.ALARM_DICTIONARY, _dictionary_row),
    Kind(identity.RESOURCE_POOL, ResourcePool, specs.RESOURCE_POOL, _pool_row),
    Kind(identity.DEPLOYMENT_MANAGER, DeploymentManager, specs.DEPLOYMENT_MANAGER, _dm_row),
    Kind(identity.RESOURCE, Resource, specs.RESOURCE, _resource_row),
)
KIND_BY_NAME = {k.name: k for k in KINDS}


def _inventory_lists(inventory: sdk.Inventory) -> dict[str, Sequence[Any] | None]:
    types = inventory.resource_types
    return {
        identity.LOCATION: inventory.locations,
        identity.O_CLOUD_SITE: inventory.sites,
        identity.RESOURCE_TYPE: types,
        identity.ALARM_DICTIONARY: dictionaries_of(types) if types is not None else None,
        identity.RESOURCE_POOL: inventory.resource_pools,
        identity.DEPLOYMENT_MANAGER: inventory.deployment_managers,
        identity.RESOURCE: inventory.resources,
    }


def _state_columns(kind: Kind) -> list[str]:
    return list(dict.fromkeys(["id", *kind.spec.columns]))  # a location's O2 identifier is not its row id


def _priors(plan: _Plan, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored O2 states of these rows of the plan's kind: read with the hashes (partial) or now (full)."""
    return plan.priors if plan.priors is not None else _fetch_states(plan.kind, ids)


def _fetch_states(kind: Kind, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The stored O2 representation of the given rows, for the change log's prior state."""
    states: dict[uuid.UUID, dict[str, Any]] = {}
    id_list = list(ids)
    columns = _state_columns(kind)
    for start in range(0, len(id_list), BATCH_SIZE):
        chunk = id_list[start : start + BATCH_SIZE]
        for row in kind.model.objects.filter(id__in=chunk).values(*columns):  # type: ignore[attr-defined]
            states[row["id"]] = kind.spec.render(row)
    return states


@dataclass
class _Plan:
    kind: Kind
    creates: list[dict[str, Any]] = field(default_factory=list)  # rows by attname, for inventory.bulk.insert
    updates: list[models.Model] = field(default_factory=list)
    deletes: list[uuid.UUID] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    modified_posts: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    counts: KindCounts = field(default_factory=KindCounts)
    # A partial reconcile reads the stored states of its few objects with their hashes (one statement, not one
    # for the hashes and one per change kind for the prior states); a full one reads only the hashes of all.
    priors: dict[uuid.UUID, dict[str, Any]] | None = None


def _plan_kind(
    instance: PluginInstance,
    kind: Kind,
    objects: Sequence[Any],
    refs: _Refs,
    *,
    complete: bool,
    explicit_deletes: Iterable[str] = (),
    result: SyncResult,
) -> _Plan:
    plan = _Plan(kind)
    manager = kind.model.objects  # type: ignore[attr-defined]
    scope = manager.filter(plugin_instance=instance)
    if complete:
        existing: dict[uuid.UUID, str] = dict(scope.values_list("id", "content_hash"))
    else:
        wanted = [identity.object_uuid(instance.pk, kind.name, o.native_id) for o in objects]
        wanted += [identity.object_uuid(instance.pk, kind.name, n) for n in explicit_deletes]
        existing, plan.priors = {}, {}
        for stored in scope.filter(id__in=wanted).values(*_state_columns(kind), "content_hash"):
            existing[stored["id"]] = stored.pop("content_hash")
            plan.priors[stored["id"]] = kind.spec.render(stored)

    now = timezone.now()
    hash_fields = kind.spec.raw_fields
    seen: set[uuid.UUID] = set()
    for obj in objects:
        oid = refs.oid(kind.name, obj.native_id)
        if oid in seen:
            raise ReconcileError(f"{kind.name} {obj.native_id!r} is reported twice")
        seen.add(oid)
        row = kind.build_row(obj, oid, refs)
        hashed = _hashed({name: row[column] for name, column in hash_fields})
        native_id = obj.native_id
        if _ESCAPED_NUL in hashed or NUL in native_id:
            row["native_id"] = native_id
            _replace_nul(kind, native_id, row, result)
            native_id = row.pop("native_id")
            hashed = _hashed({name: row[column] for name, column in hash_fields})
        digest = hashlib.blake2b(hashed, digest_size=16).hexdigest()
        previous = existing.get(oid)
        if previous == digest:
            plan.counts.unchanged += 1
            continue
        o2 = kind.spec.render(row)
        row.update(plugin_instance_id=instance.pk, native_id=native_id, content_hash=digest, updated=now)
        if previous is None:
            row["created"] = now
            plan.creates.append(row)
            plan.changes.append(Change(kind.spec.object_type, oid, changelog.CREATE, None, o2))
            plan.counts.created += 1
        else:
            plan.updates.append(kind.model(**row))
            plan.modified_posts[oid] = o2
            plan.counts.modified += 1

    if complete:
        gone = [oid for oid in existing if oid not in seen]
    else:
        gone = [
            oid
            for oid in (identity.object_uuid(instance.pk, kind.name, n) for n in explicit_deletes)
            if oid in existing
        ]
    plan.deletes = gone
    plan.counts.deleted = len(gone)
    return plan


def _apply_plan(plan: _Plan) -> list[Change]:
    """Write one kind's creates and updates; return its changes (deletions are applied separately)."""
    kind = plan.kind
    manager = kind.model.objects  # type: ignore[attr-defined]
    bulk.insert(kind.model, plan.creates)
    if plan.updates:
        priors = _priors(plan, plan.modified_posts)
        update_fields = [c for c in kind.spec.columns if c != "id"] + ["content_hash", "updated"]
        update_fields = [kind.model._meta.get_field(c).name for c in update_fields]
        # One multi-row INSERT .. ON CONFLICT (id) DO UPDATE per batch: bulk_update's CASE WHEN per field and
        # row costs ~10x more to build. `created` is not in update_fields, so it keeps its stored value.
        manager.bulk_create(
            plan.updates,
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=update_fields,
        )
        plan.changes.extend(
            Change(kind.spec.object_type, oid, changelog.MODIFY, priors.get(oid), post)
            for oid, post in plan.modified_posts.items()
        )
    return plan.changes


def _apply_deletes(plan: _Plan) -> list[Change]:
    if not plan.deletes:
        return []
    kind = plan.kind
    priors = _priors(plan, plan.deletes)
    manager = kind.model.objects  # type: ignore[attr-defined]
    if kind.model is Resource:
        # Children first, so a parent and its elements can disappear in one sync.
        remaining = list(plan.deletes)
        while remaining:
            parents_of_remaining = set(
                manager.filter(parent_id__in=remaining, id__in=remaining).values_list("parent_id", flat=True)
            )
            leaves = [oid for oid in remaining if oid not in parents_of_remaining]
            for start in range(0, len(leaves), BATCH_SIZE):
                manager.filter(id__in=leaves[start : start + BATCH_SIZE]).delete()
            remaining = [oid for oid in remaining if oid in parents_of_remaining]
    else:
        for start in range(0, len(plan.deletes), BATCH_SIZE):
            manager.filter(id__in=plan.deletes[start : start + BATCH_SIZE]).delete()
    return [Change(kind.spec.object_type, oid, changelog.DELETE, priors.get(oid), None) for oid in plan.deletes]


def _known_ids(
    instance: PluginInstance, kind: Kind, objects: Sequence[Any] | None, complete: bool, refs: _Refs
) -> set[uuid.UUID]:
    """Ids a reference may point at after this reconcile: what is reported, plus (for partial reconciles or
    kinds the plugin does not report) what is already stored."""
    known: set[uuid.UUID] = set()
    if objects is not None:
        known.update(refs.oid(kind.name, o.native_id) for o in objects)
    if objects is None or not complete:
        known.update(kind.model.objects.filter(plugin_instance=instance).values_list("id", flat=True))  # type: ignore[attr-defined]
    return known


def _lock_instance(instance: PluginInstance) -> None:
    """One reconcile of an instance at a time: the periodic sync, the watcher's events, API writes and an admin's
    "sync now" all plan against what is stored, so two at once would both create the same new object (a
    duplicate-key error) or both log the same modification. Locking the instance's row first makes the second
    wait for the first's commit and plan against it. (SQLite's IMMEDIATE transactions serialise writers
    already; there `select_for_update` is a no-op.)"""
    PluginInstance.objects.select_for_update().filter(pk=instance.pk).values_list("pk").first()


def _reconcile(
    instance: PluginInstance,
    lists: Mapping[str, Sequence[Any] | None],
    *,
    complete: bool,
    deletes: Mapping[str, Iterable[str]] | None = None,
) -> SyncResult:
    started = time.monotonic()
    result = SyncResult()
    deletes = deletes or {}
    refs = _Refs(instance.pk)
    checked = [identity.O_CLOUD_SITE, identity.RESOURCE_TYPE, identity.RESOURCE_POOL]
    if lists.get(identity.RESOURCE) is not None:
        checked.append(identity.RESOURCE)
    for name in checked:
        refs.checks[name] = functools.partial(_known_ids, instance, KIND_BY_NAME[name], lists.get(name), complete, refs)

    with transaction.atomic():
        _lock_instance(instance)
        plans: list[_Plan] = []
        changes: list[Change] = []
        for kind in KINDS:
            objects = lists.get(kind.name)
            if objects is None and not deletes.get(kind.name):
                continue
            plan = _plan_kind(
                instance,
                kind,
                objects or (),
                refs,
                complete=complete,
                explicit_deletes=deletes.get(kind.name, ()),
                result=result,
            )
            plans.append(plan)
            result.counts[kind.name] = plan.counts
            changes.extend(_apply_plan(plan))
        for plan in reversed(plans):
            changes.extend(_apply_deletes(plan))
        changelog.record(changes, plugin_instance=instance)
    result.seconds = time.monotonic() - started
    return result


def reconcile(instance: PluginInstance, inventory: sdk.Inventory) -> SyncResult:
    """Make the stored inventory of `instance` equal to `inventory` (kinds reported as None are left alone)."""
    return _reconcile(instance, _inventory_lists(inventory), complete=True)


def apply_changes(
    instance: PluginInstance,
    *,
    upserts: Mapping[str, Sequence[Any]] | None = None,
    deletes: Mapping[str, Iterable[str]] | None = None,
) -> SyncResult:
    """Reconcile only the given objects (by kind name): used after API writes and for watch events.

    A resource type's alarm dictionary follows it: upserted with it, deleted when it goes or loses it."""
    lists: dict[str, Sequence[Any]] = dict(upserts or {})
    removed: dict[str, list[str]] = {kind: list(ids) for kind, ids in (deletes or {}).items()}
    types = lists.get(identity.RESOURCE_TYPE)
    gone = list(removed.get(identity.RESOURCE_TYPE, ()))
    if types:
        lists[identity.ALARM_DICTIONARY] = dictionaries_of(types)
        gone += [t.native_id for t in types if t.alarm_dictionary is None]
    if gone:
        removed[identity.ALARM_DICTIONARY] = [*removed.get(identity.ALARM_DICTIONARY, ()), *gone]
    return _reconcile(instance, lists, complete=False, deletes=removed)


def retire_instance(instance: PluginInstance) -> SyncResult:
    """Remove everything an instance owns, logging each deletion, so the instance row can be deleted."""
    with context.bind(plugin_instance_id=instance.pk):
        return reconcile(instance, sdk.Inventory([], [], [], [], locations=[], sites=[]))


# Per plugin instance: the fingerprint of the last inventory this process reconciled, and the instance's last
# change-log id right after. Process-local on purpose: a worker that has not seen an instance yet reconciles once.
_reconciled_fingerprints: dict[uuid.UUID, tuple[str, int | None]] = {}


def _last_change_id(instance: PluginInstance) -> int | None:
    return ChangeLogEntry.objects.filter(plugin_instance=instance).order_by("-id").values_list("id", flat=True).first()


def _reconcile_unless_unchanged(instance: PluginInstance, inventory: sdk.Inventory) -> SyncResult:
    """Reconcile, unless the plugin's fingerprint says the backend is as it was at the last reconcile and no
    write (API, admin, watch, another worker) touched the instance's rows since: then nothing can differ."""
    fingerprint = inventory.fingerprint
    if fingerprint and _reconciled_fingerprints.get(instance.pk) == (fingerprint, _last_change_id(instance)):
        return SyncResult(skipped=True)
    result = reconcile(instance, inventory)
    if fingerprint:
        _reconciled_fingerprints[instance.pk] = (fingerprint, _last_change_id(instance))
    return result


class SyncFailed(Exception):
    """A sync could not complete; the message is safe to show (it never carries a credential)."""


def sync_instance(instance: PluginInstance) -> SyncResult:
    """Pull the whole inventory of one IMS plugin instance and reconcile it, recording the outcome on the row."""
    from inventory.alarms import backend_health
    from plugins.registry import check_health, get_plugin
    from plugins.sdk.errors import PluginError

    started_at = timezone.now()
    PluginInstance.objects.filter(pk=instance.pk).update(last_sync_started=started_at)
    try:
        # A sync started from the admin or the API keeps that source (and its user) in the change log.
        source = context.current().source
        with context.bind(source="sync" if source == "system" else source, plugin_instance_id=instance.pk):
            plugin = get_plugin(instance)
            if not isinstance(plugin, sdk.IMSPlugin):
                raise SyncFailed(f"{instance.name} is not an IMS plugin instance")
            inventory = plugin.collect_inventory()
            result = _reconcile_unless_unchanged(instance, inventory)
    except (PluginError, ReconcileError, SyncFailed) as exc:
        message = getattr(exc, "detail", None) or str(exc)
        _record_outcome(instance, ok=False, summary=f"sync failed: {message}"[:500])
        logger.warning("sync of %s failed: %s", instance.name, message)
        backend_health.raise_backend_alarm(instance, f"sync failed: {message}")
        raise SyncFailed(message) from exc
    _record_outcome(instance, ok=True, summary=result.summary()[:500])
    check_health(instance)  # the health shown is as of this sync, not of the last time someone asked
    backend_health.clear_backend_alarm(instance)
    logger.info("sync of %s: %s", instance.name, result.summary())
    return result


def _record_outcome(instance: PluginInstance, *, ok: bool, summary: str) -> None:
    now = timezone.now()
    fields: dict[str, Any] = {"last_sync_finished": now, "last_sync_ok": ok, "last_sync_summary": summary}
    if not ok:
        fields.update(health_ok=False, health_message=summary, health_checked=now)
    PluginInstance.objects.filter(pk=instance.pk).update(**fields)
