"""Pure functions: netweave's O2 objects -> ONAP A&AI objects, and change events -> VES 7.x events.

A&AI mapping (the seed's "O-Cloud and pools -> cloud-regions, tenants, complexes; resources -> pservers/PNFs"):

| netweave | A&AI | key |
|---|---|---|
| R005 location | `complex` (name, civic address, coordinate) | `physical-location-id` = globalLocationId |
| resource pool | `cloud-region` (`cloud-zone` = its oCloudSiteId) | `cloud-region-id` = resourcePoolId |
| the O-Cloud | a `tenant` in each pool's cloud-region | `tenant-id` = oCloudId |
| a pool's location | `complex` (created if A&AI has none) | `physical-location-id` = globalLocationId or pool id |
| resource, `resourceClass` networking | `pnf` | `pnf-name` = resourceId |
| any other resource | `pserver` (→ its pool's cloud-region) | `hostname` = resourceId |

Resource types, deployment managers, R005 O-Cloud sites and alarm dictionaries have no A&AI node here: they are
not pushed (a site is the `cloud-zone` of its pools' cloud-regions, whose complex is the site's location).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plugins.sdk.smo import DeploymentEvent, InfrastructureEvent
from plugins.smo.onap.aai import Collection

CLOUD_INFRA = "/cloud-infrastructure"
NETWORK = "/network"
VES_VERSION = "4.1"  # commonEventHeader.version of VES 7.x
VES_LISTENER_VERSION = "7.2.1"


# The collections netweave writes top-level objects into (a tenant's version is read when needed, not stored).
COLLECTIONS = (
    Collection(f"{CLOUD_INFRA}/cloud-regions", "cloud-region", ("cloud-owner", "cloud-region-id")),
    Collection(f"{CLOUD_INFRA}/complexes", "complex", ("physical-location-id",)),
    Collection(f"{CLOUD_INFRA}/pservers", "pserver", ("hostname",)),
    Collection(f"{NETWORK}/pnfs", "pnf", ("pnf-name",)),
)


@dataclass(frozen=True)
class AaiObject:
    """One A&AI object to PUT: its path under the versioned base, and its body (without resource-version)."""

    object_type: str  # netweave's O2 object type it came from
    object_id: str
    path: str
    body: dict[str, Any]
    children: tuple[AaiObject, ...] = field(default=())
    create_only: bool = False  # a placeholder (a pool's complex): written only when A&AI has no such object


def region_path(cloud_owner: str, region_id: str) -> str:
    return f"{CLOUD_INFRA}/cloud-regions/cloud-region/{cloud_owner}/{region_id}"


def complex_id(pool: Mapping[str, Any]) -> str:
    return str(pool.get("globalLocationId") or pool["resourcePoolId"])


def relationship(related_to: str, link: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "related-to": related_to,
        "related-link": link,
        "relationship-data": [{"relationship-key": k, "relationship-value": v} for k, v in data.items()],
    }


# RFC 4776 civic address types (R005 civicAddress items {caType, caValue}) -> A&AI complex properties.
_CIVIC = {"country": "country", 1: "region", 2: "state", 3: "city", 6: "street1", 24: "postal-code"}


def location_complex(location: Mapping[str, Any]) -> AaiObject:
    """An R005 location as the A&AI complex at that place (the required address properties are "unknown" when
    the location does not give them)."""
    location_id = str(location["globalLocationId"])
    name = str(location.get("name") or location_id)
    body: dict[str, Any] = {
        "physical-location-id": location_id,
        "complex-name": name,
        "physical-location-type": "o2ims-location",
        "street1": str(location.get("address") or name),
        "city": "unknown",
        "postal-code": "00000",
        "country": "unknown",
        "region": "unknown",
    }
    for item in location.get("civicAddress") or ():
        key = _CIVIC.get(item.get("caType")) if isinstance(item, Mapping) else None
        if key and item.get("caValue"):
            body[key] = str(item["caValue"])
    coordinates = (location.get("coordinate") or {}).get("coordinates") or []
    if len(coordinates) >= 2:  # GeoJSON Point: [longitude, latitude, altitude?]
        body["longitude"], body["latitude"] = str(coordinates[0]), str(coordinates[1])
    return AaiObject("LocationInfo", location_id, f"{CLOUD_INFRA}/complexes/complex/{location_id}", body)


def complex_object(pool: Mapping[str, Any]) -> AaiObject:
    location_id = complex_id(pool)
    location = str(pool.get("location") or "unknown")
    body = {
        "physical-location-id": location_id,
        "complex-name": location,
        "physical-location-type": "o-cloud-site",
        "street1": location,
        "city": location,
        "postal-code": "00000",
        "country": "unknown",
        "region": "unknown",
    }
    path = f"{CLOUD_INFRA}/complexes/complex/{location_id}"
    return AaiObject("ResourcePoolInfo", str(pool["resourcePoolId"]), path, body, create_only=True)


def cloud_region(pool: Mapping[str, Any], ocloud: Mapping[str, Any], cloud_owner: str, base: str) -> AaiObject:
    pool_id = str(pool["resourcePoolId"])
    location_id = complex_id(pool)
    body = {
        "cloud-owner": cloud_owner,
        "cloud-region-id": pool_id,
        "cloud-type": "o-cloud",
        "owner-defined-type": "o2ims-resource-pool",
        "cloud-region-version": "1",
        "complex-name": str(pool.get("location") or ""),
        **({"cloud-zone": str(pool["oCloudSiteId"])} if pool.get("oCloudSiteId") else {}),
        "orchestration-disabled": False,
        "in-maint": False,
        "relationship-list": {
            "relationship": [
                relationship(
                    "complex",
                    f"{base}{CLOUD_INFRA}/complexes/complex/{location_id}",
                    {"complex.physical-location-id": location_id},
                )
            ]
        },
    }
    tenant_id = str(ocloud.get("oCloudId", ""))
    tenant = AaiObject(
        "CloudInfo",
        tenant_id,
        f"{region_path(cloud_owner, pool_id)}/tenants/tenant/{tenant_id}",
        {"tenant-id": tenant_id, "tenant-name": str(ocloud.get("name") or tenant_id)},
    )
    return AaiObject("ResourcePoolInfo", pool_id, region_path(cloud_owner, pool_id), body, (tenant,))


def is_pnf(resource: Mapping[str, Any]) -> bool:
    extensions = resource.get("extensions") or {}
    return str(extensions.get("resourceClass") or resource.get("resourceClass") or "").lower() == "networking"


def resource_object(resource: Mapping[str, Any], cloud_owner: str, base: str) -> AaiObject:
    resource_id = str(resource["resourceId"])
    pool_id = str(resource.get("resourcePoolId") or "")
    region_link = f"{base}{region_path(cloud_owner, pool_id)}"
    related = relationship(
        "cloud-region", region_link, {"cloud-region.cloud-owner": cloud_owner, "cloud-region.cloud-region-id": pool_id}
    )
    common = {"in-maint": False, "relationship-list": {"relationship": [related]}}
    if is_pnf(resource):
        body = {
            "pnf-name": resource_id,
            "pnf-id": resource_id,
            "nf-role": str(resource.get("description") or ""),
            **common,
        }
        return AaiObject("ResourceInfo", resource_id, f"{NETWORK}/pnfs/pnf/{resource_id}", body)
    body = {
        "hostname": resource_id,
        "pserver-id": resource_id,
        "pserver-name2": str(resource.get("description") or ""),
        "serial-number": str(resource.get("globalAssetId") or ""),
        **common,
    }
    return AaiObject("ResourceInfo", resource_id, f"{CLOUD_INFRA}/pservers/pserver/{resource_id}", body)


def removed_paths(object_type: str, object_id: str, state: Mapping[str, Any], cloud_owner: str) -> list[str]:
    """The A&AI paths to delete when a netweave object goes away (children first)."""
    if object_type == "ResourcePoolInfo":
        return [region_path(cloud_owner, object_id)]
    if object_type == "LocationInfo":
        return [f"{CLOUD_INFRA}/complexes/complex/{object_id}"]
    if object_type == "ResourceInfo":
        if is_pnf(state):
            return [f"{NETWORK}/pnfs/pnf/{object_id}"]
        return [f"{CLOUD_INFRA}/pservers/pserver/{object_id}"]
    return []


def ves_event(event: InfrastructureEvent | DeploymentEvent, source_name: str, reporting_entity: str) -> dict[str, Any]:
    """A VES 7.x `notification` event (changes) or `fault` event (alarm records) for one change."""
    object_id = event.deployment_id if isinstance(event, DeploymentEvent) else event.object_id
    now = int(time.time() * 1_000_000)
    header = {
        "domain": "notification",
        "eventId": event.event_id,
        "eventName": f"Notification_netweave_{event.object_type}_{event.event_type}",
        "eventType": "o2-inventory-change",
        "lastEpochMicrosec": now,
        "priority": "Normal",
        "reportingEntityName": reporting_entity,
        "sequence": event.sequence,
        "sourceId": object_id,
        "sourceName": source_name,
        "startEpochMicrosec": now,
        "version": VES_VERSION,
        "vesEventListenerVersion": VES_LISTENER_VERSION,
    }
    state = event.payload.get("postObjectState") or event.payload.get("priorObjectState") or {}
    if event.object_type == "AlarmEventRecord":
        header.update(domain="fault", eventName=f"Fault_netweave_{event.event_type}", eventType="o2-alarm")
        severity = {0: "CRITICAL", 1: "MAJOR", 2: "MINOR", 3: "WARNING", 5: "NORMAL"}.get(
            int(state.get("perceivedSeverity", 5) or 0), "NORMAL"
        )
        cleared = event.event_type == "delete" or state.get("alarmClearedTime")
        return {
            "event": {
                "commonEventHeader": header,
                "faultFields": {
                    "faultFieldsVersion": "4.0",
                    "alarmCondition": str(state.get("alarmDefinitionID") or state.get("alarmDefinitionId") or "alarm"),
                    "eventSeverity": "NORMAL" if cleared else severity,
                    "eventSourceType": "o-cloud",
                    "specificProblem": str(state.get("alarmEventRecordId") or object_id),
                    "vfStatus": "Active",
                    "alarmAdditionalInformation": {"objectId": object_id, "eventType": event.event_type},
                },
            }
        }
    fields: dict[str, Any] = {
        "notificationFieldsVersion": "2.0",
        "changeIdentifier": f"{event.object_type}/{object_id}",
        "changeType": event.event_type,
        "additionalFields": {"objectType": event.object_type, "objectId": object_id, "time": event.time},
    }
    if event.payload.get("priorObjectState") is not None:
        fields["oldState"] = "inService"
    if event.payload.get("postObjectState") is not None:
        fields["newState"] = "inService"
    else:
        fields["newState"] = "outOfService"
    return {"event": {"commonEventHeader": header, "notificationFields": fields}}
