"""The GKE IMS plugin end to end: the fake Google Cloud on one side, netweave's HTTP API and admin on the other.

Node pools and node VMs appear in O2 after a sync; resizing a pool through the write extension runs GKE's
SetNodePoolSize operation to completion and subscribers hear of the new nodes; the service-account key (a
multi-line Secret) shows nowhere; an outage keeps the inventory and raises the backend alarm.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from inventory import identity
from inventory.alarms import backend_health, lifecycle
from inventory.models import Resource, ResourcePool
from inventory.notifications.receiver import Receiver
from inventory.sync import SyncFailed, sync_instance
from plugins import registry
from tests.gke.conftest import LOCATION, ZONES
from tests.gke.fake_gcp import FakeGcp
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of, o2_list

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]
V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"


def test_node_pools_and_nodes_appear_and_a_resize_reaches_gke_and_subscribers(
    o2: O2Client, gcp: FakeGcp, make_gke_instance: Any, receiver: Receiver, deliver: Any
) -> None:
    gcp.world.add_cluster(LOCATION, "ran-core", ZONES)
    gcp.world.add_node_pool(LOCATION, "ran-core", "cu", nodes=1, zones=ZONES[:2], machine_type="n2-standard-8")
    instance = make_gke_instance()
    sync_instance(instance)
    pool_id = identity.object_uuid(instance.pk, identity.RESOURCE_POOL, f"{LOCATION}/ran-core/cu")
    pool = json_of(o2.get(f"{V1}/resourcePools/{pool_id}?all_fields"))
    assert (pool["name"], pool["location"]) == ("cu", LOCATION)
    assert pool["extensions"]["gke.nodeCount"] == 2
    assert pool["extensions"]["gke.zones"] == ZONES[:2]
    nodes = json_of(o2.get(f"{V1}/resourcePools/{pool_id}/resources?all_fields"))
    assert sorted(n["extensions"]["gke.name"] for n in nodes) == gcp.world.nodes_of("ran-core", "cu")
    machine = json_of(o2.get(f"{V1}/resourceTypes/{nodes[0]['resourceTypeId']}?all_fields"))
    assert (machine["name"], machine["extensions"]["gke.guestCpus"]) == ("n2-standard-8", 8)
    # R005: the region is the location, the zones its sites; the pool spans two zones, so it names none.
    (location,) = o2_list(o2, f"{V1}/locations")
    sites = {s["name"]: s for s in o2_list(o2, f"{V1}/oCloudSites")}
    assert location["globalLocationId"] == LOCATION
    assert set(sites) == set(ZONES[:2])
    assert {s["globalLocationId"] for s in sites.values()} == {LOCATION}
    assert pool.get("oCloudSiteId") is None
    assert sync_instance(instance).skipped  # nothing changed in GKE

    subscribe(o2, receiver.url + "/smo", consumerSubscriptionId="smo-gke")
    row = ResourcePool.objects.get(id=pool_id)
    patched = deliver(lambda: o2.patch(f"{EXT}/{row.id}", {"extensions": {"gke.nodeCountPerZone": 3}}))
    assert patched.status_code == 200, patched.content
    assert json_of(patched)["extensions"]["gke.nodeCount"] == 6
    assert len(gcp.world.nodes_of("ran-core", "cu")) == 6  # the operation ran to DONE
    assert "SetNodePoolSize" in gcp.world.requests
    assert gcp.world.requests.count("GetOperation") >= 2  # polled while RUNNING, then DONE
    deliver(lambda: sync_instance(instance))
    created = [b for b in receiver.bodies() if b["notificationEventType"] == 0]
    assert len(created) == 4
    assert Resource.objects.filter(resource_pool_id=pool_id).count() == 6

    refused = o2.patch(f"{EXT}/{row.id}", {"description": "GKE has none"})
    assert refused.status_code == 400
    assert json_of(refused)["additionalAttributes"]["field"] == "description"


def test_the_service_account_key_shows_nowhere_and_an_outage_keeps_the_inventory(
    o2: O2Client, admin_client: Any, gcp: FakeGcp, make_gke_instance: Any, gke_config: dict[str, Any]
) -> None:
    gcp.world.add_cluster(LOCATION, "ran-core", ZONES)
    gcp.world.add_node_pool(LOCATION, "ran-core", "cu", nodes=2, zones=ZONES[:1])
    instance = make_gke_instance()
    sync_instance(instance)
    key_line = gke_config["credentialsJson"].splitlines()[4]  # a line of the private key
    assert "PRIVATE KEY" in gke_config["credentialsJson"]

    gcp.world.down = True
    with pytest.raises(SyncFailed) as failed:
        sync_instance(instance)
    assert "unreachable" in str(failed.value)
    assert Resource.objects.filter(plugin_instance=instance).count() == 2
    instance.refresh_from_db()
    assert instance.health_ok is False
    assert lifecycle.active_record(instance, backend_health.KEY) is not None
    for text in (str(failed.value), instance.health_message):
        assert "PRIVATE KEY" not in text
    page = admin_client.get(reverse("admin:plugins_plugininstance_change", args=[instance.pk]))
    assert page.status_code == 200
    assert "PRIVATE KEY" not in page.content.decode()
    assert key_line.strip('", ') not in page.content.decode()

    gcp.world.down = False
    registry.forget(instance.pk)
    sync_instance(instance)
    assert lifecycle.active_record(instance, backend_health.KEY) is None


def test_the_admin_takes_the_multi_line_key_in_a_textarea_that_never_renders_it(
    admin_client: Any, gcp: FakeGcp, make_gke_instance: Any, gke_config: dict[str, Any]
) -> None:
    instance = make_gke_instance()
    page = admin_client.get(reverse("admin:plugins_plugininstance_change", args=[instance.pk])).content.decode()
    assert '<textarea name="secret__credentialsJson"' in page
    assert "PRIVATE KEY" not in page

    from plugins.admin import WriteOnlyTextarea

    assert "PRIVATE KEY" not in WriteOnlyTextarea().render("secret__credentialsJson", gke_config["credentialsJson"])
