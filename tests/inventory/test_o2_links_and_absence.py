"""O2 links answer where the app is served, and attributes without a value are left out (never null).

Links: the O-Cloud's `serviceUri`, paging `Link` headers and notification `objectRef`s use NETWEAVE_PUBLIC_URL
when set, else the address the request reached (API answers) or http://<NETWEAVE_BIND> (notifications).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from inventory.models import Resource
from inventory.notifications.receiver import Receiver
from inventory.sync import sync_instance
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of, published_schema

pytestmark = pytest.mark.django_db
V1 = "/o2ims-infrastructureInventory/v1"


def test_service_uri_is_the_address_the_request_reached(o2: O2Client, settings: Any) -> None:
    settings.NETWEAVE_PUBLIC_URL = ""
    assert json_of(o2.get(V1, SERVER_NAME="127.0.0.1", SERVER_PORT="8123"))["serviceUri"] == "http://127.0.0.1:8123"
    assert json_of(o2.get(V1, SERVER_NAME="localhost", SERVER_PORT="9000"))["serviceUri"] == "http://localhost:9000"


def test_a_configured_public_url_wins(o2: O2Client, settings: Any, synced_mock: Any) -> None:
    settings.NETWEAVE_PUBLIC_URL = "https://o2.example.com/netweave/"
    settings.NETWEAVE_PAGE_SIZE = 2
    assert json_of(o2.get(V1, SERVER_NAME="127.0.0.1", SERVER_PORT="8123"))["serviceUri"] == (
        "https://o2.example.com/netweave"
    )
    link = o2.get(f"{V1}/resourcePools")["Link"]
    assert link.startswith(f"<https://o2.example.com/netweave{V1}/resourcePools?nextpage_opaque_marker=")


def test_paging_links_follow_the_request_address(o2: O2Client, settings: Any, synced_mock: Any) -> None:
    settings.NETWEAVE_PUBLIC_URL = ""
    settings.NETWEAVE_PAGE_SIZE = 2
    link = o2.get(f"{V1}/resourcePools", SERVER_NAME="127.0.0.1", SERVER_PORT="8123")["Link"]
    assert link.startswith(f"<http://127.0.0.1:8123{V1}/resourcePools?")


def test_object_ref_of_a_notification_answers(
    o2: O2Client, receiver: Receiver, make_mock_instance: Any, deliver: Any, settings: Any
) -> None:
    """An SMO follows the objectRef it received (with its credential) and gets the object."""
    settings.NETWEAVE_PUBLIC_URL = ""
    settings.NETWEAVE_OCLOUD = {**settings.NETWEAVE_OCLOUD, "serviceUri": "http://127.0.0.1:8123"}
    subscribe(o2, receiver.url)
    deliver(lambda: sync_instance(make_mock_instance()))
    bodies = receiver.bodies()
    assert bodies
    refs = {body["objectRef"] for body in bodies}
    assert all(ref.startswith("http://127.0.0.1:8123/") for ref in refs)
    for ref in refs:
        parts = urlsplit(ref)
        response = o2.get(parts.path, SERVER_NAME=parts.hostname, SERVER_PORT=str(parts.port))
        assert response.status_code == 200, ref


def test_attributes_without_a_value_are_left_out(o2: O2Client, synced_mock: Any, receiver: Receiver) -> None:
    root = Resource.objects.filter(parent__isnull=True).first()
    assert root is not None
    body = json_of(o2.get(f"{V1}/resourcePools/{root.resource_pool_id}/resources/{root.id}?all_fields"))
    assert "parentId" not in body
    listing = json_of(o2.get(f"{V1}/resourcePools/{root.resource_pool_id}/resources?all_fields"))
    assert all(None not in item.values() for item in listing)
    sub = json_of(o2.post(f"{V1}/subscriptions", {"callback": receiver.url}))
    assert "consumerSubscriptionId" not in sub
    assert "consumerSubscriptionId" not in json_of(o2.get(f"{V1}/subscriptions/{sub['subscriptionId']}"))
    types = json_of(o2.get(f"{V1}/resourceTypes?all_fields"))
    assert any("alarmDictionary" not in t for t in types)
    assert all(None not in t.values() for t in types)


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_no_response_schema_says_nullable() -> None:
    """The OpenAPI never promises null in an answer: the component schemas of responses have no nullable."""
    schema = published_schema()
    request_only = {
        name
        for name in schema["components"]["schemas"]
        if name.endswith(("Request", "Create", "Update", "Modification")) or "Create" in name or "Update" in name
    }
    # netweave's utilisation extension maps figure names to values: null there is a value ("no sample"), not an
    # absent attribute.
    values_map = {"Utilisation"}
    offenders = [
        name
        for name, component in schema["components"]["schemas"].items()
        if name not in request_only | values_map and any(node.get("nullable") for node in _walk(component))
    ]
    assert offenders == []


def test_the_base_outside_a_request(settings: Any) -> None:
    """Outside a request the base is the O-Cloud's (http://<NETWEAVE_BIND> by default) unless a public URL is set."""
    from netweave.o2.urls import public_base

    settings.NETWEAVE_PUBLIC_URL = ""
    assert public_base() == settings.NETWEAVE_OCLOUD["serviceUri"]
    with override_settings(NETWEAVE_PUBLIC_URL="https://smo-facing.example/"):
        assert public_base() == "https://smo-facing.example"


# O2-REFERENCE.md §2 field tables (v1), minus the default-excluded `extensions` (and `alarmDictionary`).
DEFAULT_VIEWS = {
    "deploymentManagers": {
        "deploymentManagerId",
        "name",
        "description",
        "oCloudId",
        "serviceUri",
        "supportedLocations",
        "capabilities",
        "capacity",
    },
    "resourcePools": {"resourcePoolId", "globalLocationId", "name", "description", "oCloudId", "location"},
    "resourceTypes": {
        "resourceTypeId",
        "name",
        "description",
        "vendor",
        "model",
        "version",
        "resourceKind",
        "resourceClass",
    },
}
R005_ADDED = {"resourcePools": {"oCloudSiteId"}, "resourceTypes": {"alarmDictionaryId"}, "deploymentManagers": set()}


@pytest.mark.parametrize("collection", sorted(DEFAULT_VIEWS))
def test_default_views_follow_the_field_tables(o2: O2Client, synced_mock: Any, collection: str) -> None:
    """A deployment manager's capabilities and capacity are ordinary attributes, in the default view."""
    for item in json_of(o2.get(f"{V1}/{collection}")):
        assert DEFAULT_VIEWS[collection] <= set(item) <= DEFAULT_VIEWS[collection] | R005_ADDED[collection]
