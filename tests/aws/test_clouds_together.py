"""All three public clouds configured at once next to the mock: AWS (moto), Azure (the fake ARM) and GKE (the
fake Google Cloud). O2ims shows one O-Cloud with pools from every backend, a pool scaled through the API changes
the node count in each cloud, and a subscriber hears of every change. tests/azure/test_clouds_together.py does
the same without AWS, in the unit stage."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.models import ResourcePool
from inventory.notifications.receiver import Receiver
from tests.aws.conftest import AwsAccount
from tests.azure.conftest import (  # noqa: F401 - fixtures of the Azure tests, used here by name
    CLUSTER,
    GROUP,
    arm,
    arm_server,
    arm_tls,
    azure_config,
    make_azure_instance,
)
from tests.azure.fake_arm import World
from tests.clouds import one_o_cloud, scale_through_the_api, subscribers_heard
from tests.gke.conftest import (  # noqa: F401 - fixtures of the GKE tests, used here by name
    LOCATION,
    ZONES,
    gcp,
    gke_config,
    make_gke_instance,
    service_account_key,
)
from tests.gke.fake_gcp import FakeGcp
from tests.o2client import O2Client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects"), pytest.mark.gke]


def test_one_o_cloud_with_pools_from_every_cloud_scaled_through_the_api(
    o2: O2Client,
    aws: AwsAccount,
    gcp: FakeGcp,  # noqa: F811
    arm: World,  # noqa: F811
    make_aws_instance: Any,
    make_azure_instance: Any,  # noqa: F811
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
    arm.add_cluster(GROUP, CLUSTER)
    arm.add_pool(GROUP, CLUSTER, "ru", count=1, zones=["1"])
    aws_instance = make_aws_instance("aws-ims", default=False)
    azure = make_azure_instance("azure-ims", default=False)
    gke = make_gke_instance("gke-ims", default=False)
    mock = make_mock_instance("mock-ims", default=True)
    one_o_cloud(o2, {"mock": mock, "aws": aws_instance, "azure": azure, "gke": gke})

    eks_pool = ResourcePool.objects.get(plugin_instance=aws_instance, native_id="ran-core/cu")
    aks_pool = ResourcePool.objects.get(plugin_instance=azure, native_id=f"{GROUP}/{CLUSTER}/ru")
    gke_pool = ResourcePool.objects.get(plugin_instance=gke, native_id=f"{LOCATION}/ran-edge/du")
    scales = [
        (eks_pool, {"aws.desiredSize": 3}),
        (aks_pool, {"azure.count": 2}),
        (gke_pool, {"gke.nodeCountPerZone": 2}),
    ]
    scale_through_the_api(o2, receiver, deliver, scales)
    assert aws.nodegroup_size("ran-core", "cu") == 3
    assert arm.node_count(GROUP, CLUSTER, "ru") == 2
    assert len(gcp.world.nodes_of("ran-edge", "du")) == 2

    aws.settle()
    subscribers_heard(receiver, deliver, [aws_instance, azure, gke], [eks_pool, aks_pool, gke_pool])
