"""The IMS plugin contract (the seed's `IMSPlugin`) and its O2 data classes.

Identifiers here are *native* ids: what the backend calls the object (a MachineSet name, an aggregate id).
netweave turns them into stable O2 UUIDs (uuid5 of plugin instance + kind + native id) when it reconciles,
so a plugin never invents UUIDs and references between objects stay native too (a Resource names its pool
and type by their native ids).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plugins.sdk.base import Capability, Plugin, PluginCategory
from plugins.sdk.errors import NotFound, NotSupported


class ResourceKind(StrEnum):
    UNDEFINED = "UNDEFINED"
    PHYSICAL = "PHYSICAL"
    LOGICAL = "LOGICAL"


class ResourceClass(StrEnum):
    UNDEFINED = "UNDEFINED"
    COMPUTE = "COMPUTE"
    NETWORKING = "NETWORKING"
    STORAGE = "STORAGE"


@dataclass(frozen=True)
class DeploymentManager:
    native_id: str
    name: str
    description: str = ""
    service_uri: str = ""
    supported_locations: tuple[str, ...] = ()
    capabilities: Mapping[str, Any] = field(default_factory=dict)
    capacity: Mapping[str, Any] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Location:
    """An R005 location: where sites are. `global_location_id` is both its O2 identifier and its native id
    (what the backend calls the place: an RFC 5870 geo URI, a region name...). `coordinate` is a GeoJSON Point
    ({"type": "Point", "coordinates": [longitude, latitude]}); `civic_address` RFC 4776 elements
    ({"caType": 3, "caValue": "Paris"})."""

    global_location_id: str
    name: str
    description: str = ""
    coordinate: Mapping[str, Any] | None = None
    civic_address: tuple[Mapping[str, Any], ...] = ()
    address: str = ""
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def native_id(self) -> str:
        return self.global_location_id


@dataclass(frozen=True)
class OCloudSite:
    """An R005 O-Cloud site: a place holding resource pools (a pool names its site by `site_id`)."""

    native_id: str
    name: str
    description: str = ""
    global_location_id: str = ""
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResourcePool:
    native_id: str
    name: str
    description: str = ""
    global_location_id: str = ""
    location: str = ""
    extensions: Mapping[str, Any] = field(default_factory=dict)
    site_id: str | None = None  # R005: the native id of the pool's OCloudSite, when the plugin lists sites


@dataclass(frozen=True)
class ResourceType:
    native_id: str
    name: str
    description: str = ""
    vendor: str = ""
    model: str = ""
    version: str = ""
    resource_kind: ResourceKind = ResourceKind.UNDEFINED
    resource_class: ResourceClass = ResourceClass.UNDEFINED
    alarm_dictionary: Mapping[str, Any] | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    native_id: str
    resource_type_id: str
    resource_pool_id: str
    description: str = ""
    global_asset_id: str = ""
    parent_id: str | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()  # R005
    groups: tuple[str, ...] = ()  # R005


@dataclass(frozen=True)
class ListFilter:
    """Narrowing hints for list calls. Plugins may ignore them; netweave filters again in the database."""

    resource_pool_id: str | None = None
    resource_type_id: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """A native backend subscription (only for plugins whose backend supports them)."""

    subscription_id: str
    callback: str
    filter: str = ""


@dataclass(frozen=True)
class InventoryEvent:
    """One object change observed natively (a watch event). `obj` is None on deletion."""

    kind: str  # "deploymentManager", "resourcePool", "resourceType", "resource", "location", "oCloudSite"
    native_id: str
    obj: DeploymentManager | ResourcePool | ResourceType | Resource | Location | OCloudSite | None


@dataclass(frozen=True)
class Inventory:
    """Everything one plugin instance reports, as `sync` consumes it. A kind set to None was not listed
    (the plugin does not provide it) and is left untouched, as opposed to an empty list meaning "none".

    `fingerprint`: for backends without native events or ETags, a digest of what the plugin read (the same
    digest for the same backend state). When it equals the one of the last reconciled inventory and nothing
    else changed the instance's rows since, the sync skips the reconcile. Empty: always reconcile."""

    deployment_managers: Sequence[DeploymentManager] | None
    resource_pools: Sequence[ResourcePool] | None
    resource_types: Sequence[ResourceType] | None
    resources: Sequence[Resource] | None
    # R005, optional so that plugins and callers written before them keep working (None: not provided).
    locations: Sequence[Location] | None = None
    sites: Sequence[OCloudSite] | None = None
    fingerprint: str = ""


class IMSPlugin(Plugin):
    """Infrastructure management. Reads are mandatory; writes default to NotSupported."""

    category = PluginCategory.IMS

    # -- deployment managers
    def list_deployment_managers(self, filter: ListFilter | None = None) -> list[DeploymentManager]:
        raise NotSupported(f"{self.name} does not list deployment managers")

    def get_deployment_manager(self, native_id: str) -> DeploymentManager:
        raise NotSupported(f"{self.name} does not read deployment managers")

    def deployment_manager_profile(self, native_id: str, profile: str) -> Mapping[str, Any]:
        """How to reach a deployment manager through a DMS profile (`native_k8sapi`, `sol018`, ...): the O2
        `extensions.profileData`. It is a credential: netweave serves it only to callers allowed to deploy and
        never logs it. A profile the plugin does not offer raises NotSupported (the API answers 404)."""
        raise NotSupported(f"{self.name} offers no deployment manager profile {profile!r}")

    # -- resource pools
    def list_resource_pools(self, filter: ListFilter | None = None) -> list[ResourcePool]:
        raise NotSupported(f"{self.name} does not list resource pools")

    def get_resource_pool(self, native_id: str) -> ResourcePool:
        raise NotSupported(f"{self.name} does not read resource pools")

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        raise NotSupported(f"{self.name} cannot create resource pools")

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        raise NotSupported(f"{self.name} cannot update resource pools")

    def delete_resource_pool(self, native_id: str) -> None:
        raise NotSupported(f"{self.name} cannot delete resource pools")

    # -- resources
    def list_resources(self, filter: ListFilter | None = None) -> list[Resource]:
        raise NotSupported(f"{self.name} does not list resources")

    def get_resource(self, native_id: str) -> Resource:
        raise NotSupported(f"{self.name} does not read resources")

    def create_resource(self, resource: Resource) -> Resource:
        raise NotSupported(f"{self.name} cannot create resources")

    def delete_resource(self, native_id: str) -> None:
        raise NotSupported(f"{self.name} cannot delete resources")

    # -- resource types
    def list_resource_types(self, filter: ListFilter | None = None) -> list[ResourceType]:
        raise NotSupported(f"{self.name} does not discover resource types")

    def get_resource_type(self, native_id: str) -> ResourceType:
        raise NotSupported(f"{self.name} does not discover resource types")

    # -- R005 locations and O-Cloud sites (docs/decisions/0007-r005-locations-and-sites.md)
    def list_locations(self) -> list[Location]:
        """Where the backend's sites are. A plugin whose backend knows no places keeps this default: it does not
        provide locations, and pools keep only their R003 `globalLocationId`/`location`."""
        raise NotSupported(f"{self.name} does not list locations")

    def list_sites(self) -> list[OCloudSite]:
        """The backend's sites; pools name theirs by `ResourcePool.site_id`."""
        raise NotSupported(f"{self.name} does not list O-Cloud sites")

    # -- native subscriptions and events
    def supports_native_subscriptions(self) -> bool:
        return Capability.REALTIME_EVENTS in self.capabilities()

    def subscribe(self, subscription: Subscription) -> None:
        raise NotSupported(f"{self.name} has no native subscriptions")

    def unsubscribe(self, subscription_id: str) -> None:
        raise NotSupported(f"{self.name} has no native subscriptions")

    def watch(
        self,
        on_event: Callable[[InventoryEvent], None],
        stop: Callable[[], bool],
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        """Block, calling `on_event` for each native change, until `stop()` is true.

        Once the watch is established (its starting point taken), call `on_ready()` once, before delivering
        events: every change made after that point must reach `on_event`. netweave relists inside `on_ready`,
        so nothing that happens between the relist and the first event is lost."""
        raise NotSupported(f"{self.name} has no realtime events")

    # -- the whole inventory, as sync consumes it
    def collect_inventory(self) -> Inventory:
        """List every kind the plugin provides. A kind whose list raises NotSupported is reported as None."""

        def attempt(lister: Callable[[], list[Any]]) -> list[Any] | None:
            try:
                return lister()
            except NotSupported:
                return None

        return Inventory(
            deployment_managers=attempt(self.list_deployment_managers),
            resource_pools=attempt(self.list_resource_pools),
            resource_types=attempt(self.list_resource_types),
            resources=attempt(self.list_resources),
            locations=attempt(self.list_locations),
            sites=attempt(self.list_sites),
        )


class SnapshotIMSPlugin(IMSPlugin):
    """An IMS plugin that reads its backend whole: it implements `collect_inventory()` (one consistent snapshot,
    as the sync stores it), and every list or get is answered from that snapshot. So list, get and sync always
    agree (the contract kit checks it), and a plugin writes its backend reads once instead of once per kind.

    `not_found_in` ends NotFound messages ("no resource pool 'x' in vCenter"); `native_nouns` renames a kind in
    them in the backend's words ({"resource pool": "resource group"})."""

    not_found_in: str = ""
    native_nouns: Mapping[str, str] = {}

    def collect_inventory(self) -> Inventory:
        raise NotImplementedError

    def list_deployment_managers(self, filter: ListFilter | None = None) -> list[DeploymentManager]:
        return list(self.collect_inventory().deployment_managers or ())

    def list_resource_pools(self, filter: ListFilter | None = None) -> list[ResourcePool]:
        pools = list(self.collect_inventory().resource_pools or ())
        if filter and filter.resource_pool_id:
            pools = [p for p in pools if p.native_id == filter.resource_pool_id]
        return pools

    def list_resource_types(self, filter: ListFilter | None = None) -> list[ResourceType]:
        types = list(self.collect_inventory().resource_types or ())
        if filter and filter.resource_type_id:
            types = [t for t in types if t.native_id == filter.resource_type_id]
        return types

    def list_resources(self, filter: ListFilter | None = None) -> list[Resource]:
        resources = list(self.collect_inventory().resources or ())
        if filter and filter.resource_pool_id:
            resources = [r for r in resources if r.resource_pool_id == filter.resource_pool_id]
        if filter and filter.resource_type_id:
            resources = [r for r in resources if r.resource_type_id == filter.resource_type_id]
        return resources

    def list_locations(self) -> list[Location]:
        found = self.collect_inventory().locations
        if found is None:
            raise NotSupported(f"{self.name} does not list locations")
        return list(found)

    def list_sites(self) -> list[OCloudSite]:
        found = self.collect_inventory().sites
        if found is None:
            raise NotSupported(f"{self.name} does not list O-Cloud sites")
        return list(found)

    def _find(self, objects: Sequence[Any], native_id: str, kind: str) -> Any:
        for obj in objects:
            if obj.native_id == native_id:
                return obj
        where = f" in {self.not_found_in}" if self.not_found_in else ""
        raise NotFound(f"no {self.native_nouns.get(kind, kind)} {native_id!r}{where}")

    def get_deployment_manager(self, native_id: str) -> DeploymentManager:
        return self._find(self.list_deployment_managers(), native_id, "deployment manager")

    def get_resource_pool(self, native_id: str) -> ResourcePool:
        return self._find(self.list_resource_pools(), native_id, "resource pool")

    def get_resource_type(self, native_id: str) -> ResourceType:
        return self._find(self.list_resource_types(), native_id, "resource type")

    def get_resource(self, native_id: str) -> Resource:
        return self._find(self.list_resources(), native_id, "resource")
