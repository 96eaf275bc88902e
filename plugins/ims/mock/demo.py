"""The simulated O-Cloud's demo data: a deterministic, multi-site catalogue generated from a seed.

Pure: nothing here touches the state file. `generate(spec)` returns row tuples in the column order of the
store's tables (see store.py), so the store can bulk-insert them with `executemany`. The same spec always
gives the same rows, byte for byte.

Layout. Sites cycle edge / regional / central for the first three, then more edge sites (real O-Clouds have
many far-edge sites and few central ones). Each site has `pools_per_site` pools and one Kubernetes-like
cluster (the deployment manager). Resources are dealt round-robin over the pools; inside a pool the first
resource is the top-of-rack switch, the second the storage (a storage array on regional/central sites, a
logical Ceph pool on edge sites), then servers, each followed by its child elements (a NIC, and on edge
sites a vRAN accelerator) whose `parent_id` names the server.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1

TIERS = ("edge", "regional", "central")

# (city, region, country, latitude, longitude)
CITIES: tuple[tuple[str, str, str, float, float], ...] = (
    ("Paris", "Ile-de-France", "FR", 48.8566, 2.3522),
    ("Lyon", "Auvergne-Rhone-Alpes", "FR", 45.7640, 4.8357),
    ("Marseille", "Provence-Alpes-Cote d'Azur", "FR", 43.2965, 5.3698),
    ("Lille", "Hauts-de-France", "FR", 50.6292, 3.0573),
    ("Bordeaux", "Nouvelle-Aquitaine", "FR", 44.8378, -0.5792),
    ("Toulouse", "Occitanie", "FR", 43.6047, 1.4442),
    ("Nantes", "Pays de la Loire", "FR", 47.2184, -1.5536),
    ("Strasbourg", "Grand Est", "FR", 48.5734, 7.7521),
    ("Rennes", "Bretagne", "FR", 48.1173, -1.6778),
    ("Nice", "Provence-Alpes-Cote d'Azur", "FR", 43.7102, 7.2620),
    ("Grenoble", "Auvergne-Rhone-Alpes", "FR", 45.1885, 5.7245),
    ("Dijon", "Bourgogne-Franche-Comte", "FR", 47.3220, 5.0415),
)

POOL_PURPOSES = (
    "RAN workloads (O-DU / O-CU)",
    "5G core user plane (UPF)",
    "management and observability",
    "general purpose",
)

# Column orders, shared with store.py.
DM_COLUMNS = (
    "native_id",
    "name",
    "description",
    "service_uri",
    "supported_locations",
    "capabilities",
    "capacity",
    "extensions",
)
POOL_COLUMNS = ("native_id", "name", "description", "global_location_id", "location", "extensions")
TYPE_COLUMNS = (
    "native_id",
    "name",
    "description",
    "vendor",
    "model",
    "version",
    "resource_kind",
    "resource_class",
    "alarm_dictionary",
    "extensions",
)
RESOURCE_COLUMNS = (
    "native_id",
    "resource_type_id",
    "resource_pool_id",
    "parent_id",
    "description",
    "global_asset_id",
    "extensions",
    "origin",
)


def dumps(value: Any) -> str:
    """The one JSON encoding of the state file: compact, sorted keys, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def resource_native_id(number: int) -> str:
    return f"res-{number:06d}"


@dataclass(frozen=True)
class GenerationSpec:
    seed: int = 42
    sites: int = 3
    pools_per_site: int = 2
    resources: int = 60

    def as_dict(self) -> dict[str, int]:
        return {
            "seed": self.seed,
            "sites": self.sites,
            "poolsPerSite": self.pools_per_site,
            "resources": self.resources,
        }


@dataclass(frozen=True)
class Site:
    native_id: str  # "edge-1"
    tier: str
    city: str
    location: str  # "Paris, Ile-de-France, FR"
    global_location_id: str  # RFC 5870 geo URI


@dataclass(frozen=True)
class GeneratedData:
    deployment_managers: list[tuple[Any, ...]]
    resource_pools: list[tuple[Any, ...]]
    resource_types: list[tuple[Any, ...]]
    resources: list[tuple[Any, ...]]


# ---------------------------------------------------------------------------------------------- catalogue


def _alarm_dictionary(entity: str, vendor: str, prefix: str, alarms: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    """An O2ims AlarmDictionary (O2-REFERENCE.md §2). alarms: (id suffix, name, description, repair)."""
    return {
        "alarmDictionaryVersion": "1.0",
        "alarmDictionarySchemaVersion": "1.0",
        "entityType": entity,
        "vendor": vendor,
        "managementInterfaceId": ["O2IMS"],
        "pkNotificationField": ["alarmDefinitionId", "resourceId"],
        "alarmDefinition": [
            {
                "alarmDefinitionId": f"{prefix}-{suffix}",
                "alarmName": name,
                "alarmLastChange": "1.0",
                "alarmChangeType": "ADDED",
                "alarmDescription": description,
                "proposedRepairActions": repair,
                "clearingType": "AUTOMATIC" if suffix != "psu-failed" else "MANUAL",
                "alarmAdditionalFields": {"source": "BMC"},
            }
            for suffix, name, description, repair in alarms
        ],
    }


_SERVER_ALARMS = [
    (
        "temp-high",
        "Inlet temperature high",
        "The inlet temperature exceeded the warning threshold (75 C).",
        "Check the airflow and the fans; reduce the load.",
    ),
    (
        "psu-failed",
        "Power supply failed",
        "A redundant power supply unit reports a failure.",
        "Replace the power supply unit.",
    ),
    (
        "mem-ecc",
        "Correctable memory errors",
        "A DIMM reports correctable ECC errors above the rate threshold.",
        "Schedule the replacement of the DIMM.",
    ),
]

RESOURCE_TYPES: tuple[dict[str, Any], ...] = (
    {
        "native_id": "rt-dell-r750",
        "name": "Dell PowerEdge R750",
        "description": "2U dual-socket compute server for regional and central sites",
        "vendor": "Dell Inc.",
        "model": "PowerEdge R750",
        "version": "BIOS 1.13.2",
        "resource_kind": "PHYSICAL",
        "resource_class": "COMPUTE",
        "alarm_dictionary": _alarm_dictionary("PowerEdge R750", "Dell Inc.", "r750", _SERVER_ALARMS),
        "extensions": {"mock.role": "server", "mock.formFactor": "2U"},
    },
    {
        "native_id": "rt-dell-xr11",
        "name": "Dell PowerEdge XR11",
        "description": "1U ruggedised single-socket edge server for far-edge cell sites",
        "vendor": "Dell Inc.",
        "model": "PowerEdge XR11",
        "version": "BIOS 2.4.1",
        "resource_kind": "PHYSICAL",
        "resource_class": "COMPUTE",
        "alarm_dictionary": _alarm_dictionary("PowerEdge XR11", "Dell Inc.", "xr11", _SERVER_ALARMS),
        "extensions": {"mock.role": "server", "mock.formFactor": "1U short-depth"},
    },
    {
        "native_id": "rt-intel-e810",
        "name": "Intel Ethernet E810-XXVDA4T",
        "description": "4x25GbE network adapter with PTP timing (SR-IOV)",
        "vendor": "Intel Corporation",
        "model": "E810-XXVDA4T",
        "version": "FW 4.40",
        "resource_kind": "PHYSICAL",
        "resource_class": "NETWORKING",
        "alarm_dictionary": None,
        "extensions": {"mock.role": "nic"},
    },
    {
        "native_id": "rt-intel-acc100",
        "name": "Intel vRAN Accelerator ACC100",
        "description": "FEC/LDPC look-aside accelerator for the O-DU",
        "vendor": "Intel Corporation",
        "model": "ACC100",
        "version": "FW 22.03",
        "resource_kind": "PHYSICAL",
        "resource_class": "COMPUTE",
        "alarm_dictionary": None,
        "extensions": {"mock.role": "accelerator"},
    },
    {
        "native_id": "rt-cisco-n93180",
        "name": "Cisco Nexus 93180YC-FX3",
        "description": "48x25G + 6x100G top-of-rack switch",
        "vendor": "Cisco Systems",
        "model": "N9K-C93180YC-FX3",
        "version": "NX-OS 10.3(4a)",
        "resource_kind": "PHYSICAL",
        "resource_class": "NETWORKING",
        "alarm_dictionary": _alarm_dictionary(
            "Nexus 93180YC-FX3",
            "Cisco Systems",
            "n93180",
            [
                (
                    "link-down",
                    "Uplink down",
                    "An uplink port lost its link.",
                    "Check the optics and the cabling of the uplink.",
                ),
                (
                    "psu-failed",
                    "Power supply failed",
                    "A power supply module reports a failure.",
                    "Replace the power supply module.",
                ),
            ],
        ),
        "extensions": {"mock.role": "switch"},
    },
    {
        "native_id": "rt-dell-powerstore",
        "name": "Dell PowerStore 1200T",
        "description": "NVMe all-flash storage array",
        "vendor": "Dell Inc.",
        "model": "PowerStore 1200T",
        "version": "PowerStoreOS 3.6",
        "resource_kind": "PHYSICAL",
        "resource_class": "STORAGE",
        "alarm_dictionary": None,
        "extensions": {"mock.role": "storage"},
    },
    {
        "native_id": "rt-ceph-rbd",
        "name": "Ceph RBD pool",
        "description": "Replicated Ceph block-storage pool on the site's servers",
        "vendor": "Ceph Foundation",
        "model": "RBD",
        "version": "18.2 (Reef)",
        "resource_kind": "LOGICAL",
        "resource_class": "STORAGE",
        "alarm_dictionary": None,
        "extensions": {"mock.role": "storage"},
    },
)

TYPE_NAMES = {t["native_id"]: t["name"] for t in RESOURCE_TYPES}

# What fills a pool after its switch and its storage: a repeating unit, server first.
_UNIT_BY_TIER = {
    "edge": ("rt-dell-xr11", "rt-intel-e810", "rt-intel-acc100"),
    "regional": ("rt-dell-r750", "rt-intel-e810"),
    "central": ("rt-dell-r750", "rt-intel-e810"),
}
_STORAGE_BY_TIER = {"edge": "rt-ceph-rbd", "regional": "rt-dell-powerstore", "central": "rt-dell-powerstore"}
SERVER_TYPE_BY_TIER = {tier: unit[0] for tier, unit in _UNIT_BY_TIER.items()}

_SERIAL_ALPHABET = "0123456789BCDFGHJKLMNPQRSTVWXYZ"


# ---------------------------------------------------------------------------------------------- generation


def sites_for(spec: GenerationSpec) -> list[Site]:
    sites: list[Site] = []
    counters = dict.fromkeys(TIERS, 0)
    for index in range(spec.sites):
        tier = TIERS[index] if index < len(TIERS) else "edge"
        counters[tier] += 1
        city, region, country, lat, lon = CITIES[index % len(CITIES)]
        sites.append(
            Site(
                native_id=f"{tier}-{counters[tier]}",
                tier=tier,
                city=city,
                location=f"{city}, {region}, {country}",
                global_location_id=f"geo:{lat:.4f},{lon:.4f}",
            )
        )
    return sites


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def pool_letter(index: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[index]


_SERIAL_SPACE = len(_SERIAL_ALPHABET) ** 7


def serial_number(number: int, seed: int) -> str:
    """A 7-character service tag, unique per resource number (a bijection on numbers below 31**7)."""
    value = (number * 2_654_435_761 + seed * 97_531) % _SERIAL_SPACE
    chars = []
    for _ in range(7):
        value, digit = divmod(value, len(_SERIAL_ALPHABET))
        chars.append(_SERIAL_ALPHABET[digit])
    return "".join(reversed(chars))


def server_extensions(rng: random.Random, type_id: str, site: str, serial: str) -> dict[str, Any]:
    edge = type_id == "rt-dell-xr11"
    return {
        "mock.site": site,
        "mock.serialNumber": serial,
        "mock.cpuCores": rng.choice((24, 32)) if edge else rng.choice((48, 64, 96)),
        "mock.memoryGiB": rng.choice((128, 256)) if edge else rng.choice((384, 512, 768)),
        "mock.powerState": "on",
        "mock.temperatureC": round(rng.uniform(28.0, 48.0), 1),
    }


def type_row(t: Mapping[str, Any]) -> tuple[Any, ...]:
    """A catalogue entry as a resource_types row. No alarm dictionary is SQL NULL."""
    row: list[Any] = []
    for column in TYPE_COLUMNS:
        value = t[column]
        if column == "extensions" or (column == "alarm_dictionary" and value is not None):
            value = dumps(value)
        row.append(value)
    return tuple(row)


class Generator:
    """Streams a fresh state file's rows for `spec`: types and pools, then resources (an iterator, so a
    million of them never sit in memory at once), then deployment managers, whose capacity adds up the
    servers the resource pass produced. Deterministic in spec (seed included)."""

    def __init__(self, spec: GenerationSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.sites = sites_for(spec)
        self.pool_sites: list[Site] = []
        self.pools: list[tuple[Any, ...]] = []
        for site_index, site in enumerate(self.sites):
            for p in range(spec.pools_per_site):
                letter = pool_letter(p)
                purpose = POOL_PURPOSES[p % len(POOL_PURPOSES)]
                self.pools.append(
                    (
                        f"pool-{site.native_id}{letter}",
                        f"{_slug(site.city)}-{site.native_id}{letter}",
                        f"{site.tier.capitalize()} site {site.native_id} ({site.city}), pool {letter}: {purpose}",
                        site.global_location_id,
                        site.location,
                        dumps(
                            {
                                "mock.site": site.native_id,
                                "mock.tier": site.tier,
                                "mock.purpose": purpose,
                                "mock.rack": f"R{site_index + 1:02d}-{p + 1:02d}",
                            }
                        ),
                    )
                )
                self.pool_sites.append(site)
        self.capacity: dict[str, dict[str, int]] = {
            s.native_id: {"nodes": 0, "cpu": 0, "memoryGiB": 0} for s in self.sites
        }
        self.resource_count = 0

    def resource_types(self) -> list[tuple[Any, ...]]:
        return [type_row(t) for t in RESOURCE_TYPES]

    def resource_pools(self) -> list[tuple[Any, ...]]:
        return list(self.pools)

    def resources(self) -> Iterator[tuple[Any, ...]]:
        spec, rng, capacity, pools, pool_sites = self.spec, self.rng, self.capacity, self.pools, self.pool_sites
        n_pools = len(pools)
        for index in range(spec.resources if n_pools else 0):
            pool_index = index % n_pools
            position = index // n_pools
            site = pool_sites[pool_index]
            pool_id = pools[pool_index][0]
            native_id = resource_native_id(index + 1)
            serial = serial_number(index + 1, spec.seed)
            parent_id: str | None = None
            ext: dict[str, Any] = {"mock.site": site.native_id, "mock.serialNumber": serial}
            if position == 0:
                type_id = "rt-cisco-n93180"
                ext["mock.ports"] = 54
                ext["mock.mgmtIp"] = f"10.{pool_index // 250 % 250}.{pool_index % 250}.2"
                description = f"Top-of-rack switch of {pool_id}"
            elif position == 1:
                type_id = _STORAGE_BY_TIER[site.tier]
                if type_id == "rt-ceph-rbd":
                    serial = ""  # a logical pool has no asset tag
                    ext = {"mock.site": site.native_id, "mock.capacityTiB": rng.choice((8, 16, 24)), "mock.replicas": 3}
                    description = f"Ceph block pool of {pool_id}"
                else:
                    ext["mock.capacityTiB"] = rng.choice((46, 92, 184))
                    description = f"Storage array of {pool_id}"
            else:
                unit = _UNIT_BY_TIER[site.tier]
                offset = (position - 2) % len(unit)
                type_id = unit[offset]
                if offset == 0:
                    ext = server_extensions(rng, type_id, site.native_id, serial)
                    cap = capacity[site.native_id]
                    cap["nodes"] += 1
                    cap["cpu"] += int(ext["mock.cpuCores"])
                    cap["memoryGiB"] += int(ext["mock.memoryGiB"])
                    description = f"{TYPE_NAMES[type_id]} compute server in {pool_id}"
                else:
                    parent_id = resource_native_id(index + 1 - offset * n_pools)
                    if type_id == "rt-intel-e810":
                        ext["mock.ports"] = 4
                        ext["mock.speedGbps"] = 25
                        ext["mock.macAddress"] = (
                            f"02:4e:57:{(index >> 16) & 0xFF:02x}:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}"
                        )
                        description = f"NIC of server {parent_id}"
                    else:
                        ext["mock.pciAddress"] = "0000:8a:00.0"
                        description = f"vRAN accelerator of server {parent_id}"
            self.resource_count += 1
            yield (native_id, type_id, pool_id, parent_id, description, serial, dumps(ext), "seed")

    def deployment_managers(self) -> list[tuple[Any, ...]]:
        """One Kubernetes-like cluster per site. Call after `resources()` is exhausted (capacity)."""
        dms: list[tuple[Any, ...]] = []
        for site in self.sites:
            cap = self.capacity[site.native_id]
            dms.append(
                (
                    f"dm-{site.native_id}",
                    f"{_slug(site.city)}-{site.native_id}-cluster",
                    f"Kubernetes cluster of {site.tier} site {site.native_id} ({site.city})",
                    f"https://api.{site.native_id}.mock.netweave.example:6443",
                    dumps([site.location]),
                    dumps(
                        {
                            "OS": "Linux",
                            "kubernetesVersion": "v1.30.4",
                            "dmsProfiles": ["native_k8sapi"],
                            "cni": "calico",
                            "sriov": True,
                            "ptp": site.tier == "edge",
                        }
                    ),
                    dumps({"nodes": cap["nodes"], "cpu": cap["cpu"], "memory": f"{cap['memoryGiB']}Gi"}),
                    dumps({"mock.site": site.native_id, "mock.tier": site.tier, "mock.distribution": "k3s"}),
                )
            )
        return dms


def generate(spec: GenerationSpec) -> GeneratedData:
    """Every row of a fresh state file for `spec`, as lists (fine for small specs; the store streams)."""
    generator = Generator(spec)
    types = generator.resource_types()
    pools = generator.resource_pools()
    resources = list(generator.resources())
    return GeneratedData(
        deployment_managers=generator.deployment_managers(),
        resource_pools=pools,
        resource_types=types,
        resources=resources,
    )


def spec_from_mapping(data: Mapping[str, Any]) -> GenerationSpec:
    return GenerationSpec(
        seed=int(data.get("seed", 42)),
        sites=int(data.get("sites", 3)),
        pools_per_site=int(data.get("poolsPerSite", 2)),
        resources=int(data.get("resources", 60)),
    )
