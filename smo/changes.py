"""Reading the change log in order, safely, and turning entries into what SMO plugins take.

The change log's ids come from a sequence: on PostgreSQL a transaction that took id 41 may commit after the one
that took 42. A cursor that jumped to 42 would never see 41. So a consumer reads only the contiguous run after
its position; at a hole it stops and remembers when it first saw it. A hole still there after
NETWEAVE_SMO_GAP_WAIT seconds was a rolled-back transaction (or purged rows) and is stepped over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from inventory import specs
from inventory.models import ChangeLogEntry
from plugins.sdk.smo import DeploymentEvent, InfrastructureEvent, InfrastructureInventory, RemovedObject, SyncedObject

# Object types that make up the infrastructure inventory pushed northbound, and the inventory field for each.
INVENTORY_FIELDS = {
    specs.LOCATION.object_type: "locations",
    specs.O_CLOUD_SITE.object_type: "sites",
    specs.RESOURCE_TYPE.object_type: "resource_types",
    specs.ALARM_DICTIONARY.object_type: "alarm_dictionaries",
    specs.RESOURCE_POOL.object_type: "resource_pools",
    specs.DEPLOYMENT_MANAGER.object_type: "deployment_managers",
    specs.RESOURCE.object_type: "resources",
}
OCLOUD_TYPE = specs.OCLOUD.object_type
# Workflow executions are logged for audit; the SMO that runs them is not sent them back as events.
NOT_EVENTS = frozenset({"SmoWorkflowExecution"})
DEPLOYMENT_TYPES = frozenset({"NfDeploymentDescriptor", "NfDeployment", "NfDeploymentOperation"})


@dataclass(frozen=True)
class Gap:
    after: int | None = None
    seen: dt.datetime | None = None


def gap_wait() -> dt.timedelta:
    return dt.timedelta(seconds=float(getattr(settings, "NETWEAVE_SMO_GAP_WAIT", 30.0)))


def head() -> int:
    """The newest change-log id (0 when the log is empty)."""
    return int(ChangeLogEntry.objects.aggregate(m=Max("id"))["m"] or 0)


def contiguous_after(position: int, limit: int, gap: Gap) -> tuple[list[ChangeLogEntry], Gap]:
    """Up to `limit` entries after `position` with no hole between them, and the hole state to keep."""
    rows = list(ChangeLogEntry.objects.filter(id__gt=position).order_by("id")[:limit])
    now = timezone.now()
    taken: list[ChangeLogEntry] = []
    expected = position + 1
    for row in rows:
        if row.id != expected:
            after = expected - 1
            if gap.after == after and gap.seen is not None and now - gap.seen >= gap_wait():
                gap = Gap()  # waited long enough: nothing will fill it
            else:
                return taken, gap if gap.after == after else Gap(after, now)
        taken.append(row)
        expected = row.id + 1
    return taken, Gap() if gap.after is not None and gap.after < expected - 1 else gap


def event_payload(entry: ChangeLogEntry, instance_name: str) -> dict[str, Any]:
    """The stored form of an outbound event: the change, with an id stable across re-sends."""
    return {
        "eventId": f"netweave-{instance_name}-{entry.id}",
        "sequence": entry.id,
        "time": entry.time.isoformat(),
        "eventType": entry.action,
        "objectType": entry.object_type,
        "objectId": str(entry.object_id),
        "source": entry.source,
        "priorObjectState": entry.prior_state,
        "postObjectState": entry.post_state,
    }


def to_event(payload: Mapping[str, Any]) -> InfrastructureEvent | DeploymentEvent:
    """The SDK event for a stored outbound event."""
    state = {"priorObjectState": payload["priorObjectState"], "postObjectState": payload["postObjectState"]}
    common = {
        "event_type": payload["eventType"],
        "payload": state,
        "event_id": payload["eventId"],
        "time": payload["time"],
        "sequence": payload["sequence"],
    }
    if payload["objectType"] in DEPLOYMENT_TYPES:
        return DeploymentEvent(deployment_id=payload["objectId"], object_type=payload["objectType"], **common)
    return InfrastructureEvent(object_type=payload["objectType"], object_id=payload["objectId"], **common)


def object_key(entry: ChangeLogEntry) -> str:
    """The O2 identifier of an entry's object: a location's is its globalLocationId (the change log keys it by the
    row's UUID); every other object's is the change log's object id."""
    if entry.object_type == specs.LOCATION.object_type:
        state = entry.post_state or entry.prior_state or {}
        if state.get("globalLocationId"):
            return str(state["globalLocationId"])
    return str(entry.object_id)


def incremental_inventory(
    entries: Sequence[ChangeLogEntry], ocloud: Mapping[str, Any], known: Mapping[str, SyncedObject]
) -> InfrastructureInventory | None:
    """The inventory objects `entries` changed, each in its latest state, and those they removed; None when the
    entries touch no inventory object (alarms, deployments, workflow executions only go out as events)."""
    latest: dict[tuple[str, str], ChangeLogEntry] = {}
    for entry in entries:
        if entry.object_type in INVENTORY_FIELDS or entry.object_type == OCLOUD_TYPE:
            latest[(entry.object_type, object_key(entry))] = entry
    if not latest:
        return None
    lists: dict[str, list[Mapping[str, Any]]] = {name: [] for name in INVENTORY_FIELDS.values()}
    removed: list[RemovedObject] = []
    for (object_type, object_id), entry in latest.items():
        if entry.action == ChangeLogEntry.Action.DELETE:
            removed.append(RemovedObject(object_type, object_id, entry.prior_state or {}))
        elif object_type != OCLOUD_TYPE and entry.post_state is not None:
            lists[INVENTORY_FIELDS[object_type]].append(entry.post_state)
    return InfrastructureInventory(ocloud=ocloud, complete=False, removed=removed, known=known, **lists)


def pushed_count(inventory: InfrastructureInventory) -> int:
    """How many objects a push carries (the O-Cloud counts in a full sync, where it is pushed as an object)."""
    lists = [getattr(inventory, name) for name in INVENTORY_FIELDS.values()]
    return int(inventory.complete) + sum(len(items) for items in lists) + len(inventory.removed)
