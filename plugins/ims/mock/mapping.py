"""Pure mapping between the state file's rows and the SDK's O2 data classes.

A row is anything indexable by column name (sqlite3.Row or a dict). JSON columns hold compact JSON text
(demo.dumps); `alarm_dictionary` and `parent_id` may be NULL. Nothing here opens the state file.
"""

from __future__ import annotations

from typing import Any, Protocol

import orjson

from plugins.ims.mock.demo import CITIES, RESOURCE_TYPES, Site, dumps
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


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


def _json(text: str | None, default: Any) -> Any:
    return default if text is None else orjson.loads(text)


def deployment_manager_from_row(row: Row, *, ocloud_id: str = "") -> DeploymentManager:
    extensions = dict(_json(row["extensions"], {}))
    if ocloud_id:
        extensions["mock.ocloudId"] = ocloud_id
    return DeploymentManager(
        native_id=row["native_id"],
        name=row["name"],
        description=row["description"],
        service_uri=row["service_uri"],
        supported_locations=tuple(_json(row["supported_locations"], [])),
        capabilities=_json(row["capabilities"], {}),
        capacity=_json(row["capacity"], {}),
        extensions=extensions,
    )


def resource_pool_from_row(row: Row, sites: frozenset[str] = frozenset()) -> ResourcePool:
    """A pool names its site (R005 `oCloudSiteId`) by its `mock.site` extension when that is one of `sites`."""
    extensions = _json(row["extensions"], {})
    site = extensions.get("mock.site")
    return ResourcePool(
        native_id=row["native_id"],
        name=row["name"],
        description=row["description"],
        global_location_id=row["global_location_id"],
        location=row["location"],
        extensions=extensions,
        site_id=site if site in sites else None,
    )


# RFC 4776 civic address types: country is given as caType "country" by R005 implementations; A1 is the
# national subdivision (region) and A3 the city.
_CITY_BY_NAME = {city: (region, country, lat, lon) for city, region, country, lat, lon in CITIES}


def location_of(site: Site) -> Location:
    """The place of a simulated site: its city (sites in the same city share the location)."""
    region, country, lat, lon = _CITY_BY_NAME[site.city]
    return Location(
        global_location_id=site.global_location_id,
        name=site.city,
        description=f"{site.city}, {region}, {country}",
        coordinate={"type": "Point", "coordinates": [lon, lat]},
        civic_address=(
            {"caType": "country", "caValue": country},
            {"caType": 1, "caValue": region},
            {"caType": 3, "caValue": site.city},
        ),
        address=site.location,
        extensions={"mock.country": country},
    )


def site_of(site: Site) -> OCloudSite:
    return OCloudSite(
        native_id=site.native_id,
        name=f"{site.city} {site.tier} site {site.native_id}",
        description=f"{site.tier.capitalize()} site {site.native_id} in {site.city}",
        global_location_id=site.global_location_id,
        extensions={"mock.tier": site.tier},
    )


_CLASS_BY_TYPE = {t["native_id"]: str(t["resource_class"]).lower() for t in RESOURCE_TYPES}


def resource_type_from_row(row: Row) -> ResourceType:
    return ResourceType(
        native_id=row["native_id"],
        name=row["name"],
        description=row["description"],
        vendor=row["vendor"],
        model=row["model"],
        version=row["version"],
        resource_kind=ResourceKind(row["resource_kind"]),
        resource_class=ResourceClass(row["resource_class"]),
        alarm_dictionary=_json(row["alarm_dictionary"], None),
        extensions=_json(row["extensions"], {}),
    )


def resource_from_row(row: Row) -> Resource:
    """R005 `tags`: the resource's site and how it came to be (seed, api, churn); `groups`: its site's group of
    the resource's class ("edge-1/compute")."""
    extensions = _json(row["extensions"], {})
    site = extensions.get("mock.site")
    klass = _CLASS_BY_TYPE.get(row["resource_type_id"])
    return Resource(
        native_id=row["native_id"],
        resource_type_id=row["resource_type_id"],
        resource_pool_id=row["resource_pool_id"],
        description=row["description"],
        global_asset_id=row["global_asset_id"],
        parent_id=row["parent_id"],
        extensions=extensions,
        tags=tuple(tag for tag in (f"site:{site}" if site else "", f"origin:{row['origin']}") if tag),
        groups=(f"{site}/{klass}",) if site and klass else (),
    )


def resource_pool_to_row(pool: ResourcePool) -> dict[str, Any]:
    """The stored columns of a pool. Raises TypeError/ValueError if extensions are not JSON."""
    return {
        "native_id": pool.native_id,
        "name": pool.name,
        "description": pool.description,
        "global_location_id": pool.global_location_id,
        "location": pool.location,
        "extensions": dumps(dict(pool.extensions)),
    }


def resource_to_row(resource: Resource, *, origin: str = "api") -> dict[str, Any]:
    """The stored columns of a resource. Raises TypeError/ValueError if extensions are not JSON."""
    return {
        "native_id": resource.native_id,
        "resource_type_id": resource.resource_type_id,
        "resource_pool_id": resource.resource_pool_id,
        "parent_id": resource.parent_id or None,
        "description": resource.description,
        "global_asset_id": resource.global_asset_id,
        "extensions": dumps(dict(resource.extensions)),
        "origin": origin,
    }
