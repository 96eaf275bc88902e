"""Pure functions: ARM resources (the wire-format dicts the SDK models give with `as_dict()`) -> O2 objects.

AKS agent pool -> ResourcePool (native id `<resource group>/<cluster>/<pool>`), a VMSS instance of the pool's scale
set in the cluster's node resource group -> Resource (`<node resource group>/<scale set>/<instance id>`), VM size
-> ResourceType, managed cluster -> DeploymentManager (`<resource group>/<cluster>`). R005: the cluster's region is
a Location (its global location id is the region name), each availability zone of it an O-Cloud site named as AKS
labels its nodes (`<region>-<zone>`); a pool in exactly one zone is placed at that site.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from plugins.sdk.ims import DeploymentManager, Resource, ResourceClass, ResourceKind, ResourcePool, ResourceType
from plugins.sdk.places import only_zone

VENDOR = "Microsoft Azure"
TAG_POOL = "aks-managed-poolName"  # the tag AKS puts on each agent pool's virtual machine scale set
EXT_COUNT = "azure.count"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def cluster_id(group: str, cluster: str) -> str:
    return f"{group}/{cluster}"


def pool_id(group: str, cluster: str, pool: str) -> str:
    return f"{group}/{cluster}/{pool}"


def split_pool_id(native_id: str) -> tuple[str, str, str] | None:
    parts = native_id.split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def group_of(resource_id: str) -> str:
    """The resource group of an ARM id (`/subscriptions/s/resourceGroups/rg/providers/...` -> `rg`)."""
    parts = _text(resource_id).split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index("resourcegroups") + 1] if "resourcegroups" in lowered else ""


def site_id(region: str, zone: str) -> str:
    """AKS's name for a zone of a region (its nodes' topology.kubernetes.io/zone label): `westeurope-1`."""
    return f"{region}-{zone}"


@dataclass(frozen=True)
class Cluster:
    """One managed cluster as read: the cluster, its agent pools, and per pool its scale set and instances."""

    cluster: Mapping[str, Any]
    pools: Sequence[Mapping[str, Any]]
    scale_sets: Mapping[str, Mapping[str, Any]]  # pool name -> its VMSS
    instances: Mapping[str, Sequence[Mapping[str, Any]]]  # pool name -> VMSS instances

    @property
    def group(self) -> str:
        return group_of(self.cluster["id"])


@dataclass(frozen=True)
class Snapshot:
    """One pass of reads: every mapped cluster and the VM sizes in use."""

    clusters: Sequence[Cluster]
    sizes: Sequence[Mapping[str, Any]]

    def fingerprint(self) -> str:
        body = orjson.dumps(
            [
                [
                    [c.cluster, list(c.pools), dict(c.scale_sets), {k: list(v) for k, v in c.instances.items()}]
                    for c in self.clusters
                ],
                list(self.sizes),
            ],
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.sha256(body).hexdigest()


def _zones(pool: Mapping[str, Any]) -> list[str]:
    return sorted(_text(z) for z in (pool.get("properties") or {}).get("availabilityZones") or ())


def resource_pool_from_agent_pool(
    cluster: Mapping[str, Any], pool: Mapping[str, Any], scale_set: str, node_count: int
) -> ResourcePool:
    group, name, region = group_of(cluster["id"]), _text(cluster["name"]), _text(cluster.get("location"))
    properties = pool.get("properties") or {}
    zones = _zones(pool)
    return ResourcePool(
        native_id=pool_id(group, name, _text(pool["name"])),
        name=_text(pool["name"]),
        description="",  # agent pools have no description
        location=region,
        site_id=site_id(region, zone) if (zone := only_zone(zones)) else None,
        extensions={
            "azure.cluster": cluster_id(group, name),
            "azure.resourceGroup": group,
            "azure.agentPool": _text(pool["name"]),
            "azure.region": region,
            EXT_COUNT: int(properties.get("count") or 0),
            "azure.nodeCount": node_count,
            "azure.vmSize": _text(properties.get("vmSize")),
            "azure.mode": _text(properties.get("mode")),
            "azure.osType": _text(properties.get("osType")),
            "azure.zones": zones,
            "azure.provisioningState": _text(properties.get("provisioningState")),
            "azure.powerState": _text((properties.get("powerState") or {}).get("code")),
            "azure.autoscaling": {
                "enabled": bool(properties.get("enableAutoScaling")),
                "minCount": int(properties.get("minCount") or 0),
                "maxCount": int(properties.get("maxCount") or 0),
            },
            "azure.nodeLabels": {str(k): _text(v) for k, v in sorted((properties.get("nodeLabels") or {}).items())},
            "azure.orchestratorVersion": _text(properties.get("currentOrchestratorVersion")),
            "azure.scaleSet": scale_set,
        },
    )


def resource_from_instance(vm: Mapping[str, Any], *, region: str, pool: str) -> Resource:
    properties = vm.get("properties") or {}
    zones = [_text(z) for z in vm.get("zones") or ()]
    scale_set = _text(vm["id"]).split("/virtualMachines/")[0].rsplit("/", 1)[-1]
    size = _text((vm.get("sku") or {}).get("name"))
    return Resource(
        native_id=f"{group_of(vm['id'])}/{scale_set}/{_text(vm.get('instanceId'))}",
        resource_type_id=size,
        resource_pool_id=pool,
        description=_text(vm.get("name")),
        global_asset_id=_text(properties.get("vmId")),
        extensions={
            "azure.name": _text(vm.get("name")),
            "azure.computerName": _text((properties.get("osProfile") or {}).get("computerName")),
            "azure.instanceId": _text(vm.get("instanceId")),
            "azure.scaleSet": scale_set,
            "azure.vmSize": size,
            "azure.zone": site_id(region, zones[0]) if zones else "",
            "azure.provisioningState": _text(properties.get("provisioningState")),
            "azure.latestModelApplied": bool(properties.get("latestModelApplied")),
        },
    )


def resource_type_from_size(size: Mapping[str, Any]) -> ResourceType:
    name = _text(size["name"])
    cores, memory = size.get("numberOfCores"), size.get("memoryInMB")
    return ResourceType(
        native_id=name,
        name=name,
        description=f"{cores} vCPUs, {memory} MB",
        vendor=VENDOR,
        model=name,
        resource_kind=ResourceKind.LOGICAL,
        resource_class=ResourceClass.COMPUTE,
        extensions={
            "azure.numberOfCores": cores,
            "azure.memoryInMB": memory,
            "azure.maxDataDiskCount": size.get("maxDataDiskCount"),
        },
    )


def deployment_manager_from_cluster(cluster: Mapping[str, Any], zones: Iterable[str]) -> DeploymentManager:
    group, name, region = group_of(cluster["id"]), _text(cluster["name"]), _text(cluster.get("location"))
    properties = cluster.get("properties") or {}
    fqdn = _text(properties.get("fqdn"))
    return DeploymentManager(
        native_id=cluster_id(group, name),
        name=f"AKS {name}",
        description=f"Azure Kubernetes Service cluster {name} in {region}",
        service_uri=f"https://{fqdn}:443" if fqdn else "",
        supported_locations=tuple(sorted({site_id(region, z) for z in zones})) or (region,),
        capabilities={"kubernetesVersion": _text(properties.get("currentKubernetesVersion"))},
        extensions={
            "azure.resourceGroup": group,
            "azure.region": region,
            "azure.nodeResourceGroup": _text(properties.get("nodeResourceGroup")),
            "azure.provisioningState": _text(properties.get("provisioningState")),
            "azure.powerState": _text((properties.get("powerState") or {}).get("code")),
        },
    )
