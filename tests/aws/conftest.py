"""moto in server mode for the AWS IMS plugin's tests: EC2, EKS, Auto Scaling and STS behind one endpoint.

The session starts `moto_server` (moto[server], pinned in requirements-dev.txt) as a subprocess on a free
loopback port and stops it at the end; each test starts from a reset backend. If it cannot start, the session
fails loudly under CI=true; elsewhere the tests are skipped with the reason.

moto's EKS keeps node groups as API objects only; real EKS runs each managed node group as an Auto Scaling group
whose instances carry `eks:cluster-name` / `eks:nodegroup-name` tags. `EksNodeController.settle()` plays that
part of AWS: it makes the Auto Scaling group named in each node group's `resources` follow the node group's
scaling config, and moto's Auto Scaling launches or terminates the EC2 instances.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

REGION = "eu-west-1"
ACCOUNT = "123456789012"
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-nodes"
CLUSTER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/eks-cluster"
ACCESS_KEY = "AKIANETWEAVETEST0001"
SECRET_KEY = "nw/Secret+Key-that-must-never-show-0123456789"
START_TIMEOUT = 60.0
# moto launches instances from any AMI id; loading its catalogue of public AMIs costs seconds after every reset
IMAGE = "ami-0netweave00000001"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test here needs the moto server: marked `backend` and `aws` (make test-backends PLUGIN=aws)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.backend)
            item.add_marker(pytest.mark.aws)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> str | None:
    """None once moto answers, else why it did not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"moto_server exited with {process.returncode}"
        try:
            with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2):
                return None
        except OSError:
            time.sleep(0.1)
    return f"moto_server did not answer within {timeout:.0f} s"


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a moto server started for this session."""
    server = Path(sys.executable).parent / "moto_server"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=out,
            env={**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
        )
    problem = _wait_up(url, process, START_TIMEOUT) if server.exists() else f"{server} is not installed"
    if problem:
        process.kill()
        message = f"the moto server did not start: {problem}\n{log.read_text(errors='replace')[-2000:]}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    yield url
    process.terminate()
    process.wait(timeout=10)


def aws_client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


class AwsAccount:
    """Direct boto3 clients on the moto server, for arranging the account the way an operator would in AWS."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.ec2 = aws_client(endpoint, "ec2")
        self.eks = aws_client(endpoint, "eks")
        self.autoscaling = aws_client(endpoint, "autoscaling")
        self.subnets = sorted(
            (s["AvailabilityZone"], s["SubnetId"]) for s in self.ec2.describe_subnets()["Subnets"] if s["DefaultForAz"]
        )
        self.image = IMAGE

    def subnet_ids(self, count: int = 2) -> list[str]:
        return [subnet for _, subnet in self.subnets[:count]]

    def create_cluster(self, name: str) -> dict[str, Any]:
        return self.eks.create_cluster(
            name=name, roleArn=CLUSTER_ROLE, resourcesVpcConfig={"subnetIds": self.subnet_ids(3)}, version="1.31"
        )["cluster"]

    def create_nodegroup(
        self, cluster: str, name: str, *, desired: int = 2, instance_type: str = "m5.large", **extra: Any
    ) -> dict[str, Any]:
        return self.eks.create_nodegroup(
            clusterName=cluster,
            nodegroupName=name,
            subnets=self.subnet_ids(1),
            nodeRole=NODE_ROLE,
            scalingConfig={"minSize": 0, "maxSize": max(desired, 10), "desiredSize": desired},
            instanceTypes=[instance_type],
            **extra,
        )["nodegroup"]

    def run_instances(self, count: int, instance_type: str = "t3.micro", name: str = "") -> list[str]:
        tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}] if name else []
        reservation = self.ec2.run_instances(
            ImageId=self.image,
            MinCount=count,
            MaxCount=count,
            InstanceType=instance_type,
            SubnetId=self.subnet_ids(1)[0],
            TagSpecifications=tags,
        )
        return [i["InstanceId"] for i in reservation["Instances"]]

    def nodegroup_size(self, cluster: str, name: str) -> int:
        return int(
            self.eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]["scalingConfig"][
                "desiredSize"
            ]
        )

    def instances_of(self, cluster: str, name: str) -> list[str]:
        filters = [
            {"Name": "tag:eks:nodegroup-name", "Values": [name]},
            {"Name": "tag:eks:cluster-name", "Values": [cluster]},
            {"Name": "instance-state-name", "Values": ["pending", "running"]},
        ]
        pages = self.ec2.get_paginator("describe_instances").paginate(Filters=filters)
        return sorted(i["InstanceId"] for page in pages for r in page["Reservations"] for i in r["Instances"])

    def settle(self) -> None:
        """Play EKS's managed node group controller: each node group's Auto Scaling group exists and has the node
        group's desired size, its instances tagged as EKS tags them; groups of deleted node groups go away."""
        wanted: dict[str, dict[str, Any]] = {}
        for cluster in self.eks.list_clusters()["clusters"]:
            for name in self.eks.list_nodegroups(clusterName=cluster)["nodegroups"]:
                nodegroup = self.eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
                for group in nodegroup["resources"]["autoScalingGroups"]:
                    wanted[group["name"]] = nodegroup
        existing = {
            g["AutoScalingGroupName"] for g in self.autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]
        }
        for group, nodegroup in wanted.items():
            scaling = nodegroup["scalingConfig"]
            if group in existing:
                self.autoscaling.update_auto_scaling_group(
                    AutoScalingGroupName=group,
                    MinSize=scaling["minSize"],
                    MaxSize=scaling["maxSize"],
                    DesiredCapacity=scaling["desiredSize"],
                )
                continue
            template = f"{group}-lt"
            self.ec2.create_launch_template(
                LaunchTemplateName=template,
                LaunchTemplateData={"ImageId": self.image, "InstanceType": nodegroup["instanceTypes"][0]},
            )
            tags = {"eks:cluster-name": nodegroup["clusterName"], "eks:nodegroup-name": nodegroup["nodegroupName"]}
            self.autoscaling.create_auto_scaling_group(
                AutoScalingGroupName=group,
                LaunchTemplate={"LaunchTemplateName": template},
                MinSize=scaling["minSize"],
                MaxSize=scaling["maxSize"],
                DesiredCapacity=scaling["desiredSize"],
                VPCZoneIdentifier=",".join(nodegroup["subnets"]),
                Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in tags.items()],
            )
        for group in existing - set(wanted):
            self.autoscaling.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)


@pytest.fixture
def aws(moto_endpoint: str) -> AwsAccount:
    """A freshly reset moto account (every service's state dropped) with direct clients on it."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass
    return AwsAccount(moto_endpoint)


@pytest.fixture
def aws_config(moto_endpoint: str) -> dict[str, Any]:
    """The plugin's config for the moto account (secret in clear: for direct plugin objects only)."""
    return {
        "region": REGION,
        "endpointUrl": moto_endpoint,
        "accessKeyId": ACCESS_KEY,
        "secretAccessKey": SECRET_KEY,
        "ocloudId": "ocloud-aws-test",
        "maxAttempts": 2,
        "requestTimeoutSeconds": 5,
    }


@pytest.fixture
def make_aws_instance(db: None, aws_config: dict[str, Any]) -> Callable[..., Any]:
    """Save an `aws` PluginInstance whose secret access key is an encrypted Secret, as an operator would."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_ref, set_secret_value

    def make(name: str = "aws-ims", *, default: bool = True, secret: str | None = None, **config: Any) -> Any:
        stored = set_secret_value(Secret(name=f"{name}-secret-key"), secret or SECRET_KEY)
        return PluginInstance.objects.create(
            name=name,
            category="ims",
            plugin_type="aws",
            is_default=default,
            sync_interval=0,
            config={**aws_config, **config, "secretAccessKey": secret_ref(stored.name)},
        )

    return make


@pytest.fixture
def forget_plugin_objects() -> Iterator[None]:
    """Drop the plugin objects the registry cached for this test's instances, whose rows are rolled back."""
    yield
    from plugins import registry

    registry.forget_all()
