"""The ONAP SMO plugin against the fake A&AI (schema-checked, resource-version enforced) and a real HTTP server
playing DMaaP Message Router: full sync, incremental pushes, 412 answered by a refetch, deletes propagated, an
A&AI outage ridden out with nothing lost, and VES 7.x events validated against the VES structure."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from django.utils import timezone

from inventory.models import Resource, ResourcePool
from plugins.registry import get_plugin
from smo import northbound
from smo.models import NorthboundCursor, ObjectMapping
from tests.o2client import json_of
from tests.smo.ves import VES_EVENT

pytestmark = pytest.mark.django_db
EXT = "/netweave-ims-ext/v1/resourcePools"
TOPIC = "unauthenticated.VES_INFRASTRUCTURE_EVENTS"
REGION = "/cloud-infrastructure/cloud-regions/cloud-region/netweave"


def regions(fake_aai: Any) -> dict[str, dict[str, Any]]:
    return fake_aai.of_type("cloud-region")


def ves_events(receiver: Any) -> list[dict[str, Any]]:
    return [event for r in receiver.received if r.path == f"/events/{TOPIC}" for event in r.json()]


def test_full_sync_builds_the_aai_graph(synced_mock, fake_aai, make_onap_smo) -> None:
    instance = make_onap_smo()
    result = northbound.step(instance)
    assert not result.errors
    pools = list(ResourcePool.objects.all())
    assert {r["cloud-region-id"] for r in regions(fake_aai).values()} == {str(p.pk) for p in pools}
    tenants = fake_aai.of_type("tenant")
    assert len(tenants) == len(pools)
    assert fake_aai.of_type("complex")
    hosts = {**fake_aai.of_type("pserver"), **fake_aai.of_type("pnf")}
    assert len(hosts) == Resource.objects.count()
    mapped = ObjectMapping.objects.get(instance=instance, object_id=str(pools[0].pk))
    assert mapped.smo_id == f"{REGION}/{pools[0].pk}"
    assert mapped.smo_version == regions(fake_aai)[mapped.smo_id]["resource-version"]
    assert fake_aai.statuses(400) == 0  # every body passed the schema, every relationship target existed
    # Written in bulk transactions (30 operations each, A&AI's default limit), never one PUT per object.
    methods = [method for method, _, _ in fake_aai.requests]
    assert "PUT" not in methods
    assert methods.count("POST") == -(-(len(pools) * 2 + len(hosts) + len(fake_aai.of_type("complex"))) // 30)


def test_updates_use_the_version_and_412_refetches(o2, synced_mock, fake_aai, make_onap_smo) -> None:
    instance = make_onap_smo()
    northbound.step(instance)
    pool = ResourcePool.objects.first()
    path = f"{REGION}/{pool.pk}"
    assert o2.patch(f"{EXT}/{pool.pk}", {"description": "renamed"}).status_code == 200
    northbound.step(instance)
    assert fake_aai.statuses(412) == 0  # the mapping's resource-version was current
    # Another A&AI client rewrites the region: our stored resource-version is stale now.
    fake_aai.objects[path]["resource-version"] = "changed-by-someone-else"
    assert o2.patch(f"{EXT}/{pool.pk}", {"description": "again"}).status_code == 200
    assert not northbound.step(instance).errors
    assert fake_aai.statuses(412) == 1
    assert get_plugin(instance).aai.refetches == 1
    assert (
        ObjectMapping.objects.get(instance=instance, object_id=str(pool.pk)).smo_version
        == (fake_aai.objects[path]["resource-version"])
    )


def test_deletes_are_propagated(o2, synced_mock, fake_aai, make_onap_smo) -> None:
    instance = make_onap_smo()
    northbound.step(instance)
    pool_id = json_of(o2.post(EXT, {"name": "edge-del", "location": "Lyon"}))["resourcePoolId"]
    northbound.step(instance)
    assert f"{REGION}/{pool_id}" in regions(fake_aai)
    assert o2.delete(f"{EXT}/{pool_id}").status_code == 204
    northbound.step(instance)
    assert f"{REGION}/{pool_id}" not in regions(fake_aai)
    assert not ObjectMapping.objects.filter(instance=instance, object_id=pool_id).exists()


def test_aai_outage_nothing_lost(o2, synced_mock, fake_aai, receiver, make_onap_smo) -> None:
    instance = make_onap_smo(dmaapUrl=receiver.url)
    northbound.step(instance)
    fake_aai.outage = True
    created = [json_of(o2.post(EXT, {"name": f"edge-{i}", "location": "Nice"}))["resourcePoolId"] for i in range(3)]
    result = northbound.step(instance)
    assert result.errors == [result.errors[0]]
    assert "A&AI" in result.errors[0]
    assert "503" in result.errors[0]
    cursor = NorthboundCursor.objects.get(instance=instance)
    assert northbound.lag(cursor) > 0
    # The events do not wait for A&AI.
    assert {e["event"]["commonEventHeader"]["sourceId"] for e in ves_events(receiver)} >= set(created)
    fake_aai.outage = False
    NorthboundCursor.objects.filter(pk=cursor.pk).update(next_attempt=timezone.now())
    assert not northbound.step(instance).errors
    cursor.refresh_from_db()
    assert northbound.lag(cursor) == 0
    assert {f"{REGION}/{pool_id}" for pool_id in created} <= set(regions(fake_aai))
    assert cursor.duplicates >= 1  # the batch interrupted by the outage was sent again, and counted
    for event in ves_events(receiver):
        jsonschema.validate(event, VES_EVENT)
    sequences = [e["event"]["commonEventHeader"]["sequence"] for e in ves_events(receiver)]
    assert sequences == sorted(sequences)


def test_preview_shows_the_aai_body(synced_mock, fake_aai, make_onap_smo) -> None:
    instance = make_onap_smo()
    pool = ResourcePool.objects.first()
    shown = northbound.preview(instance, "ResourcePoolInfo", str(pool.pk))
    assert shown["payload"][f"{REGION}/{pool.pk}"]["cloud-region-id"] == str(pool.pk)
    assert fake_aai.requests == []  # nothing was sent


def test_r005_locations_become_complexes_and_sites_cloud_zones(synced_mock, fake_aai, make_onap_smo) -> None:
    from django.db import transaction

    from inventory import changelog, specs
    from inventory.models import Location

    instance = make_onap_smo()
    assert not northbound.step(instance).errors
    complexes = fake_aai.of_type("complex")
    location = Location.objects.order_by("global_location_id").first()
    path = f"/cloud-infrastructure/complexes/complex/{location.global_location_id}"
    place = complexes[path]
    civic = {item["caType"]: item["caValue"] for item in location.civic_address}
    assert (place["complex-name"], place["city"], place["region"]) == (location.name, civic[3], civic[1])
    assert (place["country"], place["physical-location-type"]) == (civic["country"], "o2ims-location")
    assert place["longitude"] == str(location.coordinate["coordinates"][0])
    assert len(complexes) == Location.objects.count()  # every pool's complex is its site's location
    placed = list(ResourcePool.objects.exclude(o_cloud_site_id=None))
    assert placed
    for pool in placed:
        assert regions(fake_aai)[f"{REGION}/{pool.pk}"]["cloud-zone"] == str(pool.o_cloud_site_id)
    assert ObjectMapping.objects.get(instance=instance, object_id=location.global_location_id).smo_id == path

    # The backend renames the location, then drops it: both reach A&AI with the stored resource-version.
    state = specs.LOCATION.render({c: getattr(location, c) for c in specs.LOCATION.columns})
    entry = changelog.Change("LocationInfo", location.pk, changelog.MODIFY, state, {**state, "name": "Renamed"})
    with transaction.atomic():
        changelog.record([entry])
    assert not northbound.step(instance).errors
    assert fake_aai.objects[path]["complex-name"] == "Renamed"
    with transaction.atomic():
        changelog.record([changelog.Change("LocationInfo", location.pk, changelog.DELETE, state, None)])
    assert not northbound.step(instance).errors
    assert path not in fake_aai.objects
    assert fake_aai.statuses(412) == fake_aai.statuses(400) == 0


def test_a_lost_mapping_is_rebuilt_from_the_412s(synced_mock, fake_aai, make_onap_smo) -> None:
    """A&AI holds everything but the mapping table was lost: each bulk transaction's creates are refused with 412,
    the plugin reads that transaction's current versions and writes again; nothing is duplicated in A&AI."""
    instance = make_onap_smo()
    assert not northbound.step(instance).errors
    before = {path: dict(item) for path, item in fake_aai.objects.items()}
    ObjectMapping.objects.filter(instance=instance).delete()
    northbound.request_full_sync(instance)
    assert not northbound.step(instance).errors
    assert fake_aai.statuses(412) >= 1
    assert get_plugin(instance).aai.refetches == fake_aai.statuses(412)
    assert set(fake_aai.objects) == set(before)
    mapped = {row.smo_id: row.smo_version for row in ObjectMapping.objects.filter(instance=instance)}
    assert mapped
    assert all(fake_aai.objects[path]["resource-version"] == version for path, version in mapped.items())
