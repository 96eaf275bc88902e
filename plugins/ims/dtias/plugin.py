"""The Dell DTIAS IMS plugin: a tenant's resource groups, bare-metal servers and server profiles, over its REST API.

Thin: input checks and calls here, JSON -> O2 in mapping.py, tokens, paging and jobs in client.py. Resource group
writes are asynchronous in DTIAS: each answers a job id, followed until the job ends, so a write through netweave
returns once DTIAS has done it (or fails with DTIAS's reason).
"""

from __future__ import annotations

import re
import ssl
import uuid
from collections.abc import Mapping
from typing import Any

from plugins.ims.dtias import mapping
from plugins.ims.dtias.client import Client
from plugins.ims.dtias.config import SECRET_FIELDS, DTIASConfig, config_warnings
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest, PluginError
from plugins.sdk.ims import (
    Inventory,
    ResourcePool,
    ResourceType,
    SnapshotIMSPlugin,
)
from plugins.sdk.validation import checked_text

EXT_SELECTORS = "dtias.resourceSelectors"
EXT_GROUP_TYPE = "dtias.resourceGroupType"
DEFAULT_GROUP_TYPE = "ResourceGroup~2.1.1"  # the value seen in the public traces
DERIVED_POOL_KEYS = frozenset({"dtias.provisioningState", "dtias.bareMetalCount", "dtias.datacenter", "dtias.derived"})
SELECTOR_KEYS = frozenset({"resourceProfileId", "numResources", "resourcePoolId"})


def _group_id(name: str) -> str:
    """DTIAS takes the group id from the caller: a slug of the name and a random suffix."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "group"
    return f"{slug}-{uuid.uuid4().hex[:6]}"


def _selectors(value: Any) -> dict[str, Any]:
    """DTIAS resource selectors from `extensions.dtias.resourceSelectors`: {name: {resourceProfileId, numResources,
    resourcePoolId}}, at least one, each asking for at least one server of a profile."""
    field = f"extensions.{EXT_SELECTORS}"
    if not isinstance(value, Mapping) or not value:
        raise InvalidRequest(f"{field} is required: {{name: {{resourceProfileId, numResources}}}}", field=field)
    selectors = {}
    for key, selector in value.items():
        where = f"{field}.{key}"
        if not isinstance(selector, Mapping):
            raise InvalidRequest(f"{where} must be an object", field=where)
        unknown = sorted(set(selector) - SELECTOR_KEYS)
        if unknown:
            raise InvalidRequest(f"{where}.{unknown[0]} is not a selector setting", field=f"{where}.{unknown[0]}")
        profile = checked_text(selector.get("resourceProfileId", ""), f"{where}.resourceProfileId", required=True)
        count = selector.get("numResources")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 10000:
            raise InvalidRequest(f"{where}.numResources must be a whole number from 1", field=f"{where}.numResources")
        selectors[str(key)] = {
            "ResourceProfileId": profile,
            "numResources": count,
            "rpId": checked_text(selector.get("resourcePoolId", ""), f"{where}.resourcePoolId"),
            "filters": {},
        }
    return selectors


class DTIASIMSPlugin(SnapshotIMSPlugin):
    """One DTIAS tenant (see README.md for the mapping, the capabilities and what is assumed about DTIAS)."""

    name = "dtias"
    version = "1.0.0"
    config_class = DTIASConfig
    secret_fields = SECRET_FIELDS
    not_found_in = "DTIAS"
    native_nouns = {"resource pool": "resource group", "resource type": "server profile", "resource": "server"}

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._client: Client | None = None
        self.ocloud_id = ""
        self.site = ""

    def capabilities(self) -> frozenset[Capability]:
        # No resource management: servers are physical; DTIAS allocates them to groups through the group's
        # selectors. No realtime events: DTIAS offers no event stream netweave can consume (periodic sync).
        return frozenset({Capability.RESOURCE_POOL_MANAGEMENT, Capability.RESOURCE_TYPE_DISCOVERY})

    @classmethod
    def config_warnings(cls, config: Mapping[str, Any]) -> list[str]:
        return config_warnings(dict(config))

    def initialize(self, config: Mapping[str, Any]) -> None:
        """Validate and build the client. Nothing is sent yet: a wrong password shows in health()."""
        data = self.validated_config(config)
        self.close()
        self.ocloud_id = data["ocloudId"]
        self.site = data["datacenter"]
        verify: bool | ssl.SSLContext = data["verifyTls"]
        if data["caBundle"]:
            verify = ssl.create_default_context(cafile=data["caBundle"])
        self._client = Client(
            data["endpoint"],
            data["tenant"],
            data["clientId"],
            data["username"],
            data["password"],
            verify=verify,
            timeout=data["requestTimeoutSeconds"],
            page_size=data["pageSize"],
            refresh_margin=data["tokenRefreshMarginSeconds"],
            job_timeout=data["jobTimeoutSeconds"],
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def client(self) -> Client:
        if self._client is None:
            raise BackendUnavailable(f"dtias IMS {self.instance_name} is not initialized")
        return self._client

    def health(self) -> HealthStatus:
        try:
            next(iter(self.client.pages("resourcegroups", "ResourceGroups", "checking health")), None)
        except PluginError as exc:
            prefix = "" if exc.detail.startswith("authentication failed") else "unreachable: "
            return HealthStatus(False, f"{prefix}{exc.detail}")
        details = {"tenant": self.client.tenant}
        if self.ocloud_id:
            details["ocloudId"] = self.ocloud_id
        return HealthStatus(True, f"DTIAS tenant {self.client.tenant} at {self.client.endpoint}", details)

    # ------------------------------------------------------------------------------------------ reads

    def _servers(self) -> dict[str, dict[str, Any]]:
        servers = {s["Id"]: s for s in self.client.pages("inventory/servers", "Servers", "listing servers")}
        if self.site:
            servers = {k: v for k, v in servers.items() if v.get("SiteId") == self.site}
        return servers

    def _groups(self) -> list[dict[str, Any]]:
        return list(self.client.pages("resourcegroups", "ResourceGroups", "listing resource groups"))

    def collect_inventory(self) -> Inventory:
        servers = self._servers()
        groups = self._groups()
        if self.site:  # a group belongs to the configured site when it holds a server there (or none yet)
            groups = [g for g in groups if not mapping.group_servers(g) or set(mapping.group_servers(g)) & set(servers)]
        pools = [mapping.resource_pool_from_group(g, servers) for g in groups]
        owner = {server: g["id"] for g in groups for server in mapping.group_servers(g)}
        free = [s for sid, s in sorted(servers.items()) if sid not in owner]
        pools.append(mapping.unallocated_pool(free))
        resources = [
            mapping.resource_from_server(s, owner.get(sid, mapping.UNALLOCATED_POOL))
            for sid, s in sorted(servers.items())
        ]
        types: dict[str, ResourceType] = {}
        for _, server in sorted(servers.items()):
            types.setdefault(mapping.type_id(server), mapping.resource_type_from_server(server))
        sites = [str(s.get("SiteId") or "") for s in servers.values()]
        manager = mapping.deployment_manager(self.client.endpoint, self.client.tenant, sites, self.ocloud_id)
        locations, site_objects = mapping.locations_and_sites(sites)
        return Inventory(
            deployment_managers=[manager],
            resource_pools=sorted(pools, key=lambda p: p.native_id),
            resource_types=sorted(types.values(), key=lambda t: t.native_id),
            resources=resources,
            locations=locations,
            sites=site_objects,
        )

    # ------------------------------------------------------------------------------------------ pool writes

    def _check_pool(self, pool: ResourcePool, allowed: frozenset[str]) -> None:
        if not isinstance(pool, ResourcePool):
            raise InvalidRequest("expected a ResourcePool")
        checked_text(pool.name, "name", required=True)
        checked_text(pool.description, "description", max_length=1024)
        if not isinstance(pool.extensions, Mapping):
            raise InvalidRequest("extensions must be an object", field="extensions")
        unknown = sorted(set(pool.extensions) - allowed)
        if unknown:
            raise InvalidRequest(
                f"extensions.{unknown[0]} is not a DTIAS setting (known: {', '.join(sorted(allowed))})",
                field=f"extensions.{unknown[0]}",
            )
        if pool.global_location_id:
            raise InvalidRequest(
                "global_location_id: DTIAS resource groups have no location id", field="global_location_id"
            )

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        """A resource group allocating servers by profile (`extensions.dtias.resourceSelectors`); DTIAS answers a
        job, followed until the group exists (or the job fails: not enough free servers, ...)."""
        self._check_pool(pool, DERIVED_POOL_KEYS | {EXT_SELECTORS, EXT_GROUP_TYPE})
        if pool.native_id:
            raise InvalidRequest("native_id: netweave names the resource group", field="native_id")
        selectors = _selectors(pool.extensions.get(EXT_SELECTORS))
        group_type = checked_text(
            pool.extensions.get(EXT_GROUP_TYPE, DEFAULT_GROUP_TYPE), f"extensions.{EXT_GROUP_TYPE}"
        )
        group_id = _group_id(pool.name)
        body = {
            "Tenant": self.client.tenant,
            "resourceGroup": {
                "id": group_id,
                "name": pool.name,
                "description": pool.description,
                "resourceTypeId": group_type or DEFAULT_GROUP_TYPE,
                "resourceSelectors": selectors,
            },
        }
        doing = f"creating resource group {pool.name!r}"
        job = self.client.request("POST", "resourcegroups", doing, field="name", json=body)
        self.client.wait_for_job(str(job["jobid"]), doing)
        return self.get_resource_pool(group_id)

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Rename or re-describe a resource group (a job). Its selectors are not changed through netweave."""
        if native_id == mapping.UNALLOCATED_POOL:
            raise InvalidRequest("the pool of unallocated servers is derived; it cannot be changed")
        self._check_pool(pool, DERIVED_POOL_KEYS | {EXT_SELECTORS, EXT_GROUP_TYPE})
        current = self.get_resource_pool(native_id)
        for key in (EXT_SELECTORS, EXT_GROUP_TYPE):
            if key in pool.extensions and pool.extensions[key] != current.extensions.get(key):
                raise InvalidRequest(f"extensions.{key} cannot be changed: make a new group", field=f"extensions.{key}")
        doing = f"updating resource group {current.name!r}"
        body = {"resourceGroup": {"name": pool.name, "description": pool.description}}
        job = self.client.request("PUT", f"resourcegroups/{native_id}", doing, field="name", json=body)
        self.client.wait_for_job(str(job["jobid"]), doing)
        return self.get_resource_pool(native_id)

    def delete_resource_pool(self, native_id: str) -> None:
        """Delete a resource group (a job): DTIAS releases its servers, which return to the unallocated pool."""
        if native_id == mapping.UNALLOCATED_POOL:
            raise InvalidRequest("the pool of unallocated servers is derived; it cannot be deleted")
        doing = f"deleting resource group {native_id!r}"
        job = self.client.request("DELETE", f"resourcegroups/{native_id}", doing)
        self.client.wait_for_job(str(job["jobid"]), doing)
