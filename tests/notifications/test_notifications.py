"""Changes become notifications: the right payload for create, modify and delete of every object type, filters
that include and exclude as docs/decisions/0004-subscription-filters.md says, delivered to a real HTTP
receiver through the Celery task (eager here; a real worker in test_faults.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import override_settings

from inventory.models import Notification, Subscription
from inventory.notifications.receiver import Receiver
from inventory.ocloud import ensure_ocloud
from inventory.sync import reconcile
from plugins.sdk import ims as sdk
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db
V1 = "http://127.0.0.1:8000/o2ims-infrastructureInventory/v1"


def inventory(description: str) -> sdk.Inventory:
    return sdk.Inventory(
        deployment_managers=[sdk.DeploymentManager("dm-1", "cluster", description, supported_locations=("a",))],
        resource_pools=[sdk.ResourcePool("pool-1", "edge", description, location="lab")],
        resource_types=[sdk.ResourceType("type-1", "server", description, vendor="acme")],
        resources=[sdk.Resource("res-1", "type-1", "pool-1", description)],
    )


EMPTY = sdk.Inventory([], [], [], [])
TYPES = ["DeploymentManagerInfo", "ResourcePoolInfo", "ResourceTypeInfo", "ResourceInfo"]
# In this order, the first id field a state carries tells its type (a resource also carries resourcePoolId).
ID_FIELD = {
    "ResourceInfo": "resourceId",
    "DeploymentManagerInfo": "deploymentManagerId",
    "ResourceTypeInfo": "resourceTypeId",
    "ResourcePoolInfo": "resourcePoolId",
    "CloudInfo": "oCloudId",
}


def object_type_of(body: dict[str, Any]) -> str:
    state = body.get("postObjectState") or body["priorObjectState"]
    return next(t for t, f in ID_FIELD.items() if f in state)


def test_create_modify_delete_of_every_object_type(
    o2: O2Client, receiver: Receiver, ims_instance: Any, deliver: Any
) -> None:
    sub = subscribe(o2, receiver.url + "/notify", consumerSubscriptionId="smo-42")
    deliver(lambda: reconcile(ims_instance, inventory("one")))
    deliver(lambda: reconcile(ims_instance, inventory("two")))
    deliver(lambda: reconcile(ims_instance, EMPTY))
    deliver(ensure_ocloud)
    with override_settings(NETWEAVE_OCLOUD={**ensure_cloud_settings(), "name": "renamed"}):
        deliver(ensure_ocloud)
    # A new O-Cloud identity deletes the old O-Cloud object and creates the new one.
    with override_settings(NETWEAVE_OCLOUD={**ensure_cloud_settings(), "oCloudId": str(uuid.uuid4())}):
        deliver(ensure_ocloud)

    bodies = receiver.bodies()
    assert all(r.path == "/notify" for r in receiver.received)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for body in bodies:
        by_type.setdefault(object_type_of(body), []).append(body)
    for object_type in TYPES:
        events = by_type[object_type]
        assert [b["notificationEventType"] for b in events] == [0, 1, 2], object_type
        create, modify, delete = events
        for body in events:
            assert uuid.UUID(body["notificationId"])
            assert body["consumerSubscriptionId"] == "smo-42"
        assert set(create) == {
            "notificationId",
            "consumerSubscriptionId",
            "notificationEventType",
            "objectRef",
            "postObjectState",
        }
        assert set(modify) == set(create) | {"priorObjectState"}
        assert set(delete) == {"notificationId", "consumerSubscriptionId", "notificationEventType", "priorObjectState"}
        assert create["postObjectState"]["description"] == "one"
        assert modify["priorObjectState"]["description"] == "one"
        assert modify["postObjectState"]["description"] == "two"
        assert delete["priorObjectState"]["description"] == "two"
        object_id = create["postObjectState"][ID_FIELD[object_type]]
        assert create["objectRef"].startswith(V1)
        assert create["objectRef"].endswith(object_id)
    resource = by_type["ResourceInfo"][0]
    pool_id = resource["postObjectState"]["resourcePoolId"]
    resource_id = resource["postObjectState"]["resourceId"]
    assert resource["objectRef"] == f"{V1}/resourcePools/{pool_id}/resources/{resource_id}"
    cloud = by_type["CloudInfo"]
    assert [b["notificationEventType"] for b in cloud] == [0, 1, 2, 0]
    assert cloud[1]["objectRef"] == V1
    assert cloud[1]["priorObjectState"]["name"] != "renamed"
    assert cloud[1]["postObjectState"]["name"] == "renamed"
    assert "objectRef" not in cloud[2]
    assert Notification.objects.filter(subscription_id=sub["subscriptionId"], status="delivered").count() == len(bodies)


def ensure_cloud_settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.NETWEAVE_OCLOUD)


def test_payload_states_equal_the_api_representation(
    o2: O2Client, receiver: Receiver, ims_instance: Any, deliver: Any
) -> None:
    subscribe(o2, receiver.url, filter="(eq,objectType,ResourceInfo)")
    deliver(lambda: reconcile(ims_instance, inventory("one")))
    (body,) = receiver.bodies()
    path = body["objectRef"].removeprefix("http://127.0.0.1:8000")
    assert o2.get(path + "?all_fields").json() | {"elements": []} == body["postObjectState"] | {"elements": []}


# --------------------------------------------------------------------------------------------- filters

# For every object type: a filter that lets its changes through and one that keeps them out.
FILTERS = {
    "CloudInfo": ("(eq,objectType,CloudInfo);(cont,name,O-Cloud)", "(eq,objectType,CloudInfo);(eq,name,other)"),
    "DeploymentManagerInfo": ("(eq,name,cluster);(in,supportedLocations,a,b)", "(eq,supportedLocations,z)"),
    "ResourcePoolInfo": ("(eq,objectType,ResourcePoolInfo);(eq,location,lab)", "(eq,location,elsewhere)"),
    "ResourceTypeInfo": ("(eq,vendor,acme)", "(neq,objectType,ResourceTypeInfo);(eq,vendor,acme)"),
    "ResourceInfo": (
        "(eq,objectType,ResourceInfo);(cont,description,on)",
        "(eq,objectType,ResourceInfo);(eq,description,x)",
    ),
}


@pytest.mark.parametrize("object_type", sorted(FILTERS))
def test_filters_include_and_exclude_for_every_object_type(
    o2: O2Client, receiver: Receiver, ims_instance: Any, deliver: Any, object_type: str
) -> None:
    including, excluding = FILTERS[object_type]
    subscribe(o2, receiver.url + "/in", filter=including)
    subscribe(o2, receiver.url + "/out", filter=excluding)
    if object_type == "CloudInfo":
        with override_settings(NETWEAVE_OCLOUD={**ensure_cloud_settings(), "name": "the O-Cloud, renamed"}):
            deliver(ensure_ocloud)
    else:
        deliver(lambda: reconcile(ims_instance, inventory("one")))
    got = {r.path: [] for r in receiver.received}
    for r in receiver.received:
        got[r.path].append(object_type_of(r.json()))
    assert got.get("/in") == [object_type]
    assert "/out" not in got


def test_modify_passes_when_either_state_matches(
    o2: O2Client, receiver: Receiver, ims_instance: Any, deliver: Any
) -> None:
    """An object leaving the watched set is reported: the filter matches its prior state."""
    subscribe(o2, receiver.url, filter="(eq,objectType,ResourcePoolInfo);(eq,description,one)")
    deliver(lambda: reconcile(ims_instance, inventory("one")))
    deliver(lambda: reconcile(ims_instance, inventory("two")))
    deliver(lambda: reconcile(ims_instance, inventory("three")))
    assert [b["notificationEventType"] for b in receiver.bodies()] == [0, 1]


def test_no_subscription_writes_no_outbox_rows(ims_instance: Any) -> None:
    reconcile(ims_instance, inventory("one"))
    assert Notification.objects.count() == 0


def test_a_rolled_back_change_leaves_no_notification(o2: O2Client, allow_loopback: None, ims_instance: Any) -> None:
    from django.db import transaction

    subscribe(o2, "http://127.0.0.1:9/n")
    written = []

    def failing_change() -> None:
        with transaction.atomic():
            reconcile(ims_instance, inventory("one"))
            written.append(Notification.objects.count())
            raise RuntimeError("the change fails after its notifications were written")

    with pytest.raises(RuntimeError):
        failing_change()
    assert written == [4]
    assert Notification.objects.count() == 0
    assert Subscription.objects.count() == 1
