"""Pure functions: DTIAS objects (the JSON of its API) -> O2 objects, with the seed's `dtias.*` extensions.

Resource group -> ResourcePool; server -> Resource (in the group whose selectors hold it, else the derived pool of
unallocated servers); server profile -> ResourceType; the tenant's endpoint -> DeploymentManager.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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

UNALLOCATED_POOL = "unallocated"
TYPE_PREFIX = "dtias-server-"  # the seed's resource type ids: dtias-server-<profile>


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def group_servers(group: Mapping[str, Any]) -> list[str]:
    """The server ids a resource group's selectors hold (resources are ids or objects with an Id)."""
    found = []
    for selector in (group.get("resourceSelectors") or {}).values():
        for item in selector.get("resources") or ():
            found.append(_text(item.get("Id") if isinstance(item, Mapping) else item))
    return sorted(found)


def resource_pool_from_group(group: Mapping[str, Any], servers: Mapping[str, Mapping[str, Any]]) -> ResourcePool:
    members = group_servers(group)
    sites = sorted({_text(servers[s].get("SiteId")) for s in members if s in servers} - {""})
    selectors = {
        _text(key): {
            "resourceProfileId": _text(selector.get("ResourceProfileId")),
            "numResources": _int(selector.get("numResources")),
            "resourcePoolId": _text(selector.get("rpId")),
        }
        for key, selector in sorted((group.get("resourceSelectors") or {}).items())
    }
    return ResourcePool(
        native_id=_text(group["id"]),
        name=_text(group.get("name")),
        description=_text(group.get("description")),
        location=", ".join(sites),
        site_id=_only_site(sites),
        extensions={
            "dtias.resourceGroupType": _text(group.get("resourceTypeId")),
            "dtias.provisioningState": _text(group.get("state")),
            "dtias.bareMetalCount": len(members),
            "dtias.datacenter": ", ".join(sites),
            "dtias.resourceSelectors": selectors,
        },
    )


def _only_site(sites: list[str]) -> str | None:
    """R005: a pool whose servers are all in one DTIAS site is placed at that site; one spanning sites is not."""
    return sites[0] if len(sites) == 1 else None


def unallocated_pool(servers: Iterable[Mapping[str, Any]]) -> ResourcePool:
    listed = list(servers)
    return ResourcePool(
        native_id=UNALLOCATED_POOL,
        name="Servers in no resource group",
        description="Servers DTIAS has discovered that no resource group holds: free for allocation.",
        extensions={"dtias.bareMetalCount": len(listed), "dtias.derived": True},
        site_id=_only_site(sorted({_text(server.get("SiteId")) for server in listed} - {""})),
    )


def type_id(server: Mapping[str, Any]) -> str:
    return f"{TYPE_PREFIX}{_text(server.get('ResourceProfileID')) or 'unprofiled'}"


def resource_from_server(server: Mapping[str, Any], pool_id: str) -> Resource:
    res = server.get("Res") or {}
    processor = res.get("Processor") or {}
    labels = {_text(label.get("Key")): _text(label.get("Value")) for label in server.get("Labels") or ()}
    return Resource(
        native_id=_text(server["Id"]),
        resource_type_id=type_id(server),
        resource_pool_id=pool_id,
        description=_text(server.get("Description")) or f"Bare-metal server: {_text(server.get('Name'))}",
        global_asset_id=_text(server.get("GlobalAssetId")),
        extensions={
            "dtias.serverId": _text(server["Id"]),
            "dtias.hostname": _text(server.get("Name")),
            "dtias.serverType": _text(server.get("ResourceProfileID")),
            "dtias.model": _text(res.get("Model")),
            "dtias.cpuModel": _text(processor.get("Model")),
            "dtias.cpuCores": _int(processor.get("Cores")),
            "dtias.memoryGB": _int(res.get("MemoryGiB")),
            "dtias.diskCount": _int(res.get("Disks")),
            "dtias.nicCount": _int(res.get("Nics")),
            "dtias.provisioningState": _text(server.get("provisioningState")),
            "dtias.operationalState": _text(server.get("opState")),
            "dtias.site": _text(server.get("SiteId")),
            "dtias.labels": dict(sorted(labels.items())),
        },
    )


def resource_type_from_server(server: Mapping[str, Any]) -> ResourceType:
    """A server profile as a type, described by the hardware of (the first listed) server using it."""
    res = server.get("Res") or {}
    processor = res.get("Processor") or {}
    profile = _text(server.get("ResourceProfileID")) or "unprofiled"
    return ResourceType(
        native_id=type_id(server),
        name=profile,
        description=f"DTIAS server profile {profile}",
        vendor=_text(res.get("Manufacturer")) or "Dell Inc.",
        model=_text(res.get("Model")),
        resource_kind=ResourceKind.PHYSICAL,
        resource_class=ResourceClass.COMPUTE,
        extensions={
            "dtias.serverProfile": profile,
            "dtias.cpuCores": _int(processor.get("Cores")),
            "dtias.memoryGB": _int(res.get("MemoryGiB")),
        },
    )


def deployment_manager(endpoint: str, tenant: str, sites: Iterable[str], ocloud_id: str = "") -> DeploymentManager:
    listed = sorted(set(sites) - {""})
    extensions: dict[str, Any] = {"dtias.tenant": tenant, "dtias.endpoint": endpoint}
    if ocloud_id:
        extensions["dtias.ocloudId"] = ocloud_id
    return DeploymentManager(
        native_id=f"{tenant}@{endpoint}",
        name=f"DTIAS {tenant}",
        description=f"Dell Telecom Infrastructure Automation Suite, tenant {tenant}",
        service_uri=endpoint,
        supported_locations=tuple(listed),
        capabilities={"provisioning": "bare-metal"},
        capacity={"sites": len(listed)},
        extensions=extensions,
    )


def locations_and_sites(site_ids: Iterable[str]) -> tuple[list[Location], list[OCloudSite]]:
    """R005 terms: a DTIAS site (a server's SiteId, one datacenter) is both a location and the O-Cloud site in it.
    DTIAS gives a site no coordinates or address, so the location carries only its name."""
    listed = sorted(set(site_ids) - {""})
    locations = [
        Location(global_location_id=f"dtias:{site}", name=site, description=f"DTIAS site {site}") for site in listed
    ]
    sites = [
        OCloudSite(native_id=site, name=site, description=f"DTIAS site {site}", global_location_id=f"dtias:{site}")
        for site in listed
    ]
    return locations, sites
