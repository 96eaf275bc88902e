"""The O2ims inventory API v1 end to end: every path, selectors, filters, paging and errors, with every
response validated against the published OpenAPI document (tests.o2client)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from django.test import Client, override_settings

from inventory.models import DeploymentManager, Resource, ResourcePool, ResourceType
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db
V1 = "/o2ims-infrastructureInventory/v1"


def test_api_versions_at_both_levels(o2) -> None:
    for path in ("/o2ims-infrastructureInventory/api_versions", f"{V1}/api_versions"):
        body = json_of(o2.get(path))
        assert body == {"uriPrefix": V1, "apiVersions": [{"version": "1.0.0"}]}


def test_ocloud_with_and_without_trailing_slash(o2, settings) -> None:
    for path in (V1, f"{V1}/"):
        body = json_of(o2.get(path))
        assert body["oCloudId"] == settings.NETWEAVE_OCLOUD["oCloudId"]
        assert body["globalCloudId"] == body["globalcloudId"] == settings.NETWEAVE_OCLOUD["globalCloudId"]
        assert {"name", "description", "serviceUri"} <= body.keys()
        assert "extensions" not in body
    assert "extensions" in json_of(o2.get(f"{V1}?all_fields"))


@pytest.mark.parametrize(
    ("collection", "model", "id_field"),
    [
        ("resourceTypes", ResourceType, "resourceTypeId"),
        ("resourcePools", ResourcePool, "resourcePoolId"),
        ("deploymentManagers", DeploymentManager, "deploymentManagerId"),
    ],
)
def test_collections_and_items_agree(o2, synced_mock, collection, model, id_field) -> None:
    listed = json_of(o2.get(f"{V1}/{collection}"))
    assert len(listed) == model.objects.count() > 0
    for obj in listed:
        item = json_of(o2.get(f"{V1}/{collection}/{obj[id_field]}"))
        assert item == obj
    full = json_of(o2.get(f"{V1}/{collection}?all_fields"))
    assert all("extensions" in obj for obj in full)


def test_resources_are_nested_under_their_pool_with_elements(o2, synced_mock) -> None:
    parent = Resource.objects.filter(elements__isnull=False).distinct().first()
    pool_id = parent.resource_pool_id
    listed = json_of(o2.get(f"{V1}/resourcePools/{pool_id}/resources"))
    assert len(listed) == Resource.objects.filter(resource_pool_id=pool_id).count()
    assert {r["resourcePoolId"] for r in listed} == {str(pool_id)}
    item = json_of(o2.get(f"{V1}/resourcePools/{pool_id}/resources/{parent.id}"))
    assert {e["resourceId"] for e in item["elements"]} == {str(c.id) for c in parent.elements.all()}
    assert all(e["parentId"] == str(parent.id) for e in item["elements"])
    other_pool = ResourcePool.objects.exclude(id=pool_id).first()
    assert o2.get(f"{V1}/resourcePools/{other_pool.id}/resources/{parent.id}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"{V1}/resourceTypes/{uuid.uuid4()}",
        f"{V1}/resourcePools/{uuid.uuid4()}",
        f"{V1}/resourcePools/not-a-uuid",
        f"{V1}/resourcePools/{uuid.uuid4()}/resources",
        f"{V1}/deploymentManagers/{uuid.uuid4()}",
        f"{V1}/noSuchCollection",
        "/o2ims_infrastructureInventory/v1/resourcePools",
    ],
)
def test_unknown_objects_and_paths_are_404_problems(o2, synced_mock, path) -> None:
    response = o2.get(path)
    assert response.status_code == 404
    assert json_of(response)["detail"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_inventory_is_read_only_405_with_allow(o2, synced_mock, method) -> None:
    pool = ResourcePool.objects.first()
    for path in (f"{V1}/resourcePools", f"{V1}/resourcePools/{pool.id}", V1):
        response = getattr(o2, method)(path, {})
        assert response.status_code == 405
        assert "GET" in response["Allow"]
        assert method.upper() not in response["Allow"]


def test_selectors(o2, synced_mock) -> None:
    default = json_of(o2.get(f"{V1}/resourceTypes"))[0]
    assert "alarmDictionary" not in default
    assert "extensions" not in default
    fields = json_of(o2.get(f"{V1}/resourceTypes?fields=name,extensions"))[0]
    assert "extensions" in fields
    assert "resourceTypeId" in fields  # identifiers always come back
    excluded = json_of(o2.get(f"{V1}/resourceTypes?exclude_fields=vendor,model&all_fields"))
    assert excluded
    response = o2.get(f"{V1}/resourceTypes?fields=nonsense")
    assert response.status_code == 400
    assert "nonsense" in json_of(response)["detail"]


def test_filters_run_on_columns_and_extensions(o2, synced_mock) -> None:
    pool = ResourcePool.objects.first()
    by_name = json_of(o2.get(f"{V1}/resourcePools?filter=(eq,name,{quote(pool.name)})"))
    assert [p["resourcePoolId"] for p in by_name] == [str(pool.id)]
    others = json_of(o2.get(f"{V1}/resourcePools?filter=(neq,name,{quote(pool.name)})"))
    assert str(pool.id) not in {p["resourcePoolId"] for p in others}
    assert len(others) == ResourcePool.objects.count() - 1

    roots = json_of(o2.get(f"{V1}/resourcePools/{pool.id}/resources?filter=(eq,parentId,null)"))
    assert all("parentId" not in r for r in roots)

    rtype = ResourceType.objects.exclude(extensions={}).first()
    key, value = next((k, v) for k, v in rtype.extensions.items() if isinstance(v, str | int) and "/" not in k)
    quoted = quote(f"'{value}'") if isinstance(value, str) else str(value)
    matching = json_of(o2.get(f"{V1}/resourceTypes?filter=(eq,extensions/{quote(key)},{quoted})"))
    assert str(rtype.id) in {t["resourceTypeId"] for t in matching}


@pytest.mark.parametrize(
    "bad",
    ["(eq,name)", "(like,name,x)", "(eq,nosuchattr,x)", "eq,name,x", "(eq,name,'unterminated)", "(gt,name,a,b)"],
)
def test_bad_filters_are_400_naming_the_problem(o2, synced_mock, bad) -> None:
    response = o2.get(f"{V1}/resourcePools?filter={quote(bad)}")
    assert response.status_code == 400
    body = json_of(response)
    assert body["additionalAttributes"]["parameter"] == "filter"


def test_unknown_query_parameter_is_400(o2, synced_mock) -> None:
    response = o2.get(f"{V1}/resourcePools?filters=(eq,name,x)")
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["parameter"] == "filters"


@override_settings(NETWEAVE_PAGE_SIZE=100)
def test_paging_through_1000_resources_without_loss_or_duplicates(o2, make_mock_instance) -> None:
    from inventory.sync import sync_instance

    sync_instance(make_mock_instance(resources=1000, sites=1, poolsPerSite=1))
    pool = ResourcePool.objects.get()
    expected = set(Resource.objects.filter(resource_pool=pool).values_list("id", flat=True))
    assert len(expected) >= 1000
    seen: list[str] = []
    url = f"{V1}/resourcePools/{pool.id}/resources"
    pages = 0
    while url:
        response = o2.get(url)
        assert response.status_code == 200
        page = json_of(response)
        assert len(page) <= 100
        seen.extend(r["resourceId"] for r in page)
        pages += 1
        link = response.get("Link")
        url = link[link.index("<") + 1 : link.index(">")].replace("http://testserver", "") if link else None
    assert len(seen) == len(set(seen)) == len(expected)
    assert {uuid.UUID(s) for s in seen} == expected
    assert pages == -(-len(expected) // 100)


def test_bad_marker_is_400(o2, synced_mock) -> None:
    response = o2.get(f"{V1}/resourcePools?nextpage_opaque_marker=garbage")
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["parameter"] == "nextpage_opaque_marker"


@pytest.mark.parametrize("page_size", [5, 50])
def test_list_endpoints_use_constant_queries(o2, synced_mock, django_assert_max_num_queries, page_size) -> None:
    pool = ResourcePool.objects.first()
    with override_settings(NETWEAVE_PAGE_SIZE=page_size):
        for path in (
            f"{V1}/resourceTypes?all_fields",
            f"{V1}/resourcePools?all_fields",
            f"{V1}/deploymentManagers?all_fields",
        ):
            with django_assert_max_num_queries(1):
                assert o2.get(path).status_code == 200
        # Resources: one query to check the pool exists, one for the page.
        with django_assert_max_num_queries(2):
            assert o2.get(f"{V1}/resourcePools/{pool.id}/resources?all_fields").status_code == 200


def test_deployment_manager_unknown_profile_is_404(o2, synced_mock) -> None:
    dm = DeploymentManager.objects.first()
    response = o2.get(f"{V1}/deploymentManagers/{dm.id}?profile=sol018")
    assert response.status_code == 404
    assert json_of(response)["additionalAttributes"]["parameter"] == "profile"


def test_mock_deployment_managers_serve_the_profile_they_advertise(
    o2, synced_mock, make_api_token, anonymous_client
) -> None:
    """Every demo cluster advertises native_k8sapi in capabilities.dmsProfiles and answers it with the Kubernetes
    plugin's keys; profile data is for callers allowed to deploy only."""
    for dm in DeploymentManager.objects.all():
        path = f"{V1}/deploymentManagers/{dm.id}"
        advertised = json_of(o2.get(path))["capabilities"]["dmsProfiles"]
        assert advertised == ["native_k8sapi"]
        deployer = O2Client(Client(HTTP_AUTHORIZATION=f"Bearer {make_api_token('deployer')}"))
        answer = json_of(deployer.get(f"{path}?profile=native_k8sapi"))
        assert answer["extensions"]["profileName"] == "native_k8sapi"
        data = answer["extensions"]["profileData"]
        assert data["cluster_api_endpoint"] == dm.service_uri
        assert data["cluster_ca_cert"].startswith("-----BEGIN CERTIFICATE-----")
        assert data["admin_user"] == "system:serviceaccount:netweave-smo:o2dms"
        assert data["admin_token"].startswith(f"mock.{dm.native_id}.")
        # The same answer from another process sharing the state file (the CA and secret are stored there).
        assert json_of(deployer.get(f"{path}?profile=native_k8sapi"))["extensions"]["profileData"] == data
        reader = O2Client(Client(HTTP_AUTHORIZATION=f"Bearer {make_api_token('reader')}"))
        assert reader.get(f"{path}?profile=native_k8sapi").status_code == 403
        assert reader.get(path).status_code == 200


def test_request_id_is_echoed(o2, synced_mock) -> None:
    response = o2.get(f"{V1}/resourcePools", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert o2.get(f"{V1}/resourcePools")["X-Request-ID"]


def test_openapi_document_and_swagger_ui_are_published(client) -> None:
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    doc = json_of(schema)
    for path in (
        "/o2ims-infrastructureInventory/api_versions",
        "/o2ims-infrastructureInventory/v1",
        "/o2ims-infrastructureInventory/v1/resourcePools/{resourcePoolId}/resources/{resourceId}",
        "/o2ims-infrastructureInventory/v1/deploymentManagers/{deploymentManagerId}",
    ):
        assert path in doc["paths"]
    assert set(doc["components"]["schemas"]["ResourcePool"]["properties"]) == {
        "resourcePoolId",
        "globalLocationId",
        "name",
        "description",
        "oCloudId",
        "location",
        "oCloudSiteId",  # R005, additive
        "extensions",
    }
    assert client.get("/api/docs/").status_code == 200


def test_openapi_document_is_generated_once_per_process(client, monkeypatch) -> None:
    """The view keeps the generated document (netweave/o2/schema_view.py): later requests, in either format,
    are answered from it, and it is the document the response validation uses."""
    from drf_spectacular.generators import SchemaGenerator

    from netweave.o2.schema_view import PublishedSchemaView
    from tests.o2client import published_schema

    generated = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        generated.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    monkeypatch.setattr(PublishedSchemaView, "_documents", {})
    first = client.get("/api/schema/?format=json")
    second = client.get("/api/schema/?format=json")
    yaml = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert [first.status_code, second.status_code, yaml.status_code] == [200, 200, 200]
    assert len(generated) == 1
    assert first.content == second.content
    assert json_of(first) == published_schema()
    assert yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert b"openapi: 3" in yaml.content
