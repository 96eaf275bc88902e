"""R005 places of public clouds: a region is a Location (its name is its global location id), each availability
zone of it an O-Cloud site in that location (docs/decisions/0007-r005-locations-and-sites.md). Shared by the cloud
IMS plugins (aws, gke, azure), which differ only in their names for the cloud and for a zone's site."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from plugins.sdk.ims import Location, OCloudSite


def regions_and_zones(
    zones: Mapping[str, Iterable[str]],
    *,
    cloud: str,
    prefix: str,
    site_id: Callable[[str, str], str] = lambda region, zone: zone,
    zone_extensions: Callable[[str], Mapping[str, Any]] = lambda zone: {},
) -> tuple[list[Location], list[OCloudSite]]:
    """The Locations of the regions in `zones` ({region: its zones}, a region without zones still a location) and
    the sites of their zones. `site_id(region, zone)` names a zone's site (the zone's own name by default);
    `prefix` names the extensions (`aws` -> `aws.region`, `aws.zone`)."""
    locations = [
        Location(
            global_location_id=region,
            name=region,
            description=f"{cloud} region {region}",
            extensions={f"{prefix}.region": region},
        )
        for region in sorted(zones)
    ]
    sites = [
        OCloudSite(
            native_id=site_id(region, zone),
            name=site_id(region, zone),
            description=f"Availability zone {zone} of {cloud} region {region}",
            global_location_id=region,
            extensions={f"{prefix}.region": region, f"{prefix}.zone": zone, **zone_extensions(zone)},
        )
        for region in sorted(zones)
        for zone in sorted(set(zones[region]))
    ]
    return locations, sites


def only_zone(zones: Iterable[str]) -> str | None:
    """The zone a pool sits in when it sits in exactly one (its R005 site), else None."""
    distinct = sorted(set(zones) - {""})
    return distinct[0] if len(distinct) == 1 else None
