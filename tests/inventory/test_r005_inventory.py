"""The R005 inventory additions in the v1 API (O2-REFERENCE.md §1-2): locations, O-Cloud sites, alarm
dictionaries, pools' oCloudSiteId, resources' tags and groups, resource types' alarmDictionaryId.

Every response goes through the OpenAPI-validating client; the field sets are checked against the reference's
tables (R003 fields kept, R005 ones added). The objects flow like the others: filters, selectors, paging,
subscriptions and the change log.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from inventory.models import AlarmDictionary, ChangeLogEntry, Location, OCloudSite, ResourcePool, ResourceType
from inventory.notifications.receiver import Receiver
from inventory.sync import apply_changes, sync_instance
from plugins.sdk import ims as sdk
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of, published_schema

pytestmark = pytest.mark.django_db
V1 = "/o2ims-infrastructureInventory/v1"

# O2-REFERENCE.md §2: the R003 fields, which stay, and what R005 adds.
POOL_FIELDS = {"resourcePoolId", "globalLocationId", "name", "description", "oCloudId", "location", "extensions"}
RESOURCE_FIELDS = {
    "resourceId",
    "resourceTypeId",
    "resourcePoolId",
    "globalAssetId",
    "parentId",
    "description",
    "elements",
    "extensions",
}
TYPE_FIELDS = {
    "resourceTypeId",
    "name",
    "description",
    "vendor",
    "model",
    "version",
    "alarmDictionary",
    "resourceKind",
    "resourceClass",
    "extensions",
}
DICTIONARY_FIELDS = {
    "alarmDictionaryVersion",
    "alarmDictionarySchemaVersion",
    "entityType",
    "vendor",
    "managementInterfaceId",
    "pkNotificationField",
    "alarmDefinition",
}
DEFINITION_FIELDS = {
    "alarmDefinitionId",
    "alarmName",
    "alarmLastChange",
    "alarmChangeType",
    "alarmDescription",
    "proposedRepairActions",
    "clearingType",
    "alarmAdditionalFields",
}


def test_sites_and_locations_of_the_mock_o_cloud(o2: O2Client, synced_mock: Any) -> None:
    sites = json_of(o2.get(f"{V1}/oCloudSites"))
    locations = json_of(o2.get(f"{V1}/locations"))
    pools = json_of(o2.get(f"{V1}/resourcePools"))
    assert {s["name"] for s in sites} == {
        "Paris edge site edge-1",
        "Lyon regional site regional-1",
        "Marseille central site central-1",
    }
    assert {loc["name"] for loc in locations} == {"Paris", "Lyon", "Marseille"}
    by_location = {loc["globalLocationId"]: loc for loc in locations}
    pool_ids = {p["resourcePoolId"] for p in pools}
    for site in sites:
        assert set(site) == {"oCloudSiteId", "globalLocationId", "name", "description", "resourcePools"}
        location = by_location[site["globalLocationId"]]
        assert site["oCloudSiteId"] in location["oCloudSiteIds"]
        assert len(site["resourcePools"]) == 2
        assert set(site["resourcePools"]) <= pool_ids
    for pool in pools:
        assert POOL_FIELDS - {"extensions"} <= set(pool)
        site = next(s for s in sites if s["oCloudSiteId"] == pool["oCloudSiteId"])
        # R003's globalLocationId and R005's site agree.
        assert pool["globalLocationId"] == site["globalLocationId"]
        assert pool["resourcePoolId"] in site["resourcePools"]
    paris = by_location["geo:48.8566,2.3522"]
    assert paris["coordinate"] == {"type": "Point", "coordinates": [2.3522, 48.8566]}
    assert {"caType": 3, "caValue": "Paris"} in paris["civicAddress"]
    assert "extensions" not in paris


def test_single_location_site_and_their_404s(o2: O2Client, synced_mock: Any) -> None:
    (site,) = json_of(o2.get(f"{V1}/oCloudSites?filter=(eq,name,Lyon regional site regional-1)"))
    assert json_of(o2.get(f"{V1}/oCloudSites/{site['oCloudSiteId']}")) == site
    location = json_of(o2.get(f"{V1}/locations/{quote(site['globalLocationId'], safe=':,')}?all_fields"))
    assert location["name"] == "Lyon"
    assert location["oCloudSiteIds"] == [site["oCloudSiteId"]]
    assert location["extensions"] == {"mock.country": "FR"}
    assert o2.get(f"{V1}/locations/geo:0,0").status_code == 404
    assert o2.get(f"{V1}/oCloudSites/not-a-uuid").status_code == 404
    assert o2.get(f"{V1}/oCloudSites/{'0' * 8}-0000-4000-8000-{'0' * 12}").status_code == 404


def test_filters_and_selectors_on_the_new_collections(o2: O2Client, synced_mock: Any) -> None:
    (lyon,) = json_of(o2.get(f"{V1}/locations?filter=(cont,address,Lyon)"))
    assert lyon["name"] == "Lyon"
    assert json_of(o2.get(f"{V1}/locations?filter=(eq,coordinate/type,Point)&fields=name")) != []
    only = json_of(o2.get(f"{V1}/locations?exclude_fields=civicAddress,coordinate,oCloudSiteIds"))
    assert all(set(loc) == {"globalLocationId", "name", "description", "address", "extensions"} for loc in only)
    edge = json_of(o2.get(f"{V1}/oCloudSites?filter=(eq,extensions/mock.tier,edge)&all_fields"))
    assert [s["extensions"] for s in edge] == [{"mock.tier": "edge"}]
    # A derived attribute (no column) cannot be filtered: 400 naming the term.
    bad = o2.get(f"{V1}/oCloudSites?filter=(cont,resourcePools,x)")
    assert bad.status_code == 400
    site = edge[0]["oCloudSiteId"]
    pools = json_of(o2.get(f"{V1}/resourcePools?filter=(eq,oCloudSiteId,{site})"))
    assert {p["resourcePoolId"] for p in pools} == set(edge[0]["resourcePools"])
    assert json_of(o2.get(f"{V1}/resourcePools?filter=(eq,oCloudSiteId,null)")) == []
    assert o2.get(f"{V1}/alarmDictionaries?fields=nosuch").status_code == 400


def test_resources_carry_tags_and_groups(o2: O2Client, synced_mock: Any) -> None:
    pool = ResourcePool.objects.get(native_id="pool-edge-1a")
    resources = json_of(o2.get(f"{V1}/resourcePools/{pool.id}/resources"))
    for resource in resources:
        assert set(resource) <= RESOURCE_FIELDS | {"tags", "groups"}
        assert "site:edge-1" in resource["tags"]
        assert "origin:seed" in resource["tags"]
    assert {g for r in resources for g in r["groups"]} >= {"edge-1/compute", "edge-1/networking"}
    tagged = json_of(o2.get(f"{V1}/resourcePools/{pool.id}/resources?filter=(cont,groups,edge-1/storage)"))
    assert tagged
    assert all(r["groups"] == ["edge-1/storage"] for r in tagged)


def test_alarm_dictionaries(o2: O2Client, synced_mock: Any) -> None:
    types = json_of(o2.get(f"{V1}/resourceTypes?all_fields"))
    with_dictionary = [t for t in types if "alarmDictionary" in t]
    assert len(with_dictionary) == 3
    assert all(("alarmDictionaryId" in t) == ("alarmDictionary" in t) for t in types)
    assert all(TYPE_FIELDS - {"alarmDictionary"} <= set(t) for t in types)
    dictionaries = json_of(o2.get(f"{V1}/alarmDictionaries"))
    assert len(dictionaries) == 3
    for rtype in with_dictionary:
        dictionary = json_of(o2.get(f"{V1}/resourceTypes/{rtype['resourceTypeId']}/alarmDictionary"))
        assert dictionary["alarmDictionaryId"] == rtype["alarmDictionaryId"]
        assert dictionary["resourceTypeId"] == rtype["resourceTypeId"]
        assert set(dictionary) >= DICTIONARY_FIELDS
        assert all(set(d) == DEFINITION_FIELDS for d in dictionary["alarmDefinition"])
        # The embedded R003 dictionary and the R005 object say the same.
        assert {k: dictionary[k] for k in DICTIONARY_FIELDS} == rtype["alarmDictionary"]
        assert json_of(o2.get(f"{V1}/alarmDictionaries/{rtype['alarmDictionaryId']}")) == dictionary
    plain = next(t for t in types if "alarmDictionary" not in t)
    missing = o2.get(f"{V1}/resourceTypes/{plain['resourceTypeId']}/alarmDictionary")
    assert missing.status_code == 404
    assert "has no alarm dictionary" in json_of(missing)["detail"]
    assert o2.get(f"{V1}/resourceTypes/{'1' * 8}-1111-4111-8111-{'1' * 12}/alarmDictionary").status_code == 404
    assert json_of(o2.get(f"{V1}/alarmDictionaries?filter=(eq,vendor,Cisco Systems)"))[0]["entityType"] == (
        "Nexus 93180YC-FX3"
    )


def test_query_counts_of_the_new_lists(
    o2: O2Client, synced_mock: Any, django_assert_max_num_queries: Any, settings: Any
) -> None:
    """A page costs one query, plus one for a derived attribute (a site's pools, a location's sites)."""
    settings.NETWEAVE_PAGE_SIZE = 2
    with django_assert_max_num_queries(1):
        assert o2.get(f"{V1}/alarmDictionaries?all_fields").status_code == 200
    with django_assert_max_num_queries(2):
        assert o2.get(f"{V1}/oCloudSites?all_fields").status_code == 200
    with django_assert_max_num_queries(2):
        assert o2.get(f"{V1}/locations?all_fields").status_code == 200
    with django_assert_max_num_queries(1):
        assert o2.get(f"{V1}/oCloudSites?exclude_fields=resourcePools").status_code == 200


def test_new_objects_are_logged_and_notified(
    o2: O2Client, receiver: Receiver, make_mock_instance: Any, deliver: Any
) -> None:
    subscribe(o2, receiver.url, filter="(in,objectType,LocationInfo,OCloudSiteInfo,AlarmDictionaryInfo)")
    instance = make_mock_instance()
    deliver(lambda: sync_instance(instance))
    bodies = receiver.bodies()
    kinds = {
        (b["postObjectState"].get("oCloudSiteId") and "site")
        or (b["postObjectState"].get("alarmDictionaryId") and "dictionary")
        or "location"
        for b in bodies
    }
    assert kinds == {"site", "dictionary", "location"}
    assert len(bodies) == Location.objects.count() + OCloudSite.objects.count() + AlarmDictionary.objects.count()
    for body in bodies:
        assert body["notificationEventType"] == 0
        path = body["objectRef"].removeprefix("http://127.0.0.1:8000")
        assert json_of(o2.get(path + "?all_fields")) | {"oCloudSiteIds": [], "resourcePools": []} == body[
            "postObjectState"
        ] | {"oCloudSiteIds": [], "resourcePools": []}
    logged = set(ChangeLogEntry.objects.values_list("object_type", flat=True))
    assert {"LocationInfo", "OCloudSiteInfo", "AlarmDictionaryInfo"} <= logged

    # A resource type losing its dictionary deletes the dictionary: logged and notified (no objectRef).
    seen = len(receiver.bodies())
    rtype = ResourceType.objects.filter(alarm_dictionary__isnull=False).first()
    plain = sdk.ResourceType(rtype.native_id, rtype.name, rtype.description)
    deliver(lambda: apply_changes(instance, upserts={"resourceType": [plain]}))
    (gone,) = [b for b in receiver.bodies()[seen:] if b["notificationEventType"] == 2]
    assert gone["priorObjectState"]["resourceTypeId"] == str(rtype.id)
    assert "objectRef" not in gone
    assert not AlarmDictionary.objects.filter(resource_type_id=rtype.id).exists()
    assert "alarmDictionaryId" not in json_of(o2.get(f"{V1}/resourceTypes/{rtype.id}"))


def test_subscription_filter_on_the_new_object_types(o2: O2Client, receiver: Receiver) -> None:
    ok = o2.post(f"{V1}/subscriptions", {"callback": receiver.url, "filter": "(eq,objectType,OCloudSiteInfo)"})
    assert ok.status_code == 201
    bad = o2.post(f"{V1}/subscriptions", {"callback": receiver.url, "filter": "(eq,objectType,SiteInfo)"})
    assert bad.status_code == 400
    assert "OCloudSiteInfo" in json_of(bad)["detail"]


def test_openapi_says_which_release_each_object_follows() -> None:
    schemas = published_schema()["components"]["schemas"]
    assert schemas["ResourcePool"]["x-o2-release"].endswith("R003")
    assert schemas["ResourcePool"]["properties"]["oCloudSiteId"]["x-o2-release"].endswith("R005")
    assert schemas["ResourcePool"]["properties"]["globalLocationId"]["x-o2-release"].endswith("R003")
    assert schemas["Resource"]["properties"]["tags"]["x-o2-release"].endswith("R005")
    assert schemas["ResourceType"]["properties"]["alarmDictionaryId"]["x-o2-release"].endswith("R005")
    for name in ("Location", "OCloudSite", "AlarmDictionary"):
        assert schemas[name]["x-o2-release"].endswith("R005")
    paths = published_schema()["paths"]
    for path in (
        f"{V1}/locations",
        f"{V1}/locations/{{globalLocationId}}",
        f"{V1}/oCloudSites",
        f"{V1}/oCloudSites/{{oCloudSiteId}}",
        f"{V1}/alarmDictionaries",
        f"{V1}/alarmDictionaries/{{alarmDictionaryId}}",
        f"{V1}/resourceTypes/{{resourceTypeId}}/alarmDictionary",
    ):
        assert set(paths[path]) == {"get"}, path


def test_a_plugin_without_sites_still_syncs(o2: O2Client, db: None) -> None:
    """Backwards compatible: an Inventory built without locations/sites leaves those kinds alone."""
    from inventory.sync import reconcile
    from plugins.models import PluginInstance

    instance = PluginInstance.objects.create(
        name="old-style", category="ims", plugin_type="mock", is_default=True, config={}, sync_interval=0
    )
    reconcile(
        instance,
        sdk.Inventory([], [sdk.ResourcePool("p", "pool", location="lab")], [], []),
    )
    (pool,) = json_of(o2.get(f"{V1}/resourcePools"))
    assert "oCloudSiteId" not in pool
    assert json_of(o2.get(f"{V1}/oCloudSites")) == []


def test_admin_shows_sites_locations_dictionaries_and_their_history(admin_client: Any, synced_mock: Any) -> None:
    from django.urls import reverse

    site = OCloudSite.objects.get(native_id="edge-1")
    for model in (Location, OCloudSite, AlarmDictionary):
        opts = model._meta
        assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
        obj = model.objects.first()
        page = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        assert page.status_code == 200
        assert f"object_id={obj.pk}".encode() in page.content
    pools = admin_client.get(reverse("admin:inventory_resourcepool_changelist") + f"?o_cloud_site_id={site.pk}")
    assert pools.status_code == 200
    assert b"pool-edge-1a" in pools.content or b"paris-edge-1a" in pools.content
    log = admin_client.get(reverse("admin:inventory_changelogentry_changelist") + f"?object_id={site.pk}")
    assert log.status_code == 200
    assert b"OCloudSiteInfo" in log.content
