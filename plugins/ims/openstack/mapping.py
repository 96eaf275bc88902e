"""Pure functions: OpenStack objects (as the plain dicts openstacksdk's `to_dict()` gives) -> O2 objects.

Host aggregate -> ResourcePool, Nova server -> Resource, flavor -> ResourceType, region -> DeploymentManager.
Only stable facts go into the O2 objects (no timestamps, no progress counters): a re-sync of an unchanged
cloud must hash to the same content. Extension keys are named `openstack.<key>`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

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

# The pool of compute hosts that belong to no aggregate (and of servers not placed on any host yet).
UNASSIGNED_POOL = "unassigned"
# Aggregate metadata keys netweave owns: the O2 fields Nova has no column for.
META_DESCRIPTION = "netweave.description"
META_GLOBAL_LOCATION = "netweave.globalLocationId"
# Server metadata keys netweave owns: the pool a server was booted into, its asset id.
META_POOL = "netweave.resourcePool"
META_ASSET = "netweave.globalAssetId"
NOVA_AZ_KEY = "availability_zone"  # Nova mirrors an aggregate's zone into its metadata
# Type ids of servers whose flavor was deleted after they booted: the flavor's name is all Nova keeps.
DELETED_FLAVOR_PREFIX = "deleted-flavor:"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def user_metadata(metadata: Mapping[str, Any] | None) -> dict[str, str]:
    """Metadata the operator set, without the keys netweave or Nova manage themselves."""
    return {
        str(k): _text(v)
        for k, v in sorted((metadata or {}).items())
        if not str(k).startswith("netweave.") and k != NOVA_AZ_KEY
    }


def resource_pool_from_aggregate(aggregate: Mapping[str, Any]) -> ResourcePool:
    metadata = aggregate.get("metadata") or {}
    zone = _text(aggregate.get("availability_zone"))
    hosts = sorted(_text(h) for h in aggregate.get("hosts") or ())
    return ResourcePool(
        native_id=_text(aggregate["uuid"]),
        name=_text(aggregate.get("name")),
        description=_text(metadata.get(META_DESCRIPTION)),
        global_location_id=_text(metadata.get(META_GLOBAL_LOCATION)),
        location=zone,
        # R005: an aggregate exposed as an availability zone is at that zone's site (list_sites lists it).
        site_id=zone or None,
        extensions={
            "openstack.aggregateId": aggregate.get("id"),
            "openstack.availabilityZone": zone,
            "openstack.hosts": hosts,
            "openstack.hostCount": len(hosts),
            "openstack.metadata": user_metadata(metadata),
        },
    )


def location_of_region(region: str, compute_endpoint: str = "") -> Location:
    """R005: the region is where its availability zones (the sites) are."""
    return Location(
        global_location_id=region,
        name=region,
        description=f"OpenStack region {region}",
        extensions={"openstack.region": region, "openstack.computeEndpoint": compute_endpoint},
    )


def site_of_zone(zone: str, region: str) -> OCloudSite:
    """R005: an availability zone is a site of its region."""
    return OCloudSite(
        native_id=zone,
        name=zone,
        description=f"Availability zone {zone} of OpenStack region {region}",
        global_location_id=region,
        extensions={"openstack.availabilityZone": zone, "openstack.region": region},
    )


def unassigned_pool(region: str, hosts: Iterable[str]) -> ResourcePool:
    """The derived pool of compute hosts outside every aggregate. It is not an aggregate: it cannot be written."""
    listed = sorted(set(hosts))
    return ResourcePool(
        native_id=UNASSIGNED_POOL,
        name=f"{region} hosts outside any aggregate",
        description="Compute hosts that belong to no host aggregate, and servers not placed on a host.",
        extensions={"openstack.hosts": listed, "openstack.hostCount": len(listed), "openstack.derived": True},
    )


def pool_of_server(server: Mapping[str, Any], aggregates: Sequence[Mapping[str, Any]]) -> str:
    """The pool a server belongs to: the aggregate netweave booted it into while its host is still a member,
    else the aggregate with the lowest id that holds its host, else the unassigned pool."""
    host = server.get("compute_host")
    if not host:
        return UNASSIGNED_POOL
    holding = sorted(
        (a for a in aggregates if host in (a.get("hosts") or ())), key=lambda a: (a.get("id") or 0, a["uuid"])
    )
    hinted = (server.get("metadata") or {}).get(META_POOL)
    for aggregate in holding:
        if aggregate["uuid"] == hinted:
            return _text(hinted)
    return _text(holding[0]["uuid"]) if holding else UNASSIGNED_POOL


def flavor_id_of_server(server: Mapping[str, Any], flavor_ids_by_name: Mapping[str, str]) -> str:
    """Nova (microversion 2.47 and later) embeds the flavor's name and sizes in a server, not its id."""
    flavor = server.get("flavor") or {}
    name = flavor.get("original_name")
    if not name:  # an older microversion: the flavor's id itself
        return _text(flavor.get("id"))
    return flavor_ids_by_name.get(name) or f"{DELETED_FLAVOR_PREFIX}{name}"


def _image_id(server: Mapping[str, Any]) -> str:
    image = server.get("image")
    if isinstance(image, Mapping):
        return _text(image.get("id"))
    return ""  # booted from a volume


def _addresses(server: Mapping[str, Any]) -> dict[str, list[str]]:
    return {
        str(network): sorted(_text(entry.get("addr")) for entry in entries or () if isinstance(entry, Mapping))
        for network, entries in sorted((server.get("addresses") or {}).items())
    }


def resource_from_server(server: Mapping[str, Any], *, pool_id: str, flavor_id: str) -> Resource:
    metadata = server.get("metadata") or {}
    flavor = server.get("flavor") or {}
    return Resource(
        native_id=_text(server["id"]),
        resource_type_id=flavor_id,
        resource_pool_id=pool_id,
        description=_text(server.get("description")) or _text(server.get("name")),
        global_asset_id=_text(metadata.get(META_ASSET)),
        extensions={
            "openstack.name": _text(server.get("name")),
            "openstack.status": _text(server.get("status")),
            "openstack.flavorId": flavor_id,
            "openstack.flavorName": _text(flavor.get("original_name") or flavor.get("name")),
            "openstack.imageId": _image_id(server),
            "openstack.host": _text(server.get("compute_host")),
            "openstack.hypervisorHostname": _text(server.get("hypervisor_hostname")),
            "openstack.availabilityZone": _text(server.get("availability_zone")),
            "openstack.addresses": _addresses(server),
            "openstack.projectId": _text(server.get("project_id")),
            "openstack.metadata": user_metadata(metadata),
        },
    )


def _size_summary(vcpus: Any, ram: Any, disk: Any) -> str:
    return f"{vcpus} vCPU, {ram} MiB RAM, {disk} GiB disk"


def resource_type_from_flavor(flavor: Mapping[str, Any]) -> ResourceType:
    vcpus, ram, disk = flavor.get("vcpus") or 0, flavor.get("ram") or 0, flavor.get("disk") or 0
    return ResourceType(
        native_id=_text(flavor["id"]),
        name=_text(flavor.get("name")),
        description=_text(flavor.get("description")) or _size_summary(vcpus, ram, disk),
        vendor="OpenStack Nova",
        model=_text(flavor.get("name")),
        resource_kind=ResourceKind.LOGICAL,
        resource_class=ResourceClass.COMPUTE,
        extensions={
            "openstack.vcpus": int(vcpus),
            "openstack.ramMiB": int(ram),
            "openstack.diskGiB": int(disk),
            "openstack.ephemeralGiB": int(flavor.get("ephemeral") or 0),
            "openstack.swapMiB": int(flavor.get("swap") or 0),
            "openstack.isPublic": bool(flavor.get("is_public", True)),
            "openstack.extraSpecs": {str(k): _text(v) for k, v in sorted((flavor.get("extra_specs") or {}).items())},
        },
    )


def resource_type_from_deleted_flavor(server: Mapping[str, Any]) -> ResourceType:
    """A type for servers whose flavor no longer exists, from the copy of it Nova keeps in each server."""
    flavor = dict(server.get("flavor") or {})
    name = _text(flavor.get("original_name") or flavor.get("name"))
    flavor.update(id=f"{DELETED_FLAVOR_PREFIX}{name}", name=name, is_public=False)
    flavor.setdefault("description", f"deleted flavor {name}")
    deleted = resource_type_from_flavor(flavor)
    return dataclasses.replace(deleted, extensions={**deleted.extensions, "openstack.deleted": True})


def deployment_manager_from_region(
    region: str,
    *,
    compute_endpoint: str,
    availability_zones: Iterable[str],
    compute_hosts: Iterable[str],
    ocloud_id: str = "",
) -> DeploymentManager:
    hosts = sorted(set(compute_hosts))
    extensions: dict[str, Any] = {"openstack.region": region, "openstack.computeEndpoint": compute_endpoint}
    if ocloud_id:
        extensions["openstack.ocloudId"] = ocloud_id
    return DeploymentManager(
        native_id=region,
        name=f"OpenStack {region}",
        description=f"OpenStack region {region}: Nova servers booted from flavors and images",
        service_uri=compute_endpoint,
        supported_locations=tuple(sorted(set(availability_zones))),
        capabilities={"virtualization": "nova", "placement": "host-aggregates"},
        capacity={"computeHosts": len(hosts)},
        extensions=extensions,
    )
