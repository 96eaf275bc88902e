"""AWS (moto) and GKE (the fake Google Cloud) configured at once next to the mock: O2ims shows one O-Cloud with
pools from every backend, a pool scaled through the API changes the node count in each cloud, and a
subscriber hears of every change. (Azure has no plugin yet: see the report of issue 20.)"""

from __future__ import annotations

from typing import Any

import pytest

from inventory.models import ResourcePool
from inventory.notifications.receiver import Receiver
from inventory.sync import sync_instance
from tests.aws.conftest import AwsAccount
from tests.gke.conftest import (  # noqa: F401 - fixtures of the GKE tests, used here by name
    LOCATION,
    ZONES,
    gcp,
    gke_config,
    make_gke_instance,
    service_account_key,
)
from tests.gke.fake_gcp import FakeGcp
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects"), pytest.mark.gke]
V1 = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"


def test_one_o_cloud_with_pools_from_every_cloud_scaled_through_the_api(
    o2: O2Client,
    aws: AwsAccount,
    gcp: FakeGcp,  # noqa: F811
    make_aws_instance: Any,
    make_gke_instance: Any,  # noqa: F811
    make_mock_instance: Any,
    receiver: Receiver,
    deliver: Any,
) -> None:
    aws.create_cluster("ran-core")
    aws.create_nodegroup("ran-core", "cu", desired=2)
    aws.settle()
    gcp.world.add_cluster(LOCATION, "ran-edge", ZONES)
    gcp.world.add_node_pool(LOCATION, "ran-edge", "du", nodes=1, zones=ZONES[:1])
    instances = {
        "mock": make_mock_instance("mock-ims", default=True),
        "aws": make_aws_instance("aws-ims", default=False),
        "gke": make_gke_instance("gke-ims", default=False),
    }
    for instance in instances.values():
        sync_instance(instance)

    cloud = json_of(o2.get(V1))
    pools = json_of(o2.get(f"{V1}/resourcePools?all_fields"))
    owners = {ResourcePool.objects.get(id=p["resourcePoolId"]).plugin_instance.name for p in pools}
    assert owners == {"mock-ims", "aws-ims", "gke-ims"}
    assert {p["oCloudId"] for p in pools} == {cloud["oCloudId"]}

    subscribe(o2, receiver.url + "/smo", consumerSubscriptionId="smo-clouds")
    eks_pool = ResourcePool.objects.get(plugin_instance=instances["aws"], native_id="ran-core/cu")
    gke_pool = ResourcePool.objects.get(plugin_instance=instances["gke"], native_id=f"{LOCATION}/ran-edge/du")
    for pool, extensions in ((eks_pool, {"aws.desiredSize": 3}), (gke_pool, {"gke.nodeCountPerZone": 2})):
        response = deliver(
            lambda pool=pool, extensions=extensions: o2.patch(f"{EXT}/{pool.id}", {"extensions": extensions})
        )
        assert response.status_code == 200, response.content
    assert aws.nodegroup_size("ran-core", "cu") == 3
    assert len(gcp.world.nodes_of("ran-edge", "du")) == 2

    aws.settle()
    for name in ("aws", "gke"):
        deliver(lambda name=name: sync_instance(instances[name]))
    bodies = receiver.bodies()
    modified = {b["objectRef"].rsplit("/", 1)[-1] for b in bodies if b["notificationEventType"] == 1}
    assert {str(eks_pool.id), str(gke_pool.id)} <= modified
    created_in = [b["postObjectState"]["resourcePoolId"] for b in bodies if b["notificationEventType"] == 0]
    assert sorted(created_in) == sorted([str(eks_pool.id), str(gke_pool.id)])
