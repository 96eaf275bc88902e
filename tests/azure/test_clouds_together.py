"""Azure (the fake ARM) and GKE (the fake Google Cloud) configured at once next to the mock, all in process (the
unit stage; tests/aws/test_clouds_together.py adds AWS on moto in the backend stage): O2ims shows one O-Cloud with
pools from every backend, a pool scaled through the API changes the node count in each cloud, and a subscriber
hears of every change."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.models import ResourcePool
from inventory.notifications.receiver import Receiver
from tests.azure.conftest import CLUSTER, GROUP
from tests.azure.fake_arm import World
from tests.clouds import V1, one_o_cloud, scale_through_the_api, subscribers_heard
from tests.gke.conftest import (  # noqa: F401 - fixtures of the GKE tests, used here by name
    LOCATION,
    ZONES,
    gcp,
    gke_config,
    make_gke_instance,
    service_account_key,
)
from tests.gke.fake_gcp import FakeGcp
from tests.o2client import O2Client, o2_list

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects"), pytest.mark.gke]


def test_one_o_cloud_with_pools_from_every_cloud_scaled_through_the_api(
    o2: O2Client,
    arm: World,
    gcp: FakeGcp,  # noqa: F811
    make_azure_instance: Any,
    make_gke_instance: Any,  # noqa: F811
    make_mock_instance: Any,
    receiver: Receiver,
    deliver: Any,
) -> None:
    arm.add_cluster(GROUP, CLUSTER)
    arm.add_pool(GROUP, CLUSTER, "cu", count=2, zones=["1"])
    gcp.world.add_cluster(LOCATION, "ran-edge", ZONES)
    gcp.world.add_node_pool(LOCATION, "ran-edge", "du", nodes=1, zones=ZONES[:1])
    azure = make_azure_instance("azure-ims", default=False)
    gke = make_gke_instance("gke-ims", default=False)
    one_o_cloud(o2, {"mock": make_mock_instance("mock-ims", default=True), "azure": azure, "gke": gke})
    assert "westeurope-1" in {s["name"] for s in o2_list(o2, f"{V1}/oCloudSites")}

    aks_pool = ResourcePool.objects.get(plugin_instance=azure, native_id=f"{GROUP}/{CLUSTER}/cu")
    gke_pool = ResourcePool.objects.get(plugin_instance=gke, native_id=f"{LOCATION}/ran-edge/du")
    scale_through_the_api(
        o2, receiver, deliver, [(aks_pool, {"azure.count": 3}), (gke_pool, {"gke.nodeCountPerZone": 2})]
    )
    assert arm.node_count(GROUP, CLUSTER, "cu") == 3
    assert len(gcp.world.nodes_of("ran-edge", "du")) == 2
    subscribers_heard(receiver, deliver, [azure, gke], [aks_pool, gke_pool])
