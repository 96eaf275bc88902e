"""Pure functions: GKE and Compute Engine objects -> O2 objects.

GKE node pool -> ResourcePool (native id `<location>/<cluster>/<pool>`), a node (the Compute Engine VM of the
pool's instance groups) -> Resource (`<zone>/<name>`), machine type -> ResourceType, cluster -> DeploymentManager
(`<location>/<cluster>`). VMs are matched to their pool by the labels GKE puts on node VMs
(`goog-k8s-cluster-name`, `goog-k8s-node-pool-name`). R005: regions are locations and zones their O-Cloud sites
(plugins/sdk/places.py); a node pool in one zone is at its site (`gke.zones`, `gke.site` say the same). Inputs are
the plain dicts of `proto.Message.to_dict` / `to_json` (camelCase for Compute's JSON, snake_case for GKE's dicts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from plugins.sdk.ims import DeploymentManager, Resource, ResourceClass, ResourceKind, ResourcePool, ResourceType
from plugins.sdk.places import only_zone

VENDOR = "Google Cloud"
LABEL_CLUSTER = "goog-k8s-cluster-name"
LABEL_POOL = "goog-k8s-node-pool-name"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def last_segment(url: str) -> str:
    """`https://.../zones/europe-west1-b` -> `europe-west1-b`."""
    return _text(url).rstrip("/").rsplit("/", 1)[-1]


def region_of(location: str) -> str:
    """A zone's region (`europe-west1-b` -> `europe-west1`); a region is its own."""
    parts = location.split("-")
    return "-".join(parts[:2]) if len(parts) > 2 else location


def cluster_id(location: str, cluster: str) -> str:
    return f"{location}/{cluster}"


def pool_id(location: str, cluster: str, pool: str) -> str:
    return f"{location}/{cluster}/{pool}"


def split_pool_id(native_id: str) -> tuple[str, str, str] | None:
    parts = native_id.split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def node_id(zone: str, name: str) -> str:
    return f"{zone}/{name}"


@dataclass(frozen=True)
class Snapshot:
    """One pass of reads: clusters (with their node pools) and every VM of the project."""

    clusters: Sequence[Mapping[str, Any]]
    vms: Sequence[Mapping[str, Any]]
    machine_types: Sequence[Mapping[str, Any]]

    def fingerprint(self) -> str:
        body = orjson.dumps(
            [
                sorted(self.clusters, key=lambda c: (c.get("location", ""), c.get("name", ""))),
                sorted(self.vms, key=lambda v: _text(v.get("selfLink"))),
                sorted(self.machine_types, key=lambda t: _text(t.get("selfLink"))),
            ],
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.sha256(body).hexdigest()


def pool_of_vm(vm: Mapping[str, Any], pools: set[tuple[str, str]]) -> tuple[str, str] | None:
    """(cluster, pool) of a node VM by GKE's labels, if that pool is mapped."""
    labels = vm.get("labels") or {}
    key = (_text(labels.get(LABEL_CLUSTER)), _text(labels.get(LABEL_POOL)))
    return key if key in pools else None


def resource_pool_from_node_pool(cluster: Mapping[str, Any], pool: Mapping[str, Any], node_count: int) -> ResourcePool:
    location, name = _text(cluster["location"]), _text(cluster["name"])
    config = pool.get("config") or {}
    autoscaling = pool.get("autoscaling") or {}
    zones = sorted(_text(z) for z in pool.get("locations") or ())
    return ResourcePool(
        native_id=pool_id(location, name, _text(pool["name"])),
        name=_text(pool["name"]),
        description="",  # GKE node pools have no description
        location=region_of(location),
        site_id=only_zone(zones),  # R005: a pool in one zone is at that zone's site
        extensions={
            "gke.cluster": name,
            "gke.location": location,
            "gke.nodePool": _text(pool["name"]),
            "gke.status": _text(pool.get("status")),
            "gke.machineType": _text(config.get("machine_type")),
            "gke.nodeCountPerZone": node_count // max(1, len(zones)),  # GKE sizes a node pool per zone
            "gke.nodeCount": node_count,
            "gke.zones": zones,
            "gke.autoscaling": {
                "enabled": bool(autoscaling.get("enabled")),
                "minNodeCount": int(autoscaling.get("min_node_count") or 0),
                "maxNodeCount": int(autoscaling.get("max_node_count") or 0),
            },
            "gke.labels": {str(k): _text(v) for k, v in sorted((config.get("labels") or {}).items())},
            "gke.version": _text(pool.get("version")),
            "gke.instanceGroups": sorted(last_segment(u) for u in pool.get("instance_group_urls") or ()),
        },
    )


def resource_from_vm(vm: Mapping[str, Any], *, cluster: str, pool: str) -> Resource:
    zone = last_segment(vm.get("zone", ""))
    name = _text(vm["name"])
    machine = last_segment(vm.get("machineType", ""))
    interfaces = vm.get("networkInterfaces") or [{}]
    return Resource(
        native_id=node_id(zone, name),
        resource_type_id=machine,
        resource_pool_id=pool,
        description=name,
        extensions={
            "gke.name": name,
            "gke.id": _text(vm.get("id")),
            "gke.zone": zone,
            "gke.site": {"name": zone, "region": region_of(zone)},
            "gke.status": _text(vm.get("status")),
            "gke.machineType": machine,
            "gke.cluster": cluster,
            "gke.internalIp": _text(interfaces[0].get("networkIP")),
        },
    )


def resource_type_from_machine_type(machine: Mapping[str, Any]) -> ResourceType:
    name = _text(machine["name"])
    cpus, memory = machine.get("guestCpus"), machine.get("memoryMb")
    return ResourceType(
        native_id=name,
        name=name,
        description=_text(machine.get("description")) or f"{cpus} vCPUs, {memory} MB",
        vendor=VENDOR,
        model=name,
        resource_kind=ResourceKind.LOGICAL,
        resource_class=ResourceClass.COMPUTE,
        extensions={"gke.guestCpus": cpus, "gke.memoryMb": memory},
    )


def deployment_manager_from_cluster(cluster: Mapping[str, Any]) -> DeploymentManager:
    location, name = _text(cluster["location"]), _text(cluster["name"])
    zones = tuple(sorted(_text(z) for z in cluster.get("locations") or ()))
    return DeploymentManager(
        native_id=cluster_id(location, name),
        name=f"GKE {name}",
        description=f"Google Kubernetes Engine cluster {name} in {location}",
        service_uri=f"https://{cluster['endpoint']}" if cluster.get("endpoint") else "",
        supported_locations=zones,
        capabilities={"kubernetesVersion": _text(cluster.get("current_master_version"))},
        extensions={
            "gke.location": location,
            "gke.region": region_of(location),
            "gke.zones": list(zones),
            "gke.status": _text(cluster.get("status")),
        },
    )
