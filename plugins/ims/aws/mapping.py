"""Pure functions: AWS describe results (the plain dicts boto3 returns) -> O2 objects.

EKS node group -> ResourcePool (native id `<cluster>/<nodegroup>`), EC2 instance -> Resource, instance type ->
ResourceType, EKS cluster -> DeploymentManager. EC2 instances outside every mapped node group go to one derived
pool, `unmanaged`. R005: the region is a location and its availability zones O-Cloud sites (plugins/sdk/places.py);
a node group whose subnets are all in one zone is at that zone's site. The extensions (`aws.region`,
`aws.availabilityZones`, `aws.site`) say the same.

Only stable facts go into the O2 objects (no health timers, no modified-at stamps): a re-sync of an unchanged
account hashes to the same content. Extension keys are named `aws.<key>`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from plugins.sdk.ims import (
    DeploymentManager,
    Location,
    OCloudSite,
    Resource,
    ResourceClass,
    ResourceKind,
    ResourcePool,
    ResourceType,
)
from plugins.sdk.places import only_zone, regions_and_zones

UNMANAGED_POOL = "unmanaged"
VENDOR = "Amazon Web Services"
# A pool's O2 description is a tag of its cluster, `netweave.description.<nodegroup>`: EKS tags clusters and node
# groups alike, but moto (the test backend) tags clusters only, and one place per cluster serves both.
TAG_DESCRIPTION_PREFIX = "netweave.description."
TAG_NAME = "Name"
TAG_ASG = "aws:autoscaling:groupName"
TAG_EKS_CLUSTER = "eks:cluster-name"
TAG_EKS_NODEGROUP = "eks:nodegroup-name"
LIVE_STATES = ("pending", "running", "stopping", "stopped", "shutting-down")


@dataclass(frozen=True)
class Snapshot:
    """One pass of describe calls: everything a sync maps. `fingerprint()` is the ETag-like digest compared
    between polls (AWS's describe APIs have no ETags of their own)."""

    region: str
    clusters: Sequence[Mapping[str, Any]] = ()
    nodegroups: Sequence[Mapping[str, Any]] = ()
    instances: Sequence[Mapping[str, Any]] = ()
    instance_types: Sequence[Mapping[str, Any]] = ()
    subnets: Sequence[Mapping[str, Any]] = ()
    zones: Sequence[Mapping[str, Any]] = ()
    include_unmanaged: bool = True

    def fingerprint(self) -> str:
        body = orjson.dumps(
            [
                self.region,
                self.include_unmanaged,
                _sorted(self.clusters, "name"),
                _sorted(self.nodegroups, "nodegroupArn"),
                _sorted(self.instances, "InstanceId"),
                _sorted(self.instance_types, "InstanceType"),
                _sorted(self.subnets, "SubnetId"),
                _sorted(self.zones, "ZoneName"),
            ],
            option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
            default=str,
        )
        return hashlib.sha256(body).hexdigest()


def _sorted(items: Sequence[Mapping[str, Any]], key: str) -> list[Mapping[str, Any]]:
    return sorted(items, key=lambda item: str(item.get(key, "")))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def tags_of(obj: Mapping[str, Any]) -> dict[str, str]:
    """EC2's tag list ([{Key, Value}]) or EKS's tag map, as one map."""
    tags = obj.get("Tags", obj.get("tags"))
    if isinstance(tags, Mapping):
        return {str(k): _text(v) for k, v in tags.items()}
    return {str(t.get("Key")): _text(t.get("Value")) for t in tags or () if isinstance(t, Mapping)}


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags the operator set: without AWS's (`aws:`), EKS's (`eks:`) and netweave's own."""
    return {k: v for k, v in sorted(tags.items()) if not k.startswith(("aws:", "eks:", "netweave.", "kubernetes.io/"))}


def pool_id(cluster: str, nodegroup: str) -> str:
    return f"{cluster}/{nodegroup}"


def split_pool_id(native_id: str) -> tuple[str, str] | None:
    """(cluster, node group) of a node group pool's native id, or None when it names no node group."""
    cluster, sep, nodegroup = native_id.partition("/")
    if not sep or not cluster or not nodegroup or "/" in nodegroup:
        return None
    return cluster, nodegroup


def zones_of_subnets(subnet_ids: Iterable[str], subnets: Sequence[Mapping[str, Any]]) -> list[str]:
    by_id = {s.get("SubnetId"): _text(s.get("AvailabilityZone")) for s in subnets}
    return sorted({by_id[s] for s in subnet_ids if by_id.get(s)})


def site_of_zone(zone_name: str, zones: Sequence[Mapping[str, Any]], region: str) -> dict[str, str]:
    """An availability zone as a future O-Cloud site: its name, AWS's zone id (stable across accounts) and the
    region it is in (the site's location)."""
    zone = next((z for z in zones if z.get("ZoneName") == zone_name), {})
    return {"name": zone_name, "zoneId": _text(zone.get("ZoneId")), "region": region}


def description_tag(nodegroup: str) -> str:
    return f"{TAG_DESCRIPTION_PREFIX}{nodegroup}"


def resource_pool_from_nodegroup(
    nodegroup: Mapping[str, Any], cluster_tags: Mapping[str, str], subnets: Sequence[Mapping[str, Any]], region: str
) -> ResourcePool:
    tags = tags_of(nodegroup)
    scaling = nodegroup.get("scalingConfig") or {}
    cluster, name = _text(nodegroup["clusterName"]), _text(nodegroup["nodegroupName"])
    zones = zones_of_subnets(nodegroup.get("subnets") or (), subnets)
    return ResourcePool(
        native_id=pool_id(cluster, name),
        name=name,
        description=cluster_tags.get(description_tag(_text(nodegroup["nodegroupName"])), ""),
        location=region,
        site_id=only_zone(zones),
        extensions={
            "aws.region": region,
            "aws.availabilityZones": zones,
            "aws.cluster": cluster,
            "aws.nodegroup": name,
            "aws.nodegroupArn": _text(nodegroup.get("nodegroupArn")),
            "aws.status": _text(nodegroup.get("status")),
            "aws.desiredSize": int(scaling.get("desiredSize") or 0),
            "aws.minSize": int(scaling.get("minSize") or 0),
            "aws.maxSize": int(scaling.get("maxSize") or 0),
            "aws.instanceTypes": sorted(_text(t) for t in nodegroup.get("instanceTypes") or ()),
            "aws.capacityType": _text(nodegroup.get("capacityType")),
            "aws.amiType": _text(nodegroup.get("amiType")),
            "aws.kubernetesVersion": _text(nodegroup.get("version")),
            "aws.subnets": sorted(_text(s) for s in nodegroup.get("subnets") or ()),
            "aws.nodeRole": _text(nodegroup.get("nodeRole")),
            "aws.labels": {str(k): _text(v) for k, v in sorted((nodegroup.get("labels") or {}).items())},
            "aws.autoScalingGroups": sorted(
                _text(g.get("name")) for g in (nodegroup.get("resources") or {}).get("autoScalingGroups") or ()
            ),
            "aws.tags": user_tags(tags),
        },
    )


def unmanaged_pool(region: str, zones: Iterable[str]) -> ResourcePool:
    """The derived pool of EC2 instances outside every mapped node group. It is not an AWS object: read-only."""
    return ResourcePool(
        native_id=UNMANAGED_POOL,
        name=f"{region} EC2 instances outside EKS node groups",
        description="EC2 instances that belong to no mapped EKS node group.",
        location=region,
        extensions={"aws.region": region, "aws.availabilityZones": sorted(set(zones)), "aws.derived": True},
    )


def asg_pools(nodegroups: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Auto Scaling group name -> node group pool id (EKS runs each managed node group as Auto Scaling groups)."""
    found: dict[str, str] = {}
    for nodegroup in nodegroups:
        for group in (nodegroup.get("resources") or {}).get("autoScalingGroups") or ():
            found[_text(group.get("name"))] = pool_id(nodegroup["clusterName"], nodegroup["nodegroupName"])
    return found


def pool_of_instance(instance: Mapping[str, Any], pools_by_asg: Mapping[str, str], pool_ids: Iterable[str]) -> str:
    """The node group pool an instance belongs to: by its Auto Scaling group, else by the EKS tags EKS puts on
    managed nodes; the unmanaged pool otherwise."""
    tags = tags_of(instance)
    by_asg = pools_by_asg.get(tags.get(TAG_ASG, ""))
    if by_asg:
        return by_asg
    if tags.get(TAG_EKS_CLUSTER) and tags.get(TAG_EKS_NODEGROUP):
        candidate = pool_id(tags[TAG_EKS_CLUSTER], tags[TAG_EKS_NODEGROUP])
        if candidate in set(pool_ids):
            return candidate
    return UNMANAGED_POOL


def resource_from_instance(
    instance: Mapping[str, Any], *, pool: str, zones: Sequence[Mapping[str, Any]], region: str
) -> Resource:
    tags = tags_of(instance)
    placement = instance.get("Placement") or {}
    zone = _text(placement.get("AvailabilityZone"))
    return Resource(
        native_id=_text(instance["InstanceId"]),
        resource_type_id=_text(instance.get("InstanceType")),
        resource_pool_id=pool,
        description=tags.get(TAG_NAME) or _text(instance["InstanceId"]),
        extensions={
            "aws.instanceId": _text(instance["InstanceId"]),
            "aws.state": _text((instance.get("State") or {}).get("Name")),
            "aws.instanceType": _text(instance.get("InstanceType")),
            "aws.availabilityZone": zone,
            "aws.site": site_of_zone(zone, zones, region),
            "aws.imageId": _text(instance.get("ImageId")),
            "aws.privateIpAddress": _text(instance.get("PrivateIpAddress")),
            "aws.privateDnsName": _text(instance.get("PrivateDnsName")),
            "aws.subnetId": _text(instance.get("SubnetId")),
            "aws.vpcId": _text(instance.get("VpcId")),
            "aws.lifecycle": _text(instance.get("InstanceLifecycle")) or "on-demand",
            "aws.autoScalingGroup": tags.get(TAG_ASG, ""),
            "aws.tags": user_tags(tags),
        },
    )


def resource_type_from_instance_type(info: Mapping[str, Any]) -> ResourceType:
    name = _text(info["InstanceType"])
    vcpus = (info.get("VCpuInfo") or {}).get("DefaultVCpus")
    memory = (info.get("MemoryInfo") or {}).get("SizeInMiB")
    bare_metal = bool(info.get("BareMetal"))
    return ResourceType(
        native_id=name,
        name=name,
        description=f"EC2 {name}: {vcpus} vCPU, {memory} MiB memory{' (bare metal)' if bare_metal else ''}",
        vendor=VENDOR,
        model=name,
        resource_kind=ResourceKind.PHYSICAL if bare_metal else ResourceKind.LOGICAL,
        resource_class=ResourceClass.COMPUTE,
        extensions={
            "aws.vcpus": vcpus,
            "aws.memoryMiB": memory,
            "aws.bareMetal": bare_metal,
            "aws.architectures": sorted((info.get("ProcessorInfo") or {}).get("SupportedArchitectures") or ()),
            "aws.hypervisor": _text(info.get("Hypervisor")),
            "aws.networkPerformance": _text((info.get("NetworkInfo") or {}).get("NetworkPerformance")),
            "aws.currentGeneration": bool(info.get("CurrentGeneration")),
        },
    )


def deployment_manager_from_cluster(
    cluster: Mapping[str, Any], subnets: Sequence[Mapping[str, Any]], region: str
) -> DeploymentManager:
    """An EKS cluster is a Kubernetes deployment manager; its sites are the zones of its subnets."""
    name = _text(cluster["name"])
    vpc = cluster.get("resourcesVpcConfig") or {}
    zones = zones_of_subnets(vpc.get("subnetIds") or (), subnets)
    return DeploymentManager(
        native_id=name,
        name=f"EKS {name}",
        description=f"Amazon EKS cluster {name} in {region}",
        service_uri=_text(cluster.get("endpoint")),
        supported_locations=tuple(zones),
        capabilities={"kubernetesVersion": _text(cluster.get("version"))},
        extensions={
            "aws.region": region,
            "aws.availabilityZones": zones,
            "aws.arn": _text(cluster.get("arn")),
            "aws.status": _text(cluster.get("status")),
            "aws.platformVersion": _text(cluster.get("platformVersion")),
            "aws.tags": user_tags(tags_of(cluster)),
        },
    )


@dataclass(frozen=True)
class Mapped:
    deployment_managers: list[DeploymentManager]
    resource_pools: list[ResourcePool]
    resource_types: list[ResourceType]
    resources: list[Resource]
    locations: list[Location]
    sites: list[OCloudSite]


def map_snapshot(snapshot: Snapshot) -> Mapped:
    """The whole O2 inventory of one describe pass."""
    region = snapshot.region
    cluster_tags = {c["name"]: tags_of(c) for c in snapshot.clusters}
    pools = [
        resource_pool_from_nodegroup(ng, cluster_tags.get(ng["clusterName"], {}), snapshot.subnets, region)
        for ng in snapshot.nodegroups
    ]
    pool_ids = {p.native_id for p in pools}
    by_asg = asg_pools(snapshot.nodegroups)
    resources = []
    for instance in snapshot.instances:
        pool = pool_of_instance(instance, by_asg, pool_ids)
        if pool == UNMANAGED_POOL and not snapshot.include_unmanaged:
            continue
        resources.append(resource_from_instance(instance, pool=pool, zones=snapshot.zones, region=region))
    if snapshot.include_unmanaged:
        pools.append(unmanaged_pool(region, (_text(z.get("ZoneName")) for z in snapshot.zones)))
    zones = {_text(z.get("ZoneName")) for z in snapshot.zones}
    zones.update(r.extensions["aws.availabilityZone"] for r in resources)
    zones.update(z for p in pools for z in p.extensions["aws.availabilityZones"])
    zone_ids = {_text(z.get("ZoneName")): _text(z.get("ZoneId")) for z in snapshot.zones}
    locations, sites = regions_and_zones(
        {region: zones - {""}}, cloud="AWS", prefix="aws", zone_extensions=lambda z: {"aws.zoneId": zone_ids.get(z, "")}
    )
    return Mapped(
        deployment_managers=sorted(
            (deployment_manager_from_cluster(c, snapshot.subnets, region) for c in snapshot.clusters),
            key=lambda d: d.native_id,
        ),
        resource_pools=sorted(pools, key=lambda p: p.native_id),
        resource_types=sorted(
            (resource_type_from_instance_type(t) for t in snapshot.instance_types), key=lambda t: t.native_id
        ),
        resources=sorted(resources, key=lambda r: r.native_id),
        locations=locations,
        sites=sites,
    )
