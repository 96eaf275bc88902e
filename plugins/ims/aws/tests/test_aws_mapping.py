"""The pure AWS -> O2 mapping functions, on describe results shaped as boto3 returns them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from plugins.ims.aws import mapping
from plugins.sdk.ims import ResourceKind

REGION = "eu-west-1"
SUBNETS = [
    {"SubnetId": "subnet-a", "AvailabilityZone": "eu-west-1a"},
    {"SubnetId": "subnet-b", "AvailabilityZone": "eu-west-1b"},
]
ZONES = [{"ZoneName": "eu-west-1a", "ZoneId": "euw1-az3"}, {"ZoneName": "eu-west-1b", "ZoneId": "euw1-az1"}]
CLUSTER = {
    "name": "ran",
    "arn": "arn:aws:eks:eu-west-1:123456789012:cluster/ran",
    "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    "version": "1.31",
    "status": "ACTIVE",
    "resourcesVpcConfig": {"subnetIds": ["subnet-a", "subnet-b"]},
    "tags": {"netweave.description.du": "far edge DUs", "team": "ran"},
}
NODEGROUP = {
    "clusterName": "ran",
    "nodegroupName": "du",
    "nodegroupArn": "arn:aws:eks:eu-west-1:123456789012:nodegroup/ran/du/x",
    "status": "ACTIVE",
    "scalingConfig": {"minSize": 1, "maxSize": 5, "desiredSize": 3},
    "instanceTypes": ["c5.xlarge"],
    "subnets": ["subnet-b"],
    "labels": {"tier": "edge"},
    "resources": {"autoScalingGroups": [{"name": "eks-du-123"}]},
    "tags": {"owner": "ran", "eks:internal": "x"},
    "modifiedAt": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
}


def instance(instance_id: str, *, tags: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "InstanceId": instance_id,
        "InstanceType": "c5.xlarge",
        "State": {"Name": "running"},
        "Placement": {"AvailabilityZone": "eu-west-1b"},
        "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        **extra,
    }


def test_node_group_becomes_a_pool_with_scaling_and_sites() -> None:
    pool = mapping.resource_pool_from_nodegroup(NODEGROUP, mapping.tags_of(CLUSTER), SUBNETS, REGION)
    assert (pool.native_id, pool.name, pool.description, pool.location) == ("ran/du", "du", "far edge DUs", REGION)
    ext = pool.extensions
    assert (ext["aws.desiredSize"], ext["aws.minSize"], ext["aws.maxSize"]) == (3, 1, 5)
    assert ext["aws.availabilityZones"] == ["eu-west-1b"]
    assert ext["aws.tags"] == {"owner": "ran"}
    assert "modifiedAt" not in str(ext)  # timestamps that change on every update stay out


def test_instances_go_to_their_node_group_by_auto_scaling_group_then_by_eks_tags() -> None:
    by_asg = mapping.asg_pools([NODEGROUP])
    pools = {"ran/du"}
    assert mapping.pool_of_instance(instance("i-1", tags={mapping.TAG_ASG: "eks-du-123"}), by_asg, pools) == "ran/du"
    tagged = instance("i-2", tags={mapping.TAG_EKS_CLUSTER: "ran", mapping.TAG_EKS_NODEGROUP: "du"})
    assert mapping.pool_of_instance(tagged, by_asg, pools) == "ran/du"
    other_cluster = instance("i-3", tags={mapping.TAG_EKS_CLUSTER: "other", mapping.TAG_EKS_NODEGROUP: "du"})
    assert mapping.pool_of_instance(other_cluster, by_asg, pools) == mapping.UNMANAGED_POOL


def test_instance_becomes_a_resource_with_its_site() -> None:
    resource = mapping.resource_from_instance(
        instance("i-1", tags={"Name": "du-1", mapping.TAG_ASG: "eks-du-123"}, InstanceLifecycle="spot"),
        pool="ran/du",
        zones=ZONES,
        region=REGION,
    )
    assert (resource.native_id, resource.resource_type_id, resource.description) == ("i-1", "c5.xlarge", "du-1")
    assert resource.extensions["aws.site"] == {"name": "eu-west-1b", "zoneId": "euw1-az1", "region": REGION}
    assert resource.extensions["aws.lifecycle"] == "spot"
    assert resource.extensions["aws.tags"] == {"Name": "du-1"}


def test_instance_type_kind_follows_bare_metal() -> None:
    virtual = mapping.resource_type_from_instance_type(
        {"InstanceType": "c5.xlarge", "VCpuInfo": {"DefaultVCpus": 4}, "MemoryInfo": {"SizeInMiB": 8192}}
    )
    metal = mapping.resource_type_from_instance_type({"InstanceType": "c5.metal", "BareMetal": True})
    assert (virtual.resource_kind, metal.resource_kind) == (ResourceKind.LOGICAL, ResourceKind.PHYSICAL)
    assert virtual.extensions["aws.vcpus"] == 4
    assert virtual.vendor == mapping.VENDOR


def test_cluster_becomes_a_deployment_manager_over_its_zones() -> None:
    manager = mapping.deployment_manager_from_cluster(CLUSTER, SUBNETS, REGION)
    assert (manager.native_id, manager.name, manager.service_uri) == ("ran", "EKS ran", CLUSTER["endpoint"])
    assert manager.supported_locations == ("eu-west-1a", "eu-west-1b")
    assert manager.extensions["aws.tags"] == {"team": "ran"}


def test_snapshot_maps_everything_and_the_fingerprint_follows_the_content() -> None:
    snapshot = mapping.Snapshot(
        region=REGION,
        clusters=[CLUSTER],
        nodegroups=[NODEGROUP],
        instances=[instance("i-1", tags={mapping.TAG_ASG: "eks-du-123"}), instance("i-9")],
        instance_types=[{"InstanceType": "c5.xlarge"}],
        subnets=SUBNETS,
        zones=ZONES,
    )
    mapped = mapping.map_snapshot(snapshot)
    assert [p.native_id for p in mapped.resource_pools] == ["ran/du", mapping.UNMANAGED_POOL]
    assert {r.native_id: r.resource_pool_id for r in mapped.resources} == {"i-1": "ran/du", "i-9": "unmanaged"}
    reordered = mapping.Snapshot(**{**snapshot.__dict__, "instances": list(reversed(snapshot.instances))})
    assert reordered.fingerprint() == snapshot.fingerprint()
    scaled = {**NODEGROUP, "scalingConfig": {"minSize": 1, "maxSize": 5, "desiredSize": 4}}
    assert mapping.Snapshot(**{**snapshot.__dict__, "nodegroups": [scaled]}).fingerprint() != snapshot.fingerprint()
    without = mapping.map_snapshot(mapping.Snapshot(**{**snapshot.__dict__, "include_unmanaged": False}))
    assert [r.native_id for r in without.resources] == ["i-1"]
    assert mapping.split_pool_id("ran/du") == ("ran", "du")
    assert mapping.split_pool_id("unmanaged") is None
