"""Realtime events as differences between two derived inventories.

A plugin that keeps a snapshot of its backend (a Kubernetes informer, a vSphere PropertyCollector watch) re-derives
the O2 inventory after each batch of native changes and reports what differs from the inventory it reported
before. Reports are differences between derived states, so a relist after a lost watch is just another snapshot:
whatever changed meanwhile is reported, nothing twice.
"""

from __future__ import annotations

from typing import Any

from plugins.sdk.ims import Inventory, InventoryEvent

INVENTORY_KINDS = (
    ("location", "locations"),
    ("oCloudSite", "sites"),
    ("deploymentManager", "deployment_managers"),
    ("resourcePool", "resource_pools"),
    ("resourceType", "resource_types"),
    ("resource", "resources"),
)
State = dict[tuple[str, str], Any]


def flatten(inventory: Inventory) -> State:
    """(event kind, native id) -> object, for every object of a derived inventory."""
    return {(kind, obj.native_id): obj for kind, attr in INVENTORY_KINDS for obj in getattr(inventory, attr) or ()}


def differences(before: State, after: State) -> list[InventoryEvent]:
    """Events that turn `before` into `after`, in an order reconcile accepts one by one: what others refer to
    (deployment managers, types, pools) is created or changed before the resources that refer to it, and
    resources are deleted before the pools and types they referred to."""
    order = {kind: rank for rank, (kind, _) in enumerate(INVENTORY_KINDS)}
    upserts = sorted(
        ((kind, native_id) for (kind, native_id), obj in after.items() if before.get((kind, native_id)) != obj),
        key=lambda key: order[key[0]],
    )
    deletes = sorted(before.keys() - after.keys(), key=lambda key: -order[key[0]])
    return [InventoryEvent(kind, native_id, after[(kind, native_id)]) for kind, native_id in upserts] + [
        InventoryEvent(kind, native_id, None) for kind, native_id in deletes
    ]
