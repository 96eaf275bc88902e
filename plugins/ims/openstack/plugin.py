"""The OpenStack IMS plugin: host aggregates, Nova servers, flavors and the region, through openstacksdk.

Thin: calls to the SDK and checks of the caller's input here, object mapping in mapping.py, error translation
in errors.py. One keystoneauth session per plugin object: it re-authenticates by itself when the token
expires or is revoked (a 401 makes it fetch a new token and retry once).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

import openstack
import openstack.config
from openstack import exceptions as sdk_exceptions
from openstack.connection import Connection

from plugins.ims.openstack import mapping
from plugins.ims.openstack.config import SECRET_FIELDS, OpenStackConfig
from plugins.ims.openstack.errors import AUTH_FAILED, translated
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound, PluginError
from plugins.sdk.ims import (
    DeploymentManager,
    IMSPlugin,
    ListFilter,
    Location,
    OCloudSite,
    Resource,
    ResourcePool,
    ResourceType,
)
from plugins.sdk.validation import checked_text

logger = logging.getLogger(__name__)

EXT_HOSTS = "openstack.hosts"
EXT_METADATA = "openstack.metadata"
EXT_IMAGE = "openstack.imageId"
EXT_NAME = "openstack.name"
EXT_HOST = "openstack.host"
# Pool extensions netweave derives from the aggregate: accepted back unchanged on update, never written.
DERIVED_POOL_KEYS = frozenset(
    {"openstack.aggregateId", "openstack.availabilityZone", "openstack.hostCount", "openstack.derived"}
)
WRITABLE_RESOURCE_KEYS = frozenset({EXT_IMAGE, EXT_NAME, EXT_HOST, EXT_METADATA})
MAX_TEXT = 255
BOOT_POLL_SECONDS = 0.5
HOST_PLACEMENT_MICROVERSION = "2.74"  # `host` in a server create request: placed by the scheduler, admin only


def _string_map(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise InvalidRequest(f"{field} must be an object of strings", field=field)
    for key, item in value.items():
        if not key or len(key) > MAX_TEXT or len(item) > MAX_TEXT:
            raise InvalidRequest(f"{field}: keys and values are 1 to {MAX_TEXT} characters", field=field)
        if key.startswith("netweave.") or key == mapping.NOVA_AZ_KEY:
            raise InvalidRequest(f"{field}: the key {key!r} is reserved", field=field)
    return dict(value)


def _host_list(value: Any) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(h, str) and h for h in value):
        raise InvalidRequest(f"extensions.{EXT_HOSTS} must be an array of host names", field=f"extensions.{EXT_HOSTS}")
    return sorted(set(value))


def _unknown_extensions(extensions: Mapping[str, Any], allowed: frozenset[str]) -> None:
    if not isinstance(extensions, Mapping):
        raise InvalidRequest("extensions must be an object", field="extensions")
    unknown = sorted(set(extensions) - allowed)
    if unknown:
        raise InvalidRequest(
            f"extensions.{unknown[0]} is not an OpenStack setting (known: {', '.join(sorted(allowed))})",
            field=f"extensions.{unknown[0]}",
        )


class OpenStackIMSPlugin(IMSPlugin):
    """One OpenStack region, seen through one project: aggregates are pools, servers resources, flavors types."""

    name = "openstack"
    version = "1.0.0"
    config_class = OpenStackConfig
    secret_fields = SECRET_FIELDS

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._conn: Connection | None = None
        self.region = ""
        self.ocloud_id = ""
        self.auth_url = ""
        self.boot_timeout = 300.0

    # ------------------------------------------------------------------------------------------ lifecycle

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.RESOURCE_POOL_MANAGEMENT,
                Capability.RESOURCE_MANAGEMENT,
                Capability.RESOURCE_TYPE_DISCOVERY,
            }
        )

    def initialize(self, config: Mapping[str, Any]) -> None:
        """Validate and build the connection. Nothing is sent yet: a wrong password shows in health()."""
        data = self.validated_config(config)
        self.close()
        self.region = data["region"]
        self.ocloud_id = data["ocloudId"]
        self.auth_url = data["authUrl"]
        self.boot_timeout = float(data["bootTimeoutSeconds"])
        if data["applicationCredentialId"]:
            auth_type = "v3applicationcredential"
            auth: dict[str, Any] = {
                "auth_url": data["authUrl"],
                "application_credential_id": data["applicationCredentialId"],
                "application_credential_secret": data["applicationCredentialSecret"],
            }
        else:
            auth_type = "password"
            auth = {
                "auth_url": data["authUrl"],
                "username": data["username"],
                "password": data["password"],
                "project_name": data["projectName"],
                "user_domain_name": data["domainName"],
                "project_domain_name": data["domainName"],
            }
        verify: bool | str = data["caBundle"] or data["verifyTls"]
        with translated("reading the OpenStack configuration"):
            region = openstack.config.get_cloud_region(
                load_yaml_config=False,
                load_envvars=False,
                auth_type=auth_type,
                auth=auth,
                region_name=data["region"],
                verify=verify,
                api_timeout=data["requestTimeoutSeconds"],
            )
            self._conn = openstack.connection.Connection(config=region, app_name="netweave", app_version="1")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise BackendUnavailable(f"openstack IMS {self.instance_name} is not initialized")
        return self._conn

    def health(self) -> HealthStatus:
        details = {"region": self.region, "authUrl": self.auth_url}
        if self.ocloud_id:
            details["ocloudId"] = self.ocloud_id
        try:
            with translated("checking health"):
                self.conn.session.get_token()  # keystoneauth errors, not the SDK's wrapped ones
                services = list(self.conn.compute.services(binary="nova-compute"))
        except PluginError as exc:
            message = exc.detail if exc.detail.startswith(AUTH_FAILED) else f"unreachable: {exc.detail}"
            return HealthStatus(False, message, details)
        up = sorted(s.host for s in services if s.state == "up")
        details["computeHosts"] = str(len(services))
        details["computeHostsUp"] = str(len(up))
        return HealthStatus(True, f"region {self.region}: {len(up)} of {len(services)} compute hosts up", details)

    # ------------------------------------------------------------------------------------------ helpers

    def _aggregates(self) -> list[dict[str, Any]]:
        with translated("listing host aggregates"):
            return [a.to_dict(computed=False) for a in self.conn.compute.aggregates()]

    def _aggregate(self, native_id: str) -> dict[str, Any]:
        for aggregate in self._aggregates():
            if aggregate["uuid"] == native_id:
                return aggregate
        raise NotFound(f"no host aggregate {native_id!r} in region {self.region}")

    def _compute_hosts(self) -> list[str]:
        with translated("listing compute services"):
            return sorted({s.host for s in self.conn.compute.services(binary="nova-compute")})

    def _unassigned_hosts(self, aggregates: list[dict[str, Any]]) -> list[str]:
        grouped = {h for a in aggregates for h in a.get("hosts") or ()}
        return [h for h in self._compute_hosts() if h not in grouped]

    def _flavor_ids_by_name(self) -> dict[str, str]:
        with translated("listing flavors"):
            return {f.name: f.id for f in self.conn.compute.flavors(details=False)}

    def _resource(
        self, server: dict[str, Any], aggregates: list[dict[str, Any]], flavor_ids: dict[str, str]
    ) -> Resource:
        return mapping.resource_from_server(
            server,
            pool_id=mapping.pool_of_server(server, aggregates),
            flavor_id=mapping.flavor_id_of_server(server, flavor_ids),
        )

    # ------------------------------------------------------------------------------------------ reads

    def list_deployment_managers(self, filter: ListFilter | None = None) -> list[DeploymentManager]:
        with translated("describing the region"):
            endpoint = self.conn.compute.get_endpoint()
            zones = [z.name for z in self.conn.compute.availability_zones() if z.name != "internal"]
        return [
            mapping.deployment_manager_from_region(
                self.region,
                compute_endpoint=endpoint or "",
                availability_zones=zones,
                compute_hosts=self._compute_hosts(),
                ocloud_id=self.ocloud_id,
            )
        ]

    def list_locations(self) -> list[Location]:
        """R005: the region this instance serves is its one location."""
        with translated("describing the region"):
            endpoint = self.conn.compute.get_endpoint()
        return [mapping.location_of_region(self.region, endpoint or "")]

    def list_sites(self) -> list[OCloudSite]:
        """R005: the region's availability zones (Nova's, and those its aggregates expose), except `internal`."""
        with translated("listing availability zones"):
            zones = {z.name for z in self.conn.compute.availability_zones() if z.name != "internal"}
        zones |= {str(a.get("availability_zone")) for a in self._aggregates() if a.get("availability_zone")}
        return [mapping.site_of_zone(zone, self.region) for zone in sorted(zones)]

    def get_deployment_manager(self, native_id: str) -> DeploymentManager:
        if native_id != self.region:
            raise NotFound(f"this plugin instance serves region {self.region!r}, not {native_id!r}")
        return self.list_deployment_managers()[0]

    def list_resource_pools(self, filter: ListFilter | None = None) -> list[ResourcePool]:
        aggregates = self._aggregates()
        pools = [mapping.resource_pool_from_aggregate(a) for a in aggregates]
        pools.append(mapping.unassigned_pool(self.region, self._unassigned_hosts(aggregates)))
        if filter and filter.resource_pool_id:
            pools = [p for p in pools if p.native_id == filter.resource_pool_id]
        return pools

    def get_resource_pool(self, native_id: str) -> ResourcePool:
        if native_id == mapping.UNASSIGNED_POOL:
            return mapping.unassigned_pool(self.region, self._unassigned_hosts(self._aggregates()))
        return mapping.resource_pool_from_aggregate(self._aggregate(native_id))

    def list_resource_types(self, filter: ListFilter | None = None) -> list[ResourceType]:
        with translated("listing flavors"):
            flavors = [f.to_dict(computed=False) for f in self.conn.compute.flavors(details=True)]
            servers = [s.to_dict(computed=False) for s in self.conn.compute.servers(details=True)]
        types = {t.native_id: t for t in map(mapping.resource_type_from_flavor, flavors)}
        ids_by_name = {f["name"]: f["id"] for f in flavors}
        for server in servers:  # flavors deleted after their servers booted
            flavor_id = mapping.flavor_id_of_server(server, ids_by_name)
            if flavor_id not in types:
                types[flavor_id] = mapping.resource_type_from_deleted_flavor(server)
        listed = sorted(types.values(), key=lambda t: t.native_id)
        if filter and filter.resource_type_id:
            listed = [t for t in listed if t.native_id == filter.resource_type_id]
        return listed

    def get_resource_type(self, native_id: str) -> ResourceType:
        if native_id.startswith(mapping.DELETED_FLAVOR_PREFIX):
            for rtype in self.list_resource_types():
                if rtype.native_id == native_id:
                    return rtype
            raise NotFound(f"no server uses the deleted flavor {native_id!r} any more")
        with translated(f"reading flavor {native_id!r}"):
            flavor = self.conn.compute.get_flavor(native_id)
        return mapping.resource_type_from_flavor(flavor.to_dict(computed=False))

    def list_resources(self, filter: ListFilter | None = None) -> list[Resource]:
        with translated("listing servers"):
            servers = [s.to_dict(computed=False) for s in self.conn.compute.servers(details=True)]
        aggregates = self._aggregates()
        flavor_ids = self._flavor_ids_by_name()
        resources = [self._resource(s, aggregates, flavor_ids) for s in servers]
        if filter and filter.resource_pool_id:
            resources = [r for r in resources if r.resource_pool_id == filter.resource_pool_id]
        if filter and filter.resource_type_id:
            resources = [r for r in resources if r.resource_type_id == filter.resource_type_id]
        return resources

    def get_resource(self, native_id: str) -> Resource:
        with translated(f"reading server {native_id!r}"):
            server = self.conn.compute.get_server(native_id).to_dict(computed=False)
        return self._resource(server, self._aggregates(), self._flavor_ids_by_name())

    # ------------------------------------------------------------------------------------------ pool writes

    def _pool_request(self, pool: ResourcePool) -> tuple[dict[str, str], list[str] | None, dict[str, str] | None]:
        """(netweave-owned metadata, wanted hosts or None, wanted user metadata or None) from a pool request."""
        if not isinstance(pool, ResourcePool):
            raise InvalidRequest("expected a ResourcePool")
        checked_text(pool.name, "name", required=True)
        checked_text(pool.description, "description")
        checked_text(pool.global_location_id, "global_location_id")
        checked_text(pool.location, "location")
        _unknown_extensions(pool.extensions, DERIVED_POOL_KEYS | {EXT_HOSTS, EXT_METADATA})
        hosts = _host_list(pool.extensions[EXT_HOSTS]) if EXT_HOSTS in pool.extensions else None
        metadata = None
        if EXT_METADATA in pool.extensions:
            metadata = _string_map(pool.extensions[EXT_METADATA], f"extensions.{EXT_METADATA}")
        owned = {mapping.META_DESCRIPTION: pool.description, mapping.META_GLOBAL_LOCATION: pool.global_location_id}
        return owned, hosts, metadata

    def _check_hosts(self, hosts: list[str] | None) -> None:
        if not hosts:
            return
        unknown = sorted(set(hosts) - set(self._compute_hosts()))
        if unknown:
            raise InvalidRequest(
                f"extensions.{EXT_HOSTS}: {unknown[0]!r} is not a compute host of region {self.region}",
                field=f"extensions.{EXT_HOSTS}",
            )

    def _apply_pool(
        self,
        aggregate: dict[str, Any],
        owned: dict[str, str],
        hosts: list[str] | None,
        metadata: dict[str, str] | None,
    ) -> None:
        """Bring an existing aggregate's metadata and hosts to what the request asks."""
        current = dict(aggregate.get("metadata") or {})
        wanted: dict[str, str | None] = {}
        if metadata is not None:
            for key in mapping.user_metadata(current):
                if key not in metadata:
                    wanted[key] = None  # Nova deletes a key set to null
            wanted.update(metadata)
        for key, value in owned.items():
            wanted[key] = value or None
        changes: dict[str, Any] = {
            k: v for k, v in wanted.items() if current.get(k) != v and not (v is None and k not in current)
        }
        compute = self.conn.compute
        name = aggregate["name"]
        if changes:
            with translated(f"setting the metadata of aggregate {name!r}", field=f"extensions.{EXT_METADATA}"):
                compute.set_aggregate_metadata(aggregate["id"], **changes)
        if hosts is None:
            return
        have = set(aggregate.get("hosts") or ())
        for host in sorted(set(hosts) - have):
            with translated(f"adding host {host!r} to aggregate {name!r}", field=f"extensions.{EXT_HOSTS}"):
                compute.add_host_to_aggregate(aggregate["id"], host)
        for host in sorted(have - set(hosts)):
            with translated(f"removing host {host!r} from aggregate {name!r}", field=f"extensions.{EXT_HOSTS}"):
                compute.remove_host_from_aggregate(aggregate["id"], host)

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        """Create a host aggregate (zone = location), then set its metadata and hosts; undone if a step fails."""
        owned, hosts, metadata = self._pool_request(pool)
        if pool.native_id:
            raise InvalidRequest("native_id: Nova assigns aggregate ids", field="native_id")
        self._check_hosts(hosts)
        with translated(f"creating aggregate {pool.name!r}", field="name"):
            created = self.conn.compute.create_aggregate(name=pool.name, availability_zone=pool.location or None)
        aggregate = created.to_dict(computed=False)
        try:
            self._apply_pool(aggregate, owned, hosts, metadata)
        except PluginError:
            self._undo_aggregate(aggregate)
            raise
        return self.get_resource_pool(aggregate["uuid"])

    def _undo_aggregate(self, aggregate: dict[str, Any]) -> None:
        try:
            current = self._aggregate(aggregate["uuid"])
            for host in current.get("hosts") or ():
                self.conn.compute.remove_host_from_aggregate(current["id"], host)
            self.conn.compute.delete_aggregate(current["id"])
        except (PluginError, sdk_exceptions.SDKException):
            logger.exception("openstack IMS %s: could not undo aggregate %s", self.instance_name, aggregate["uuid"])

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Rename, move to another zone (location), replace metadata and hosts when the request names them."""
        if native_id == mapping.UNASSIGNED_POOL:
            raise InvalidRequest("the pool of hosts outside any aggregate is derived; it cannot be changed")
        owned, hosts, metadata = self._pool_request(pool)
        if pool.native_id and pool.native_id != native_id:
            raise InvalidRequest(f"native_id {pool.native_id!r} is not the pool being updated", field="native_id")
        aggregate = self._aggregate(native_id)
        self._check_hosts(hosts)
        if not pool.location and aggregate.get("availability_zone"):
            raise InvalidRequest("Nova cannot remove an aggregate's availability zone: name another", field="location")
        changes: dict[str, Any] = {}
        if pool.name != aggregate["name"]:
            changes["name"] = pool.name
        if pool.location and pool.location != (aggregate.get("availability_zone") or ""):
            changes["availability_zone"] = pool.location
        if changes:
            with translated(f"updating aggregate {aggregate['name']!r}", field="name"):
                self.conn.compute.update_aggregate(aggregate["id"], **changes)
        self._apply_pool(self._aggregate(native_id), owned, hosts, metadata)
        return self.get_resource_pool(native_id)

    def delete_resource_pool(self, native_id: str) -> None:
        if native_id == mapping.UNASSIGNED_POOL:
            raise InvalidRequest("the pool of hosts outside any aggregate is derived; it cannot be deleted")
        aggregate = self._aggregate(native_id)
        if aggregate.get("hosts"):
            raise Conflict(
                f"aggregate {aggregate['name']!r} still holds hosts {sorted(aggregate['hosts'])}: remove them first "
                f"(set extensions.{EXT_HOSTS} to [])"
            )
        with translated(f"deleting aggregate {aggregate['name']!r}"):
            self.conn.compute.delete_aggregate(aggregate["id"])

    # ------------------------------------------------------------------------------------------ resource writes

    def _placement_host(self, pool_id: str, requested: str) -> str:
        """The compute host to boot on: the one the request names (it must be in the pool), else the pool's first."""
        aggregates = self._aggregates()
        if pool_id == mapping.UNASSIGNED_POOL:
            hosts = self._unassigned_hosts(aggregates)
        else:
            hosts = sorted(next((a.get("hosts") or [] for a in aggregates if a["uuid"] == pool_id), None) or [])
            if not any(a["uuid"] == pool_id for a in aggregates):
                raise InvalidRequest(f"no host aggregate {pool_id!r}", field="resource_pool_id")
        if requested:
            if requested not in hosts:
                raise InvalidRequest(
                    f"extensions.{EXT_HOST}: {requested!r} is not a host of the pool", field=f"extensions.{EXT_HOST}"
                )
            return requested
        if not hosts:
            raise InvalidRequest("the pool has no compute host to boot a server on", field="resource_pool_id")
        return hosts[0]

    def create_resource(self, resource: Resource) -> Resource:
        """Boot a server from the flavor (the resource type) and the image named in extensions, on a host of the
        pool, and wait until it is ACTIVE. A server that ends in ERROR is deleted and the boot reported failed."""
        if not isinstance(resource, Resource):
            raise InvalidRequest("expected a Resource")
        if resource.native_id:
            raise InvalidRequest("native_id: Nova assigns server ids", field="native_id")
        if resource.parent_id:
            raise InvalidRequest("Nova servers have no parent resource", field="parent_id")
        ext = resource.extensions
        _unknown_extensions(ext, WRITABLE_RESOURCE_KEYS)
        image = checked_text(ext.get(EXT_IMAGE, ""), f"extensions.{EXT_IMAGE}", required=True)
        name = checked_text(ext.get(EXT_NAME, ""), f"extensions.{EXT_NAME}") or f"netweave-{uuid.uuid4().hex[:8]}"
        user_meta = _string_map(ext.get(EXT_METADATA, {}), f"extensions.{EXT_METADATA}")
        description = checked_text(resource.description, "description")
        asset = checked_text(resource.global_asset_id, "global_asset_id")
        host = self._placement_host(
            resource.resource_pool_id, checked_text(ext.get(EXT_HOST, ""), f"extensions.{EXT_HOST}")
        )
        compute = self.conn.compute
        try:
            with translated(f"reading flavor {resource.resource_type_id!r}", field="resource_type_id"):
                flavor = compute.get_flavor(resource.resource_type_id)
            with translated(f"reading image {image!r}", field=f"extensions.{EXT_IMAGE}"):
                found = self.conn.image.find_image(image, ignore_missing=False)
        except NotFound as exc:  # an unknown flavor or image is the request's fault, not a missing object
            raise InvalidRequest(exc.detail, field=exc.field) from None
        metadata = {**user_meta, mapping.META_POOL: resource.resource_pool_id}
        if asset:
            metadata[mapping.META_ASSET] = asset
        attrs: dict[str, Any] = {
            "name": name,
            "flavor_id": flavor.id,
            "image_id": found.id,
            "networks": "none",
            "metadata": metadata,
            "host": host,
        }
        if description:
            attrs["description"] = description
        with translated(f"booting server {name!r}"):
            server = compute.create_server(**attrs)
        return self._wait_until_built(server.id, name)

    def _wait_until_built(self, server_id: str, name: str) -> Resource:
        deadline = time.monotonic() + self.boot_timeout
        while True:
            with translated(f"waiting for server {name!r}"):
                server = self.conn.compute.get_server(server_id)
            if server.status == "ACTIVE":
                return self.get_resource(server_id)
            if server.status == "ERROR" or time.monotonic() > deadline:
                fault = (server.fault or {}).get("message", "") if isinstance(server.fault, dict) else ""
                reason = fault or f"still {server.status} after {self.boot_timeout:.0f} s"
                self._delete_server_quietly(server_id)
                raise Conflict(f"server {name!r} did not boot: {reason}")
            time.sleep(BOOT_POLL_SECONDS)

    def _delete_server_quietly(self, server_id: str) -> None:
        try:
            self.conn.compute.delete_server(server_id, ignore_missing=True)
        except sdk_exceptions.SDKException:
            logger.exception("openstack IMS %s: could not delete failed server %s", self.instance_name, server_id)

    def delete_resource(self, native_id: str) -> None:
        """Delete the server and wait until Nova answers 404 for it. (Status DELETED, which the SDK's own wait
        accepts, comes before the instance row is marked deleted: until then Nova still lists the server.)"""
        with translated(f"deleting server {native_id!r}"):
            self.conn.compute.delete_server(self.conn.compute.get_server(native_id))
        deadline = time.monotonic() + self.boot_timeout
        while True:
            try:
                with translated(f"waiting for server {native_id!r} to be deleted"):
                    self.conn.compute.get_server(native_id)
            except NotFound:
                return
            if time.monotonic() > deadline:
                raise BackendUnavailable(f"server {native_id!r} is still there {self.boot_timeout:.0f} s after delete")
            time.sleep(BOOT_POLL_SECONDS)
