"""Pure functions: a snapshot of vCenter's managed objects (plain dicts, as client.py collects them) -> O2 objects.

A snapshot maps each managed object id (`vm-62`, `domain-c28`) to `{"type": <vSphere type>, "props": {<property
path>: <plain value>}}`, the property paths being those of client.PROPERTIES. Both the full sync and the
PropertyCollector watch keep one, so one derivation serves both and a watch reports exactly what a sync would.

- ResourcePool: a cluster (ClusterComputeResource), a standalone host's ComputeResource, and every resource pool
  below their root pool (the root pool *is* the cluster: vCenter calls it "Resources").
- Resource: an ESXi host (in its cluster's pool) and a virtual machine (in its resource pool, child of its host).
- ResourceType: a host hardware model, a VM shape (vCPUs and memory), a VM template.
- DeploymentManager: the vCenter itself. Its datacenters and clusters are also the O-Cloud's locations and sites
  (R005), carried in extensions until netweave serves those objects.

Only stable facts are mapped (no statistics, no timestamps), so a re-sync of an unchanged vCenter changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from plugins.sdk.ims import (
    DeploymentManager,
    Inventory,
    Location,
    OCloudSite,
    Resource,
    ResourceClass,
    ResourceKind,
    ResourcePool,
    ResourceType,
)

Snapshot = dict[str, dict[str, Any]]

CLUSTER = "ClusterComputeResource"
COMPUTE_RESOURCE = "ComputeResource"
RESOURCE_POOL_TYPES = ("ResourcePool", "VirtualApp")
HOST = "HostSystem"
VM = "VirtualMachine"
DATACENTER = "Datacenter"
FIELDS_MANAGER = "CustomFieldsManager"

# Custom attributes netweave keeps on clusters and resource pools for the O2 fields vSphere has no column for.
ATTR_DESCRIPTION = "netweave.description"
ATTR_GLOBAL_LOCATION = "netweave.globalLocationId"
ATTR_LOCATION = "netweave.location"
POOL_ATTRIBUTES = (ATTR_DESCRIPTION, ATTR_GLOBAL_LOCATION, ATTR_LOCATION)

HOST_MODEL_PREFIX = "host-model:"
VM_SHAPE_PREFIX = "vm-shape:"
TEMPLATE_PREFIX = "vm-template:"


@dataclass(frozen=True)
class About:
    """Facts about the vCenter that are not in the snapshot (its ServiceContent.about), plus the config."""

    instance_uuid: str
    full_name: str
    version: str
    url: str
    ocloud_id: str = ""
    datacenter: str = ""  # only this datacenter, by name (empty: all)


def shape_id(vcpus: int, memory_mib: int) -> str:
    return f"{VM_SHAPE_PREFIX}{vcpus}vcpu-{memory_mib}mib"


def parse_shape(native_id: str) -> tuple[int, int] | None:
    """(vCPUs, MiB) of a shape type id, or None when it is not one."""
    if not native_id.startswith(VM_SHAPE_PREFIX):
        return None
    cpu, _, memory = native_id[len(VM_SHAPE_PREFIX) :].partition("vcpu-")
    if not cpu.isdigit() or not memory.endswith("mib") or not memory[:-3].isdigit():
        return None
    return int(cpu), int(memory[:-3])


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


class View:
    """Lookups over one snapshot: parents, datacenters, attributes by name, root pools."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.field_names: dict[str, str] = {}
        for obj in snapshot.values():
            if obj["type"] == FIELDS_MANAGER:
                self.field_names = {str(f["key"]): f["name"] for f in obj["props"].get("field") or ()}
        self.root_pools = {
            obj["props"].get("resourcePool"): moid
            for moid, obj in snapshot.items()
            if obj["type"] in (CLUSTER, COMPUTE_RESOURCE) and obj["props"].get("resourcePool")
        }

    def of_type(self, *types: str) -> list[tuple[str, dict[str, Any]]]:
        return sorted((moid, obj["props"]) for moid, obj in self.snapshot.items() if obj["type"] in types)

    def datacenter(self, moid: str | None) -> tuple[str, str]:
        """(moid, name) of the datacenter holding `moid`, or ("", "")."""
        seen = set()
        while moid and moid not in seen:
            seen.add(moid)
            obj = self.snapshot.get(moid)
            if obj is None:
                return "", ""
            if obj["type"] == DATACENTER:
                return moid, _text(obj["props"].get("name"))
            moid = obj["props"].get("parent")
        return "", ""

    def attributes(self, props: Mapping[str, Any]) -> dict[str, str]:
        values = props.get("customValue") or {}
        return {self.field_names.get(str(key), str(key)): _text(value) for key, value in values.items()}

    def pool_of(self, resource_pool: str | None) -> str | None:
        """The O2 pool of a vSphere resource pool: its cluster when it is a root pool."""
        if not resource_pool:
            return None
        return self.root_pools.get(resource_pool, resource_pool)


def _allocation(value: Any) -> dict[str, Any]:
    value = value or {}
    return {
        "reservation": _int(value.get("reservation")),
        "limit": _int(value.get("limit")) if value.get("limit") is not None else -1,
        "expandableReservation": bool(value.get("expandableReservation")),
        "shares": _text(value.get("shares")),
    }


def _pool_common(view: View, moid: str, props: Mapping[str, Any], site: str) -> tuple[dict[str, str], dict[str, Any]]:
    dc_id, dc_name = view.datacenter(moid)
    attributes = view.attributes(props)
    extensions: dict[str, Any] = {
        "vsphere.moid": moid,
        "vsphere.name": _text(props.get("name")),
        "vsphere.datacenter": dc_name,
        "vsphere.datacenterId": dc_id,
        "vsphere.siteId": site,
    }
    return attributes, extensions


def _pool(name: str, attributes: Mapping[str, str], extensions: dict[str, Any], moid: str) -> ResourcePool:
    return ResourcePool(
        native_id=moid,
        name=name,
        description=attributes.get(ATTR_DESCRIPTION, ""),
        global_location_id=attributes.get(ATTR_GLOBAL_LOCATION, ""),
        location=attributes.get(ATTR_LOCATION) or extensions["vsphere.datacenter"],
        extensions=extensions,
    )


def resource_pools(view: View, about: About) -> list[ResourcePool]:
    pools = []
    for moid, props in view.of_type(CLUSTER, COMPUTE_RESOURCE):
        attributes, extensions = _pool_common(view, moid, props, moid)
        kind = "cluster" if view.snapshot[moid]["type"] == CLUSTER else "standaloneHost"
        extensions.update({"vsphere.kind": kind, "vsphere.hostCount": len(props.get("host") or ())})
        pools.append(_pool(_text(props.get("name")), attributes, extensions, moid))
    for moid, props in view.of_type(*RESOURCE_POOL_TYPES):
        if moid in view.root_pools:
            continue  # the cluster's own pool
        owner = _text(props.get("owner"))
        attributes, extensions = _pool_common(view, moid, props, owner)
        extensions.update(
            {
                "vsphere.kind": "vApp" if view.snapshot[moid]["type"] == "VirtualApp" else "resourcePool",
                "vsphere.parentPool": _text(view.pool_of(props.get("parent"))),
                "vsphere.cpuAllocation": _allocation(props.get("config.cpuAllocation")),
                "vsphere.memoryAllocation": _allocation(props.get("config.memoryAllocation")),
            }
        )
        pools.append(_pool(_text(props.get("name")), attributes, extensions, moid))
    return [p for p in pools if _in_scope(p, about)]


def _in_scope(pool: ResourcePool, about: About) -> bool:
    return not about.datacenter or pool.extensions.get("vsphere.datacenter") == about.datacenter


def host_model_id(hardware: Mapping[str, Any]) -> str:
    return f"{HOST_MODEL_PREFIX}{_text(hardware.get('vendor'))}/{_text(hardware.get('model'))}"


def _host(moid: str, props: Mapping[str, Any], pool: str) -> Resource:
    hardware = props.get("summary.hardware") or {}
    return Resource(
        native_id=moid,
        resource_type_id=host_model_id(hardware),
        resource_pool_id=pool,
        description=f"ESXi host {_text(props.get('name'))}",
        global_asset_id=_text(hardware.get("uuid")),
        extensions={
            "vsphere.moid": moid,
            "vsphere.name": _text(props.get("name")),
            "vsphere.kind": "host",
            "vsphere.connectionState": _text(props.get("runtime.connectionState")),
            "vsphere.powerState": _text(props.get("runtime.powerState")),
            "vsphere.inMaintenanceMode": bool(props.get("runtime.inMaintenanceMode")),
            "vsphere.product": _text(props.get("summary.config.product.fullName")),
            "vsphere.cpuModel": _text(hardware.get("cpuModel")),
            "vsphere.cpuCores": _int(hardware.get("numCpuCores")),
            "vsphere.cpuMHz": _int(hardware.get("cpuMhz")),
            "vsphere.memoryMiB": _int(hardware.get("memorySize")) // (1024 * 1024),
        },
    )


def _vm(moid: str, props: Mapping[str, Any], pool: str, parent: str | None) -> Resource:
    vcpus, memory = _int(props.get("config.hardware.numCPU")), _int(props.get("config.hardware.memoryMB"))
    name = _text(props.get("name"))
    return Resource(
        native_id=moid,
        resource_type_id=shape_id(vcpus, memory),
        resource_pool_id=pool,
        description=_text(props.get("config.annotation")) or name,
        parent_id=parent,
        extensions={
            "vsphere.moid": moid,
            "vsphere.name": name,
            "vsphere.kind": "virtualMachine",
            "vsphere.powerState": _text(props.get("runtime.powerState")),
            "vsphere.host": _text(props.get("runtime.host")),
            "vsphere.guestId": _text(props.get("config.guestId")),
            "vsphere.vcpus": vcpus,
            "vsphere.memoryMiB": memory,
            "vsphere.instanceUuid": _text(props.get("config.instanceUuid")),
        },
    )


def resources(view: View, pool_ids: set[str]) -> list[Resource]:
    found: list[Resource] = []
    hosts: set[str] = set()
    for moid, props in view.of_type(HOST):
        pool = _text(props.get("parent"))
        if pool in pool_ids:
            hosts.add(moid)
            found.append(_host(moid, props, pool))
    for moid, props in view.of_type(VM):
        if props.get("config.template"):
            continue  # a template is a resource type
        vm_pool = view.pool_of(props.get("resourcePool"))
        if vm_pool not in pool_ids:
            continue  # outside the configured datacenter, or not placed yet
        host = props.get("runtime.host")
        found.append(_vm(moid, props, _text(vm_pool), host if host in hosts else None))
    return found


def _shape_type(native_id: str, vcpus: int, memory: int) -> ResourceType:
    return ResourceType(
        native_id=native_id,
        name=f"{vcpus} vCPU, {memory} MiB",
        description=f"Virtual machines with {vcpus} vCPU and {memory} MiB of memory",
        vendor="VMware",
        model="virtual machine",
        resource_kind=ResourceKind.LOGICAL,
        resource_class=ResourceClass.COMPUTE,
        extensions={"vsphere.kind": "vmShape", "vsphere.vcpus": vcpus, "vsphere.memoryMiB": memory},
    )


def resource_types(view: View, listed: list[Resource], about: About) -> list[ResourceType]:
    types: dict[str, ResourceType] = {}
    host_props = dict(view.of_type(HOST))
    for resource in listed:
        rid = resource.resource_type_id
        if rid in types:
            continue
        if rid.startswith(HOST_MODEL_PREFIX):
            hardware = host_props[resource.native_id].get("summary.hardware") or {}
            types[rid] = ResourceType(
                native_id=rid,
                name=f"{_text(hardware.get('vendor'))} {_text(hardware.get('model'))}".strip(),
                description="ESXi host hardware model",
                vendor=_text(hardware.get("vendor")),
                model=_text(hardware.get("model")),
                resource_kind=ResourceKind.PHYSICAL,
                resource_class=ResourceClass.COMPUTE,
                extensions={"vsphere.kind": "hostModel"},
            )
        else:
            vcpus, memory = resource.extensions["vsphere.vcpus"], resource.extensions["vsphere.memoryMiB"]
            types[rid] = _shape_type(rid, vcpus, memory)
    for moid, props in view.of_type(VM):
        if not props.get("config.template"):
            continue
        if about.datacenter and view.datacenter(moid)[1] != about.datacenter:
            continue
        vcpus, memory = _int(props.get("config.hardware.numCPU")), _int(props.get("config.hardware.memoryMB"))
        rid = f"{TEMPLATE_PREFIX}{moid}"
        types[rid] = ResourceType(
            native_id=rid,
            name=_text(props.get("name")),
            description=_text(props.get("config.annotation")) or f"VM template {_text(props.get('name'))}",
            vendor="VMware",
            model=_text(props.get("config.guestId")),
            resource_kind=ResourceKind.LOGICAL,
            resource_class=ResourceClass.COMPUTE,
            extensions={
                "vsphere.kind": "vmTemplate",
                "vsphere.moid": moid,
                "vsphere.vcpus": vcpus,
                "vsphere.memoryMiB": memory,
                "vsphere.guestId": _text(props.get("config.guestId")),
            },
        )
    return sorted(types.values(), key=lambda t: t.native_id)


def deployment_manager(view: View, about: About, pools: list[ResourcePool]) -> DeploymentManager:
    """The vCenter, with its datacenters as locations and its clusters as sites (R005 terms) in extensions."""
    datacenters = sorted(
        (moid, _text(props.get("name")))
        for moid, props in view.of_type(DATACENTER)
        if not about.datacenter or props.get("name") == about.datacenter
    )
    sites = [
        {
            "siteId": p.native_id,
            "name": p.name,
            "locationId": p.extensions["vsphere.datacenterId"],
            "kind": p.extensions["vsphere.kind"],
        }
        for p in pools
        if p.extensions.get("vsphere.kind") in ("cluster", "standaloneHost")
    ]
    extensions: dict[str, Any] = {
        "vsphere.instanceUuid": about.instance_uuid,
        "vsphere.fullName": about.full_name,
        "vsphere.version": about.version,
        "vsphere.locations": [{"locationId": moid, "name": name} for moid, name in datacenters],
        "vsphere.sites": sites,
    }
    if about.ocloud_id:
        extensions["vsphere.ocloudId"] = about.ocloud_id
    return DeploymentManager(
        native_id=about.instance_uuid,
        name=f"vCenter {about.url.split('//', 1)[-1].split('/', 1)[0].rsplit('@', 1)[-1]}",
        description=about.full_name,
        service_uri=about.url,
        supported_locations=tuple(name for _, name in datacenters),
        capabilities={"virtualization": "vsphere"},
        capacity={"datacenters": len(datacenters), "computeResources": len(sites)},
        extensions=extensions,
    )


def location_id(about: About, datacenter_moid: str) -> str:
    """A datacenter's R005 globalLocationId: its managed object id, made unique across vCenters."""
    return f"vsphere:{about.instance_uuid}:{datacenter_moid}"


def locations_and_sites(
    view: View, about: About, pools: list[ResourcePool]
) -> tuple[list[Location], list[OCloudSite], list[ResourcePool]]:
    """R005 terms: each datacenter is a location, each cluster (or standalone host) a site in it, and every pool
    is placed at the site of its cluster."""
    locations = [
        Location(
            global_location_id=location_id(about, moid),
            name=_text(props.get("name")),
            description=f"vSphere datacenter {_text(props.get('name'))}",
            extensions={"vsphere.moid": moid},
        )
        for moid, props in view.of_type(DATACENTER)
        if not about.datacenter or props.get("name") == about.datacenter
    ]
    sites = [
        OCloudSite(
            native_id=p.native_id,
            name=p.name,
            description=f"vSphere {p.extensions['vsphere.kind']} {p.name}",
            global_location_id=location_id(about, p.extensions["vsphere.datacenterId"]),
            extensions={"vsphere.kind": p.extensions["vsphere.kind"]},
        )
        for p in pools
        if p.extensions.get("vsphere.kind") in ("cluster", "standaloneHost")
    ]
    site_ids = {site.native_id for site in sites}
    placed = [
        replace(p, site_id=p.extensions["vsphere.siteId"]) if p.extensions.get("vsphere.siteId") in site_ids else p
        for p in pools
    ]
    return locations, sites, placed


def derive(snapshot: Snapshot, about: About) -> Inventory:
    view = View(snapshot)
    locations, sites, pools = locations_and_sites(view, about, resource_pools(view, about))
    listed = resources(view, {p.native_id for p in pools})
    return Inventory(
        deployment_managers=[deployment_manager(view, about, pools)],
        resource_pools=pools,
        resource_types=resource_types(view, listed, about),
        resources=listed,
        locations=locations,
        sites=sites,
    )
