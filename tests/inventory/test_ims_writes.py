"""netweave's IMS write extension end to end: routed to a plugin instance, applied on the backend,
reconciled at once, visible through the O2 API and in the change log."""

from __future__ import annotations

import uuid

import pytest

from inventory.models import ChangeLogEntry, Resource, ResourcePool, ResourceType
from plugins.models import RoutingRule
from plugins.registry import get_plugin
from tests.o2client import json_of

pytestmark = pytest.mark.django_db
EXT = "/netweave-ims-ext/v1/resourcePools"
V1 = "/o2ims-infrastructureInventory/v1"


def test_pool_lifecycle_through_the_api(o2, synced_mock) -> None:
    created = o2.post(
        EXT,
        {"name": "far-edge-7", "location": "Lisbon", "extensions": {"team": "ran"}},
        HTTP_X_REQUEST_ID="req-create-1",
    )
    assert created.status_code == 201, created.content
    pool = json_of(created)
    assert created["Location"] == f"{V1}/resourcePools/{pool['resourcePoolId']}"
    assert json_of(o2.get(created["Location"]))["name"] == "far-edge-7"
    native = ResourcePool.objects.get(id=pool["resourcePoolId"]).native_id
    assert get_plugin(synced_mock).get_resource_pool(native).name == "far-edge-7"  # really on the backend
    entry = ChangeLogEntry.objects.get(object_id=pool["resourcePoolId"], action="create")
    assert (entry.source, entry.request_id) == ("api", "req-create-1")

    updated = o2.patch(f"{EXT}/{pool['resourcePoolId']}", {"description": "moved"})
    assert updated.status_code == 200
    assert json_of(updated)["description"] == "moved"
    assert ChangeLogEntry.objects.filter(object_id=pool["resourcePoolId"], action="modify").count() == 1

    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}").status_code == 204
    assert o2.get(created["Location"]).status_code == 404
    assert ChangeLogEntry.objects.filter(object_id=pool["resourcePoolId"], action="delete").count() == 1


def test_resource_lifecycle_through_the_api(o2, synced_mock) -> None:
    pool = ResourcePool.objects.first()
    rtype = ResourceType.objects.first()
    created = o2.post(
        f"{EXT}/{pool.id}/resources",
        {"resourceTypeId": str(rtype.id), "description": "new blade", "globalAssetId": "SN-1"},
    )
    assert created.status_code == 201, created.content
    resource = json_of(created)
    assert resource["resourceTypeId"] == str(rtype.id)
    assert json_of(o2.get(created["Location"]))["description"] == "new blade"
    assert o2.delete(f"{EXT}/{pool.id}/resources/{resource['resourceId']}").status_code == 204
    assert not Resource.objects.filter(id=resource["resourceId"]).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "x", "colour": "blue"}, "colour"),
        ({"name": "x", "labels": "not-a-map"}, "labels"),
        ({"name": "x", "pluginInstance": "nope"}, "pluginInstance"),
    ],
)
def test_bad_pool_bodies_are_400_naming_the_field(o2, synced_mock, body, field) -> None:
    before = ResourcePool.objects.count()
    response = o2.post(EXT, body)
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["field"] == field
    assert ResourcePool.objects.count() == before


def test_bad_resource_bodies_and_unknown_ids(o2, synced_mock) -> None:
    pool = ResourcePool.objects.first()
    response = o2.post(f"{EXT}/{pool.id}/resources", {"resourceTypeId": str(uuid.uuid4())})
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["field"] == "resourceTypeId"
    assert o2.post(f"{EXT}/{uuid.uuid4()}/resources", {"resourceTypeId": str(uuid.uuid4())}).status_code == 404
    assert o2.delete(f"{EXT}/{pool.id}/resources/{uuid.uuid4()}").status_code == 404
    malformed = o2.post(EXT, b"{not json")
    assert malformed.status_code == 400


def test_backend_conflicts_become_409(o2, synced_mock) -> None:
    pool = Resource.objects.first().resource_pool
    response = o2.delete(f"{EXT}/{pool.id}")  # the mock refuses to delete a pool that still has resources
    assert response.status_code == 409
    assert ResourcePool.objects.filter(id=pool.id).exists()


def test_pool_creation_follows_routing_rules(o2, make_mock_instance) -> None:
    from inventory.sync import sync_instance

    main = make_mock_instance("main-site")
    lab = make_mock_instance("lab-site", default=False)
    for instance in (main, lab):
        sync_instance(instance)
    RoutingRule.objects.create(
        name="lab",
        category="ims",
        priority=100,
        plugin_instance=lab,
        conditions={"labels": {"infrastructure.type": "lab"}},
    )
    routed = json_of(o2.post(EXT, {"name": "routed", "labels": {"infrastructure.type": "lab"}}))
    fallback = json_of(o2.post(EXT, {"name": "fallback"}))
    assert ResourcePool.objects.get(id=routed["resourcePoolId"]).plugin_instance == lab
    assert ResourcePool.objects.get(id=fallback["resourcePoolId"]).plugin_instance == main
