"""The vSphere IMS plugin: a vCenter's clusters, resource pools, ESXi hosts, VMs and templates, through pyvmomi.

Thin: input checks and vSphere calls here, snapshot -> O2 in mapping.py, the session and the PropertyCollector in
client.py, change detection in watch.py. Reads take one paged RetrievePropertiesEx over a container view: the whole
inventory in a few round trips, whatever its size.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from pyVmomi import vim

from plugins.ims.vsphere import client, mapping
from plugins.ims.vsphere.config import SECRET_FIELDS, VSphereConfig, config_warnings
from plugins.ims.vsphere.watch import PropertyWatch
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, PluginError
from plugins.sdk.ims import (
    Inventory,
    InventoryEvent,
    Resource,
    ResourcePool,
    SnapshotIMSPlugin,
)
from plugins.sdk.validation import checked_text

EXT_PARENT = "vsphere.parentPool"
EXT_CPU = "vsphere.cpuAllocation"
EXT_MEMORY = "vsphere.memoryAllocation"
# Pool extensions derived from vCenter: accepted back unchanged on update, never written.
DERIVED_POOL_KEYS = frozenset(
    {"vsphere.moid", "vsphere.name", "vsphere.datacenter", "vsphere.datacenterId", "vsphere.siteId", "vsphere.kind"}
    | {"vsphere.hostCount"}
)
EXT_VM_NAME = "vsphere.name"
EXT_GUEST = "vsphere.guestId"
EXT_POWER_ON = "vsphere.powerOn"
WRITABLE_RESOURCE_KEYS = frozenset({EXT_VM_NAME, EXT_GUEST, EXT_POWER_ON})
ALLOCATION_KEYS = frozenset({"reservation", "limit", "expandableReservation", "shares"})
SHARE_LEVELS = ("low", "normal", "high")
DEFAULT_GUEST = "otherGuest64"


def _ssl_context(data: Mapping[str, Any]) -> ssl.SSLContext:
    if data["insecureSkipVerify"]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # labs only: config_warnings() makes the admin say so
        return context
    return ssl.create_default_context(cafile=data["caBundle"] or None)


def _unknown_extensions(extensions: Any, allowed: frozenset[str]) -> None:
    if not isinstance(extensions, Mapping):
        raise InvalidRequest("extensions must be an object", field="extensions")
    unknown = sorted(set(extensions) - allowed)
    if unknown:
        raise InvalidRequest(
            f"extensions.{unknown[0]} is not a vSphere setting (known: {', '.join(sorted(allowed))})",
            field=f"extensions.{unknown[0]}",
        )


def _allocation(value: Any, field: str) -> vim.ResourceAllocationInfo:
    """A vSphere allocation (MHz for CPU, MiB for memory) from `{reservation, limit, expandableReservation, shares}`;
    what is left out takes vSphere's defaults (no reservation, unlimited, expandable, normal shares)."""
    value = {} if value is None else value
    if not isinstance(value, Mapping):
        raise InvalidRequest(f"{field} must be an object", field=field)
    unknown = sorted(set(value) - ALLOCATION_KEYS)
    if unknown:
        raise InvalidRequest(f"{field}.{unknown[0]} is not an allocation setting", field=f"{field}.{unknown[0]}")
    reservation, limit = value.get("reservation", 0), value.get("limit", -1)
    if not isinstance(reservation, int) or isinstance(reservation, bool) or reservation < 0:
        raise InvalidRequest(f"{field}.reservation must be a whole number >= 0", field=f"{field}.reservation")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < -1:
        raise InvalidRequest(f"{field}.limit must be a whole number, -1 for unlimited", field=f"{field}.limit")
    if limit != -1 and limit < reservation:
        raise InvalidRequest(f"{field}.limit is below its reservation", field=f"{field}.limit")
    expandable = value.get("expandableReservation", True)
    if not isinstance(expandable, bool):
        raise InvalidRequest(
            f"{field}.expandableReservation must be true or false", field=f"{field}.expandableReservation"
        )
    level = value.get("shares") or "normal"
    if level not in SHARE_LEVELS:
        raise InvalidRequest(f"{field}.shares must be one of {', '.join(SHARE_LEVELS)}", field=f"{field}.shares")
    return vim.ResourceAllocationInfo(
        reservation=reservation,
        limit=limit,
        expandableReservation=expandable,
        shares=vim.SharesInfo(level=level, shares=0),
    )


class VSphereIMSPlugin(SnapshotIMSPlugin):
    """One vCenter (optionally one of its datacenters): see README.md for the mapping and the capabilities."""

    name = "vsphere"
    version = "1.0.0"
    config_class = VSphereConfig
    secret_fields = SECRET_FIELDS
    not_found_in = "vCenter"

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._connection: client.Connection | None = None
        self._settings: dict[str, Any] = {}
        self.last_watch: PropertyWatch | None = None

    # ------------------------------------------------------------------------------------------ lifecycle

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.RESOURCE_POOL_MANAGEMENT,
                Capability.RESOURCE_MANAGEMENT,
                Capability.RESOURCE_TYPE_DISCOVERY,
                Capability.REALTIME_EVENTS,
            }
        )

    @classmethod
    def config_warnings(cls, config: Mapping[str, Any]) -> list[str]:
        return config_warnings(dict(config))

    def initialize(self, config: Mapping[str, Any]) -> None:
        """Validate and prepare the session. Nothing is sent yet: a wrong password shows in health()."""
        data = self.validated_config(config)
        self.close()
        self._settings = data
        self._connection = self._new_connection()

    def _new_connection(self) -> client.Connection:
        data = self._settings
        if not data:
            raise BackendUnavailable(f"vsphere IMS {self.instance_name} is not initialized")
        return client.Connection(
            data["vcenterUrl"],
            data["username"],
            data["password"],
            ssl_context=_ssl_context(data),
            timeout=data["requestTimeoutSeconds"],
        )

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    @property
    def connection(self) -> client.Connection:
        if self._connection is None:
            raise BackendUnavailable(f"vsphere IMS {self.instance_name} is not initialized")
        return self._connection

    def _about(self, connection: client.Connection) -> mapping.About:
        return connection.about(self._settings["ocloudId"], self._settings["datacenter"])

    def health(self) -> HealthStatus:
        try:
            about = self._about(self.connection)
            user = self.connection.call(
                "checking the session", lambda content: content.sessionManager.currentSession.userName
            )
        except PluginError as exc:
            prefix = "" if exc.detail.startswith("authentication failed") else "unreachable: "
            return HealthStatus(False, f"{prefix}{exc.detail}")
        message = f"{about.full_name}, logged in as {user}"
        if self._settings.get("insecureSkipVerify"):
            message += "; TLS certificate NOT verified (insecureSkipVerify: labs only)"
        details = {"instanceUuid": about.instance_uuid, "version": about.version}
        if about.ocloud_id:
            details["ocloudId"] = about.ocloud_id
        return HealthStatus(True, message, details)

    # ------------------------------------------------------------------------------------------ reads

    def snapshot(self) -> mapping.Snapshot:
        return self.connection.call("reading the vSphere inventory", client.retrieve)

    def collect_inventory(self) -> Inventory:
        return mapping.derive(self.snapshot(), self._about(self.connection))

    # ------------------------------------------------------------------------------------------ helpers for writes

    def _ref(self, snapshot: mapping.Snapshot, moid: str) -> Any:
        """A pyVmomi reference of the right type for a managed object id of the snapshot."""
        stub = self.connection.si._stub
        return getattr(vim, snapshot[moid]["type"])(moid, stub)

    def _set_attributes(self, snapshot: mapping.Snapshot, moid: str, values: Mapping[str, str]) -> None:
        """Set netweave's custom attributes on an entity, defining them in vCenter on first use."""
        existing = {}
        for obj in snapshot.values():
            if obj["type"] == mapping.FIELDS_MANAGER:
                existing = {f["name"]: f["key"] for f in obj["props"].get("field") or ()}
        current = dict(snapshot[moid]["props"].get("customValue") or {})
        entity = self._ref(snapshot, moid)

        def apply(content: Any) -> None:
            manager = content.customFieldsManager
            for name, value in values.items():
                key = existing.get(name)
                if key is None:
                    key = manager.AddCustomFieldDef(name=name, moType=vim.ManagedEntity).key
                    existing[name] = key
                if current.get(str(key), "") != value:
                    manager.SetField(entity=entity, key=key, value=value)

        self.connection.call(f"setting the attributes of {moid}", apply)

    def _pool_texts(self, pool: ResourcePool, datacenter: str) -> dict[str, str]:
        checked_text(pool.name, "name", required=True)
        return {
            mapping.ATTR_DESCRIPTION: checked_text(pool.description, "description"),
            mapping.ATTR_GLOBAL_LOCATION: checked_text(pool.global_location_id, "global_location_id"),
            mapping.ATTR_LOCATION: "" if pool.location == datacenter else checked_text(pool.location, "location"),
        }

    def _default_parent(self, snapshot: mapping.Snapshot) -> str:
        clusters = [p for p in self.list_pools_from(snapshot) if p.extensions.get("vsphere.kind") == "cluster"]
        if len(clusters) != 1:
            raise InvalidRequest(
                f"extensions.{EXT_PARENT} is required: name the cluster or resource pool to create the pool in "
                f"({len(clusters)} clusters to choose from)",
                field=f"extensions.{EXT_PARENT}",
            )
        return clusters[0].native_id

    def list_pools_from(self, snapshot: mapping.Snapshot) -> list[ResourcePool]:
        return list(mapping.derive(snapshot, self._about(self.connection)).resource_pools or ())

    def _vsphere_pool(self, snapshot: mapping.Snapshot, pool_id: str, field: str) -> Any:
        """The vSphere resource pool behind an O2 pool: a cluster's root pool, or the resource pool itself."""
        if pool_id not in {p.native_id for p in self.list_pools_from(snapshot)}:
            raise InvalidRequest(f"{field}: no pool {pool_id!r} in vCenter", field=field)
        obj = snapshot[pool_id]
        if obj["type"] in (mapping.CLUSTER, mapping.COMPUTE_RESOURCE):
            return self._ref(snapshot, obj["props"]["resourcePool"])
        return self._ref(snapshot, pool_id)

    # ------------------------------------------------------------------------------------------ pool writes

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        """A vSphere resource pool under a cluster or another pool, with reservations, limits and shares."""
        if not isinstance(pool, ResourcePool):
            raise InvalidRequest("expected a ResourcePool")
        if pool.native_id:
            raise InvalidRequest("native_id: vCenter assigns resource pool ids", field="native_id")
        _unknown_extensions(pool.extensions, DERIVED_POOL_KEYS | {EXT_PARENT, EXT_CPU, EXT_MEMORY})
        snapshot = self.snapshot()
        parent_id = pool.extensions.get(EXT_PARENT) or self._default_parent(snapshot)
        parent = self._vsphere_pool(snapshot, str(parent_id), f"extensions.{EXT_PARENT}")
        datacenter = mapping.View(snapshot).datacenter(str(parent_id))[1]
        texts = self._pool_texts(pool, datacenter)
        spec = vim.ResourceConfigSpec(
            cpuAllocation=_allocation(pool.extensions.get(EXT_CPU), f"extensions.{EXT_CPU}"),
            memoryAllocation=_allocation(pool.extensions.get(EXT_MEMORY), f"extensions.{EXT_MEMORY}"),
        )
        created = self.connection.call(
            f"creating resource pool {pool.name!r}",
            lambda content: parent.CreateResourcePool(name=pool.name, spec=spec),
            field="name",
        )
        snapshot = self.snapshot()
        try:
            self._set_attributes(snapshot, created._moId, {k: v for k, v in texts.items() if v})
        except PluginError:
            self._destroy(created, f"removing resource pool {pool.name!r} again")
            raise
        return self.get_resource_pool(created._moId)

    def _destroy(self, entity: Any, doing: str) -> None:
        task = self.connection.call(doing, lambda content: entity.Destroy_Task())
        client.wait_for_task(task, doing, self._settings["taskTimeoutSeconds"])

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Rename, set reservations/limits/shares (resource pools) and the O2 texts (kept as custom attributes)."""
        if not isinstance(pool, ResourcePool):
            raise InvalidRequest("expected a ResourcePool")
        if pool.native_id and pool.native_id != native_id:
            raise InvalidRequest(f"native_id {pool.native_id!r} is not the pool being updated", field="native_id")
        current = self.get_resource_pool(native_id)
        _unknown_extensions(pool.extensions, DERIVED_POOL_KEYS | {EXT_PARENT, EXT_CPU, EXT_MEMORY})
        snapshot = self.snapshot()
        texts = self._pool_texts(pool, str(current.extensions.get("vsphere.datacenter", "")))
        entity = self._ref(snapshot, native_id)
        is_cluster = current.extensions.get("vsphere.kind") != "resourcePool"
        parent = pool.extensions.get(EXT_PARENT, current.extensions.get(EXT_PARENT))
        if parent != current.extensions.get(EXT_PARENT):
            raise InvalidRequest(
                f"extensions.{EXT_PARENT}: moving a pool is not supported", field=f"extensions.{EXT_PARENT}"
            )
        if is_cluster:
            if EXT_CPU in pool.extensions or EXT_MEMORY in pool.extensions:
                raise InvalidRequest(
                    f"extensions.{EXT_CPU}: allocations are set on resource pools, not on clusters or hosts",
                    field=f"extensions.{EXT_CPU}",
                )
            if pool.name != current.name:
                doing = f"renaming {current.name!r}"
                task = self.connection.call(doing, lambda content: entity.Rename_Task(newName=pool.name), field="name")
                client.wait_for_task(task, doing, self._settings["taskTimeoutSeconds"], field="name")
        else:
            # An allocation the request leaves out keeps its current value (vSphere wants both in a spec).
            spec = vim.ResourceConfigSpec(
                cpuAllocation=_allocation(
                    pool.extensions.get(EXT_CPU, current.extensions[EXT_CPU]), f"extensions.{EXT_CPU}"
                ),
                memoryAllocation=_allocation(
                    pool.extensions.get(EXT_MEMORY, current.extensions[EXT_MEMORY]), f"extensions.{EXT_MEMORY}"
                ),
            )
            self.connection.call(
                f"updating resource pool {current.name!r}",
                lambda content: entity.UpdateConfig(name=pool.name if pool.name != current.name else None, config=spec),
                field="name",
            )
        self._set_attributes(self.snapshot(), native_id, texts)
        return self.get_resource_pool(native_id)

    def delete_resource_pool(self, native_id: str) -> None:
        """Delete an empty resource pool. vCenter would move a pool's VMs and pools up to its parent: netweave
        refuses instead (Conflict), so nothing moves without the caller saying so. Clusters are not deleted."""
        pool = self.get_resource_pool(native_id)
        if pool.extensions.get("vsphere.kind") != "resourcePool":
            raise InvalidRequest(
                f"{pool.name!r} is a {pool.extensions.get('vsphere.kind')}: only resource pools are deleted"
            )
        inventory = self.collect_inventory()
        holding = sorted(
            r.extensions.get("vsphere.name", r.native_id)
            for r in inventory.resources or ()
            if r.resource_pool_id == native_id
        )
        children = sorted(p.name for p in inventory.resource_pools or () if p.extensions.get(EXT_PARENT) == native_id)
        if holding or children:
            raise Conflict(
                f"resource pool {pool.name!r} still holds {', '.join([*children, *holding][:5])}: empty it first"
            )
        self._destroy(self._ref(self.snapshot(), native_id), f"deleting resource pool {pool.name!r}")

    # ------------------------------------------------------------------------------------------ resource writes

    def create_resource(self, resource: Resource) -> Resource:
        """A VM in the pool: a new one of the type's shape (vCPUs, memory), or a clone of the type's template."""
        if not isinstance(resource, Resource):
            raise InvalidRequest("expected a Resource")
        if resource.native_id:
            raise InvalidRequest("native_id: vCenter assigns VM ids", field="native_id")
        ext = resource.extensions
        _unknown_extensions(ext, WRITABLE_RESOURCE_KEYS)
        if checked_text(resource.global_asset_id, "global_asset_id"):
            raise InvalidRequest("global_asset_id: vSphere has no asset id for a VM", field="global_asset_id")
        name = checked_text(ext.get(EXT_VM_NAME, ""), f"extensions.{EXT_VM_NAME}") or f"netweave-{uuid.uuid4().hex[:8]}"
        guest = checked_text(ext.get(EXT_GUEST, ""), f"extensions.{EXT_GUEST}") or DEFAULT_GUEST
        power_on = ext.get(EXT_POWER_ON, False)
        if not isinstance(power_on, bool):
            raise InvalidRequest(f"extensions.{EXT_POWER_ON} must be true or false", field=f"extensions.{EXT_POWER_ON}")
        description = checked_text(resource.description, "description", max_length=4096)
        snapshot = self.snapshot()
        rp = self._vsphere_pool(snapshot, resource.resource_pool_id, "resource_pool_id")
        owner = snapshot[rp._moId]["props"]["owner"]
        host = None
        if resource.parent_id:
            if resource.parent_id not in (snapshot[owner]["props"].get("host") or ()):
                raise InvalidRequest("parent_id: not an ESXi host of the pool's cluster", field="parent_id")
            host = self._ref(snapshot, resource.parent_id)
        datastores = snapshot[owner]["props"].get("datastore") or []
        if not datastores:
            raise InvalidRequest("resource_pool_id: the pool's cluster has no datastore", field="resource_pool_id")
        datastore = vim.Datastore(datastores[0], self.connection.si._stub)
        folder = self._ref(snapshot, mapping.View(snapshot).datacenter(owner)[0]).vmFolder
        type_id = resource.resource_type_id
        shape = mapping.parse_shape(type_id)
        doing = f"creating VM {name!r}"
        if shape is not None:
            config = vim.vm.ConfigSpec(
                name=name,
                numCPUs=shape[0],
                memoryMB=shape[1],
                guestId=guest,
                annotation=description,
                files=vim.vm.FileInfo(
                    vmPathName=f"[{self.connection.call('reading the datastore', lambda c: datastore.name)}]"
                ),
            )
            task = self.connection.call(doing, lambda content: folder.CreateVM_Task(config=config, pool=rp, host=host))
        elif type_id.startswith(mapping.TEMPLATE_PREFIX) and type_id[len(mapping.TEMPLATE_PREFIX) :] in snapshot:
            template = self._ref(snapshot, type_id[len(mapping.TEMPLATE_PREFIX) :])
            spec = vim.vm.CloneSpec(
                location=vim.vm.RelocateSpec(pool=rp, datastore=datastore, host=host),
                powerOn=False,
                template=False,
            )
            task = self.connection.call(
                doing, lambda content: template.CloneVM_Task(folder=folder, name=name, spec=spec)
            )
        else:
            raise InvalidRequest(
                f"resource_type_id: {type_id!r} is not a VM shape or template (ESXi hosts are added in vCenter)",
                field="resource_type_id",
            )
        vm = client.wait_for_task(task, doing, self._settings["taskTimeoutSeconds"])
        if shape is None and description:  # a clone keeps the template's annotation: set the caller's
            annotation = vim.vm.ConfigSpec(annotation=description)
            self._task(lambda: vm.ReconfigVM_Task(spec=annotation), f"describing VM {name!r}")
        if power_on:
            self._task(vm.PowerOnVM_Task, f"powering on VM {name!r}")
        return self.get_resource(vm._moId)

    def _task(self, start: Callable[[], Any], doing: str) -> None:
        task = self.connection.call(doing, lambda content: start())
        client.wait_for_task(task, doing, self._settings["taskTimeoutSeconds"])

    def delete_resource(self, native_id: str) -> None:
        """Power the VM off when it runs, then delete it from disk."""
        resource = self.get_resource(native_id)
        if resource.extensions.get("vsphere.kind") != "virtualMachine":
            raise InvalidRequest("ESXi hosts are removed in vCenter, not through netweave")
        vm = self._ref(self.snapshot(), native_id)
        name = resource.extensions.get("vsphere.name", native_id)
        if resource.extensions.get("vsphere.powerState") == "poweredOn":
            self._task(vm.PowerOffVM_Task, f"powering off VM {name!r}")
        self._task(vm.Destroy_Task, f"deleting VM {name!r}")

    # ------------------------------------------------------------------------------------------ realtime events

    def watch(
        self,
        on_event: Callable[[InventoryEvent], None],
        stop: Callable[[], bool],
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        """Follow vCenter's PropertyCollector (WaitForUpdatesEx) on a session of its own: see watch.py."""
        self.last_watch = PropertyWatch(self._new_connection, self._about)
        self.last_watch.run(on_event, stop, on_ready)
