"""Pure functions: SDK values -> the native O2 JSON bodies and template contexts, and answers -> SDK values.

The native body of `syncInventory` is one batch: {"complete", "batch", "batches", "oCloud", "objects": [{objectType,
objectId, state}], "removed": [{objectType, objectId}]}; of `publishEvents`: {"events": [event, ...]} where an
event is what the smo app stores (eventId, sequence, time, eventType, objectType, objectId, prior/post state).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from plugins.sdk.smo import DeploymentEvent, InfrastructureEvent, InfrastructureInventory

ID_FIELDS = {
    "LocationInfo": "globalLocationId",
    "OCloudSiteInfo": "oCloudSiteId",
    "ResourceTypeInfo": "resourceTypeId",
    "AlarmDictionaryInfo": "alarmDictionaryId",
    "ResourcePoolInfo": "resourcePoolId",
    "DeploymentManagerInfo": "deploymentManagerId",
    "ResourceInfo": "resourceId",
    "CloudInfo": "oCloudId",
}


def inventory_objects(inventory: InfrastructureInventory) -> list[dict[str, Any]]:
    """Every object of the inventory as {objectType, objectId, state}, parents before children."""
    out: list[dict[str, Any]] = []
    for object_type, items in (
        ("LocationInfo", inventory.locations),
        ("OCloudSiteInfo", inventory.sites),
        ("ResourceTypeInfo", inventory.resource_types),
        ("AlarmDictionaryInfo", inventory.alarm_dictionaries),
        ("ResourcePoolInfo", inventory.resource_pools),
        ("DeploymentManagerInfo", inventory.deployment_managers),
        ("ResourceInfo", inventory.resources),
    ):
        for state in items:
            out.append(
                {"objectType": object_type, "objectId": str(state[ID_FIELDS[object_type]]), "state": dict(state)}
            )
    return out


def inventory_batches(inventory: InfrastructureInventory, size: int) -> Iterator[dict[str, Any]]:
    """The inventory split into bodies of at most `size` objects and removals (at least one body)."""
    objects = inventory_objects(inventory)
    removed = [{"objectType": r.object_type, "objectId": r.object_id} for r in inventory.removed]
    items: list[tuple[str, dict[str, Any]]] = [("objects", o) for o in objects] + [("removed", r) for r in removed]
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    for index, chunk in enumerate(chunks):
        yield {
            "complete": inventory.complete,
            "batch": index + 1,
            "batches": len(chunks),
            "oCloud": dict(inventory.ocloud),
            "objects": [item for key, item in chunk if key == "objects"],
            "removed": [item for key, item in chunk if key == "removed"],
        }


def event_body(event: InfrastructureEvent | DeploymentEvent) -> dict[str, Any]:
    object_id = event.deployment_id if isinstance(event, DeploymentEvent) else event.object_id
    return {
        "eventId": event.event_id,
        "sequence": event.sequence,
        "time": event.time,
        "eventType": event.event_type,
        "objectType": event.object_type,
        "objectId": object_id,
        "priorObjectState": event.payload.get("priorObjectState"),
        "postObjectState": event.payload.get("postObjectState"),
    }


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def pick(body: Any, dotted: str) -> Any:
    """The value at a dotted path of a JSON answer (None when absent)."""
    value = body
    for part in dotted.split(".") if dotted else []:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value
