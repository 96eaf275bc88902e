"""O2dms change notifications: NfDeploymentDescriptor, NfDeployment and operation changes for DMS subscribers.

O2-REFERENCE.md §7 defines no O2dms subscription resource, so netweave serves one as a documented extension
(`/netweave-dms-ext/v1/subscriptions`, docs/notifications.md). A change-log listener turns each O2dms change
into outbox rows for the DMS subscriptions whose filter lets it through, in the transaction of the change; the
delivery worker, retries, expiry, the sweeper and the SMO authentication are the inventory machinery's.

The notification has the InventoryChangeNotification's shape (§5) plus what an SMO needs to place the object:
`objectType` and `deploymentManagerId`. Filters have the inventory subscriptions' SOL013 semantics
(docs/decisions/0004-subscription-filters.md) over the object's O2 state, with `objectType` and
`deploymentManagerId` as virtual attributes, e.g.
`(eq,objectType,NfDeploymentOperation);(in,state,SUCCEEDED,FAILED)` reports finished operations only.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from deployments import specs
from inventory.models import ChangeLogEntry, Subscription
from inventory.notifications.filters import OBJECT_TYPE, ChangeGrammar
from inventory.notifications.outbox import EVENT_TYPES, fan_out
from netweave.o2.query import FilterTerm
from netweave.o2.urls import public_base

MANAGER_ID = "deploymentManagerId"
_MANAGER_EXTENSION = "netweave.deploymentManagerId"
# The last path segment of each object type below /o2dms/v1/{deploymentManagerId}/O2dms_DeploymentLifecycle.
_COLLECTIONS = {
    specs.NF_DEPLOYMENT_DESCRIPTOR.object_type: "NfDeploymentDescriptor",
    specs.NF_DEPLOYMENT.object_type: "NfDeployment",
    specs.NF_DEPLOYMENT_OPERATION.object_type: "operations",
}


def manager_of(state: Mapping[str, Any]) -> str | None:
    """The deployment manager an O2dms object belongs to, from its O2 state (operations carry it as a field,
    descriptors and deployments in their extensions)."""
    if MANAGER_ID in state:
        return str(state[MANAGER_ID])
    extensions = state.get("extensions") or {}
    value = extensions.get(_MANAGER_EXTENSION)
    return str(value) if value else None


def _virtuals(object_type: str, state: Mapping[str, Any]) -> dict[str, Any]:
    return {OBJECT_TYPE: object_type, MANAGER_ID: manager_of(state)}


_DMS_SPECS = (specs.NF_DEPLOYMENT_DESCRIPTOR, specs.NF_DEPLOYMENT, specs.NF_DEPLOYMENT_OPERATION)
DMS_GRAMMAR = ChangeGrammar(
    {spec.object_type: spec for spec in _DMS_SPECS},
    virtual_names=(OBJECT_TYPE, MANAGER_ID),
    virtuals=_virtuals,
)


def parse_dms_filter(raw: str) -> list[FilterTerm]:
    """Parse and check a DMS subscription filter (400 naming the term)."""
    return DMS_GRAMMAR.parse(raw)


def object_ref(object_type: str, object_id: uuid.UUID, manager_id: str) -> str:
    """The object's URI: the O-Cloud's service URI plus its O2dms path."""
    base = public_base()
    return f"{base}/o2dms/v1/{manager_id}/O2dms_DeploymentLifecycle/{_COLLECTIONS[object_type]}/{object_id}"


def build_payload(entry: ChangeLogEntry, subscription: Subscription) -> dict[str, Any]:
    """The notification for one O2dms change and one subscription (docs/notifications.md, "O2dms")."""
    state = entry.post_state if entry.post_state is not None else entry.prior_state or {}
    manager_id = manager_of(state)
    payload: dict[str, Any] = {"notificationId": str(uuid.uuid4())}
    if subscription.consumer_subscription_id is not None:
        payload["consumerSubscriptionId"] = subscription.consumer_subscription_id
    payload["notificationEventType"] = EVENT_TYPES[ChangeLogEntry.Action(entry.action)]
    payload["objectType"] = entry.object_type
    payload[MANAGER_ID] = manager_id
    if entry.action != ChangeLogEntry.Action.DELETE and manager_id is not None:
        payload["objectRef"] = object_ref(entry.object_type, entry.object_id, manager_id)
    if entry.action != ChangeLogEntry.Action.CREATE:
        payload["priorObjectState"] = entry.prior_state
    if entry.action != ChangeLogEntry.Action.DELETE:
        payload["postObjectState"] = entry.post_state
    return payload


def _passes(terms: Sequence[FilterTerm], entry: ChangeLogEntry) -> bool:
    return DMS_GRAMMAR.change_passes(terms, entry.object_type, entry.prior_state, entry.post_state)


def record_dms_notifications(entries: Sequence[ChangeLogEntry]) -> None:
    """Change-log listener: outbox rows for the O2dms changes among `entries`."""
    changes = [entry for entry in entries if entry.object_type in DMS_GRAMMAR.specs]
    if changes:
        fan_out(
            changes,
            Subscription.objects.filter(kind=Subscription.Kind.DMS),
            parse_dms_filter,
            _passes,
            build_payload,
        )
