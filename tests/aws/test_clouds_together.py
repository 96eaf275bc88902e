"""AWS (moto) and GKE (the fake Google Cloud) configured at once next to the mock: O2ims shows one O-Cloud with
pools from every backend, a pool scaled through the API changes the node count in each cloud, and a
subscriber hears of every change. tests/azure/test_clouds_together.py does the same with Azure instead of AWS, in
the unit stage."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.models import ResourcePool
from inventory.notifications.receiver import Receiver
from tests.aws.conftest import AwsAccount
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
    aws_instance = make_aws_instance("aws-ims", default=False)
    gke = make_gke_instance("gke-ims", default=False)
    one_o_cloud(o2, {"mock": make_mock_instance("mock-ims", default=True), "aws": aws_instance, "gke": gke})

    eks_pool = ResourcePool.objects.get(plugin_instance=aws_instance, native_id="ran-core/cu")
    gke_pool = ResourcePool.objects.get(plugin_instance=gke, native_id=f"{LOCATION}/ran-edge/du")
    scale_through_the_api(
        o2, receiver, deliver, [(eks_pool, {"aws.desiredSize": 3}), (gke_pool, {"gke.nodeCountPerZone": 2})]
    )
    assert aws.nodegroup_size("ran-core", "cu") == 3
    assert len(gcp.world.nodes_of("ran-edge", "du")) == 2

    aws.settle()
    subscribers_heard(receiver, deliver, [aws_instance, gke], [eks_pool, gke_pool])
