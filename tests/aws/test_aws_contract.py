"""The AWS IMS plugin against the IMS contract kit (plugins/testing/ims.py), on moto in server mode."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plugins.ims.aws.plugin import AWSIMSPlugin
from plugins.sdk.ims import ResourcePool
from plugins.testing.ims import IMSPluginContract
from tests.aws.conftest import NODE_ROLE, AwsAccount


@pytest.fixture
def populated(aws: AwsAccount) -> AwsAccount:
    """Two clusters with node groups of two instance types, running nodes, and one instance outside EKS."""
    aws.create_cluster("ran-core")
    aws.create_cluster("ran-edge")
    aws.create_nodegroup("ran-core", "cu", desired=2, instance_type="m5.large")
    aws.create_nodegroup("ran-edge", "du", desired=3, instance_type="c5.xlarge", labels={"tier": "far-edge"})
    aws.settle()
    aws.run_instances(1, "t3.micro", name="bastion")
    return aws


class TestAWSContract(IMSPluginContract):
    @pytest.fixture
    def ims_plugin(self, populated: AwsAccount, aws_config: dict[str, Any]) -> Iterator[AWSIMSPlugin]:
        plugin = AWSIMSPlugin("contract")
        plugin.initialize(aws_config)
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, make_aws_instance: Callable[..., Any], forget_plugin_objects: None) -> Any:
        return make_aws_instance("aws-contract")

    @pytest.fixture
    def new_pool(self, populated: AwsAccount) -> ResourcePool:
        return ResourcePool(
            native_id="",
            name=f"contract-{uuid.uuid4().hex[:8]}",
            description="created by the netweave IMS contract kit",
            extensions={
                "aws.cluster": "ran-core",
                "aws.subnets": populated.subnet_ids(1),
                "aws.nodeRole": NODE_ROLE,
                "aws.desiredSize": 1,
                "aws.instanceTypes": ["m5.large"],
            },
        )
