"""The IMS plugin contract kit: one pytest suite every IMS plugin's tests run against their real backend.

Use it from a plugin's test module::

    from plugins.testing.ims import IMSPluginContract

    class TestMyBackendContract(IMSPluginContract):
        @pytest.fixture
        def ims_plugin(self, my_backend):            # an initialized plugin on a quiescent backend
            plugin = MyPlugin("contract")
            plugin.initialize({...})
            yield plugin
            plugin.close()

        @pytest.fixture
        def plugin_instance(self, db, my_backend):   # a saved PluginInstance for the same backend
            return PluginInstance.objects.create(name="contract", category="ims", plugin_type="mine", config={...})

What it checks: native ids are stable across two collections; every object carries the O2 fields with the
right types and its references resolve; list and get agree and an unknown id is NotFound; each declared
capability works end to end and each undeclared one raises NotSupported; and, through netweave itself,
O2 UUIDs are stable across two syncs.

Optional overrides: `new_pool` (the ResourcePool the pool lifecycle test creates), `new_resource` (the
Resource the resource lifecycle test creates), `trigger_change` (a callable that makes the backend change
something and returns the native ids it touched, for the realtime-events test), and the class attributes
`sample_size` and `watch_timeout`. The backend must not change by itself while the kit runs (disable churn).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

import orjson
import pytest

from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import NotFound, NotSupported
from plugins.sdk.ims import (
    DeploymentManager,
    IMSPlugin,
    Inventory,
    InventoryEvent,
    Location,
    OCloudSite,
    Resource,
    ResourceClass,
    ResourceKind,
    ResourcePool,
    ResourceType,
)

IMS_CAPABILITIES = frozenset(
    {
        Capability.RESOURCE_POOL_MANAGEMENT,
        Capability.RESOURCE_MANAGEMENT,
        Capability.RESOURCE_TYPE_DISCOVERY,
        Capability.REALTIME_EVENTS,
    }
)
MAX_NATIVE_ID_LENGTH = 255  # inventory.models.InventoryObject.native_id
KINDS = ("deployment_managers", "resource_pools", "resource_types", "resources", "locations", "sites")
ALARM_DICTIONARY_FIELDS = (
    "alarmDictionaryVersion",
    "alarmDictionarySchemaVersion",
    "entityType",
    "vendor",
    "managementInterfaceId",
    "pkNotificationField",
    "alarmDefinition",
)
ALARM_DEFINITION_FIELDS = (
    "alarmDefinitionId",
    "alarmName",
    "alarmLastChange",
    "alarmChangeType",
    "alarmDescription",
    "proposedRepairActions",
    "clearingType",
    "alarmAdditionalFields",
)

Listed = DeploymentManager | ResourcePool | ResourceType | Resource | Location | OCloudSite


# ---------------------------------------------------------------------------------------------- checks


def _is_json(value: Any) -> str | None:
    """None if `value` encodes as JSON (stdlib, strict, and orjson), else why not."""
    try:
        json.dumps(value, allow_nan=False)
        orjson.dumps(value)  # netweave renders with orjson: what it cannot encode would break the API
    except (TypeError, ValueError, orjson.JSONEncodeError) as exc:
        return str(exc)
    return None


def _check_str(errors: list[str], where: str, field: str, value: Any, *, required: bool = False) -> None:
    if not isinstance(value, str):
        errors.append(f"{where}: {field} is {type(value).__name__}, not str")
    elif required and not value:
        errors.append(f"{where}: {field} is empty")


def _check_object(errors: list[str], where: str, field: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        errors.append(f"{where}: {field} is {type(value).__name__}, not a mapping")
        return
    bad_keys = [k for k in value if not isinstance(k, str)]
    if bad_keys:
        errors.append(f"{where}: {field} has non-string keys {bad_keys[:3]!r}")
    problem = _is_json(dict(value))
    if problem:
        errors.append(f"{where}: {field} is not JSON-serializable: {problem}")


def _check_native_id(errors: list[str], where: str, field: str, value: Any) -> None:
    _check_str(errors, where, field, value, required=True)
    if isinstance(value, str) and len(value) > MAX_NATIVE_ID_LENGTH:
        errors.append(f"{where}: {field} is longer than {MAX_NATIVE_ID_LENGTH} characters")


def _check_alarm_dictionary(errors: list[str], where: str, value: Any) -> None:
    if value is None:
        return
    _check_object(errors, where, "alarm_dictionary", value)
    if not isinstance(value, Mapping):
        return
    for name in ALARM_DICTIONARY_FIELDS:
        if name not in value:
            errors.append(f"{where}: alarm_dictionary lacks {name}")
    definitions = value.get("alarmDefinition", [])
    if not isinstance(definitions, list | tuple):
        errors.append(f"{where}: alarm_dictionary.alarmDefinition is not an array")
        return
    for i, definition in enumerate(definitions):
        if not isinstance(definition, Mapping):
            errors.append(f"{where}: alarmDefinition[{i}] is not an object")
            continue
        for name in ALARM_DEFINITION_FIELDS:
            if name not in definition:
                errors.append(f"{where}: alarmDefinition[{i}] lacks {name}")
        if definition.get("alarmChangeType", "ADDED") not in ("ADDED", "DELETED", "MODIFIED"):
            errors.append(f"{where}: alarmDefinition[{i}].alarmChangeType is {definition.get('alarmChangeType')!r}")
        if definition.get("clearingType", "AUTOMATIC") not in ("AUTOMATIC", "MANUAL"):
            errors.append(f"{where}: alarmDefinition[{i}].clearingType is {definition.get('clearingType')!r}")


def _enum_ok(enum: type[ResourceKind] | type[ResourceClass], value: Any) -> bool:
    return isinstance(value, str) and value in {member.value for member in enum}


def check_o2_fields(obj: Listed) -> list[str]:
    """Every problem with one listed object's O2 fields (empty when it is well formed)."""
    errors: list[str] = []
    where = f"{type(obj).__name__} {getattr(obj, 'native_id', '?')!r}"
    _check_native_id(errors, where, "native_id", obj.native_id)
    _check_object(errors, where, "extensions", obj.extensions)
    if isinstance(obj, DeploymentManager):
        _check_str(errors, where, "name", obj.name, required=True)
        _check_str(errors, where, "description", obj.description)
        _check_str(errors, where, "service_uri", obj.service_uri)
        if not isinstance(obj.supported_locations, tuple | list) or not all(
            isinstance(x, str) for x in obj.supported_locations
        ):
            errors.append(f"{where}: supported_locations is not a sequence of strings")
        _check_object(errors, where, "capabilities", obj.capabilities)
        _check_object(errors, where, "capacity", obj.capacity)
    elif isinstance(obj, ResourcePool):
        _check_str(errors, where, "name", obj.name, required=True)
        for name in ("description", "global_location_id", "location"):
            _check_str(errors, where, name, getattr(obj, name))
        if obj.site_id is not None:
            _check_native_id(errors, where, "site_id", obj.site_id)
    elif isinstance(obj, Location):
        _check_str(errors, where, "name", obj.name, required=True)
        for name in ("description", "address"):
            _check_str(errors, where, name, getattr(obj, name))
        if obj.coordinate is not None:
            _check_object(errors, where, "coordinate", obj.coordinate)
        if not isinstance(obj.civic_address, tuple | list) or not all(
            isinstance(x, Mapping) for x in obj.civic_address
        ):
            errors.append(f"{where}: civic_address is not a sequence of objects")
    elif isinstance(obj, OCloudSite):
        _check_str(errors, where, "name", obj.name, required=True)
        for name in ("description", "global_location_id"):
            _check_str(errors, where, name, getattr(obj, name))
    elif isinstance(obj, ResourceType):
        _check_str(errors, where, "name", obj.name, required=True)
        for name in ("description", "vendor", "model", "version"):
            _check_str(errors, where, name, getattr(obj, name))
        if not _enum_ok(ResourceKind, obj.resource_kind):
            errors.append(
                f"{where}: resource_kind {obj.resource_kind!r} is not one of {[k.value for k in ResourceKind]}"
            )
        if not _enum_ok(ResourceClass, obj.resource_class):
            errors.append(
                f"{where}: resource_class {obj.resource_class!r} is not one of {[c.value for c in ResourceClass]}"
            )
        _check_alarm_dictionary(errors, where, obj.alarm_dictionary)
    elif isinstance(obj, Resource):
        _check_native_id(errors, where, "resource_type_id", obj.resource_type_id)
        _check_native_id(errors, where, "resource_pool_id", obj.resource_pool_id)
        _check_str(errors, where, "description", obj.description)
        _check_str(errors, where, "global_asset_id", obj.global_asset_id)
        if obj.parent_id is not None:
            _check_native_id(errors, where, "parent_id", obj.parent_id)
        for name in ("tags", "groups"):
            value = getattr(obj, name)
            if not isinstance(value, tuple | list) or not all(isinstance(x, str) for x in value):
                errors.append(f"{where}: {name} is not a sequence of strings")
    else:
        errors.append(f"{where}: not an SDK inventory object")
    return errors


def check_references(inventory: Inventory) -> list[str]:
    """Resources name listed pools, listed types (when types are listed) and listed parents, without cycles."""
    errors: list[str] = []
    pools = {p.native_id for p in inventory.resource_pools or ()}
    types = {t.native_id for t in inventory.resource_types} if inventory.resource_types is not None else None
    parents = {r.native_id: r.parent_id for r in inventory.resources or ()}
    sites = {s.native_id for s in inventory.sites} if inventory.sites is not None else set()
    for p in inventory.resource_pools or ():
        if p.site_id is not None and p.site_id not in sites:
            errors.append(f"resource pool {p.native_id!r}: site_id {p.site_id!r} is not a listed site")
    if inventory.locations is not None:
        locations = {loc.global_location_id for loc in inventory.locations}
        for s in inventory.sites or ():
            if s.global_location_id and s.global_location_id not in locations:
                errors.append(
                    f"site {s.native_id!r}: global_location_id {s.global_location_id!r} is not a listed location"
                )
    for r in inventory.resources or ():
        if r.resource_pool_id not in pools:
            errors.append(f"resource {r.native_id!r}: resource_pool_id {r.resource_pool_id!r} is not a listed pool")
        if types is not None and r.resource_type_id not in types:
            errors.append(f"resource {r.native_id!r}: resource_type_id {r.resource_type_id!r} is not a listed type")
        if r.parent_id is not None and r.parent_id not in parents:
            errors.append(f"resource {r.native_id!r}: parent_id {r.parent_id!r} is not a listed resource")
    for start in parents:
        seen = {start}
        current = parents[start]
        while current is not None and current in parents:
            if current in seen:
                errors.append(f"resource {start!r}: its parent chain loops through {current!r}")
                break
            seen.add(current)
            current = parents[current]
    return errors


def sample(items: Sequence[Any], size: int) -> list[Any]:
    """Up to `size` items spread evenly over `items` (first and last included)."""
    if len(items) <= size:
        return list(items)
    step = (len(items) - 1) / (size - 1)
    return [items[round(i * step)] for i in range(size)]


def _ids(objects: Sequence[Listed] | None) -> list[str] | None:
    return None if objects is None else [o.native_id for o in objects]


# ---------------------------------------------------------------------------------------------- the kit


class IMSPluginContract:
    """Subclass as `Test<Something>` in a test module and provide the `ims_plugin` fixture."""

    sample_size = 25
    watch_timeout = 10.0

    # -- fixtures the subclass provides or may override

    @pytest.fixture
    def ims_plugin(self) -> IMSPlugin:
        pytest.fail(f"{type(self).__name__} must provide an `ims_plugin` fixture (an initialized IMSPlugin)")

    @pytest.fixture
    def plugin_instance(self) -> Any:
        pytest.fail(
            f"{type(self).__name__} must provide a `plugin_instance` fixture: a saved plugins.models.PluginInstance "
            "configured for the same backend as `ims_plugin`"
        )

    @pytest.fixture
    def new_pool(self) -> ResourcePool:
        return ResourcePool(
            native_id="",
            name=f"contract-kit-{uuid.uuid4().hex[:8]}",
            description="created by the netweave IMS contract kit",
            global_location_id="geo:0.0000,0.0000",
            location="Contract kit",
            extensions={"contract.kit": True},
        )

    @pytest.fixture
    def new_resource(self, ims_plugin: IMSPlugin) -> Resource:
        pools = ims_plugin.list_resource_pools()
        types = ims_plugin.list_resource_types()
        if not pools or not types:
            pytest.fail("the backend lists no pool or no type: override `new_resource` to say what to create")
        return Resource(
            native_id="",
            resource_type_id=types[0].native_id,
            resource_pool_id=pools[0].native_id,
            description="created by the netweave IMS contract kit",
            extensions={"contract.kit": True},
        )

    @pytest.fixture
    def trigger_change(self, ims_plugin: IMSPlugin, new_pool: ResourcePool) -> Callable[[], set[str]]:
        """Make the backend change; return the native ids touched. Default: create and delete a pool."""
        if Capability.RESOURCE_POOL_MANAGEMENT not in ims_plugin.capabilities():
            pytest.fail("override `trigger_change`: the default creates a pool, which this plugin cannot")

        counter = iter(range(1_000_000))

        def trigger() -> set[str]:
            pool = dataclasses.replace(new_pool, name=f"{new_pool.name}-{next(counter)}")
            created = ims_plugin.create_resource_pool(pool)
            ims_plugin.delete_resource_pool(created.native_id)
            return {created.native_id}

        return trigger

    # -- basics

    def test_capabilities_are_ims_capabilities(self, ims_plugin: IMSPlugin) -> None:
        capabilities = ims_plugin.capabilities()
        assert isinstance(capabilities, frozenset)
        assert capabilities <= IMS_CAPABILITIES, f"not IMS capabilities: {set(capabilities - IMS_CAPABILITIES)}"

    def test_health_is_healthy(self, ims_plugin: IMSPlugin) -> None:
        status = ims_plugin.health()
        assert isinstance(status, HealthStatus)
        assert status.healthy, status.message
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in status.details.items())

    def test_collect_inventory_lists_pools_and_resources(self, ims_plugin: IMSPlugin) -> None:
        inventory = ims_plugin.collect_inventory()
        assert inventory.resource_pools is not None, "listing resource pools is mandatory"
        assert inventory.resources is not None, "listing resources is mandatory"
        for kind in KINDS:
            listed = getattr(inventory, kind)
            if listed is not None:
                ids = _ids(listed) or []
                assert len(ids) == len(set(ids)), f"{kind}: duplicate native ids"

    # -- (1) stable native ids

    def test_native_ids_stable_across_two_collections(self, ims_plugin: IMSPlugin) -> None:
        first = ims_plugin.collect_inventory()
        second = ims_plugin.collect_inventory()
        for kind in KINDS:
            a, b = _ids(getattr(first, kind)), _ids(getattr(second, kind))
            assert (a is None) == (b is None), f"{kind}: listed once, not listed the other time"
            assert sorted(a or []) == sorted(b or []), f"{kind}: native ids changed between two collections"

    # -- (2) O2 fields and references

    def test_every_object_has_typed_o2_fields(self, ims_plugin: IMSPlugin) -> None:
        inventory = ims_plugin.collect_inventory()
        errors: list[str] = []
        expected: dict[str, type[Listed]] = {
            "deployment_managers": DeploymentManager,
            "resource_pools": ResourcePool,
            "resource_types": ResourceType,
            "resources": Resource,
            "locations": Location,
            "sites": OCloudSite,
        }
        for kind, cls in expected.items():
            for obj in getattr(inventory, kind) or ():
                if not isinstance(obj, cls):
                    errors.append(f"{kind}: {obj!r} is not a {cls.__name__}")
                    continue
                errors.extend(check_o2_fields(cast(Listed, obj)))
        assert not errors, f"{len(errors)} problem(s):\n" + "\n".join(errors[:30])

    def test_references_resolve(self, ims_plugin: IMSPlugin) -> None:
        errors = check_references(ims_plugin.collect_inventory())
        assert not errors, f"{len(errors)} problem(s):\n" + "\n".join(errors[:30])

    # -- (3) list and get agree

    def _getters(self, plugin: IMSPlugin) -> dict[str, Callable[[str], Any]]:
        return {
            "deployment_managers": plugin.get_deployment_manager,
            "resource_pools": plugin.get_resource_pool,
            "resource_types": plugin.get_resource_type,
            "resources": plugin.get_resource,
        }

    def test_list_and_get_agree(self, ims_plugin: IMSPlugin) -> None:
        inventory = ims_plugin.collect_inventory()
        for kind, get in self._getters(ims_plugin).items():
            for obj in sample(getattr(inventory, kind) or [], self.sample_size):
                assert get(obj.native_id) == obj, f"{kind}: get({obj.native_id!r}) differs from the listed object"

    def test_get_unknown_id_raises_not_found(self, ims_plugin: IMSPlugin) -> None:
        inventory = ims_plugin.collect_inventory()
        unknown = f"contract-kit-unknown-{uuid.uuid4().hex}"
        for kind, get in self._getters(ims_plugin).items():
            if getattr(inventory, kind) is None:
                continue
            with pytest.raises(NotFound):
                get(unknown)

    # -- (4, 5) capabilities: declared ones work end to end, undeclared ones raise NotSupported

    def test_resource_pool_management(self, ims_plugin: IMSPlugin, new_pool: ResourcePool) -> None:
        if Capability.RESOURCE_POOL_MANAGEMENT not in ims_plugin.capabilities():
            existing = next(iter(ims_plugin.list_resource_pools()), new_pool)
            with pytest.raises(NotSupported):
                ims_plugin.create_resource_pool(new_pool)
            with pytest.raises(NotSupported):
                ims_plugin.update_resource_pool(existing.native_id or "x", existing)
            with pytest.raises(NotSupported):
                ims_plugin.delete_resource_pool(existing.native_id or "x")
            return

        created = ims_plugin.create_resource_pool(new_pool)
        try:
            assert created.native_id, "the created pool has no native id"
            if new_pool.native_id:
                assert created.native_id == new_pool.native_id
            assert created.name == new_pool.name
            assert not check_o2_fields(created)
            listed = {p.native_id: p for p in ims_plugin.list_resource_pools()}
            assert listed.get(created.native_id) == created
            assert ims_plugin.get_resource_pool(created.native_id) == created

            change = dataclasses.replace(created, description=f"{created.description} (updated)")
            updated = ims_plugin.update_resource_pool(created.native_id, change)
            assert updated.native_id == created.native_id
            assert updated.description == change.description
            assert ims_plugin.get_resource_pool(created.native_id) == updated

            ims_plugin.delete_resource_pool(created.native_id)
            assert created.native_id not in {p.native_id for p in ims_plugin.list_resource_pools()}
            with pytest.raises(NotFound):
                ims_plugin.get_resource_pool(created.native_id)
        finally:
            with contextlib.suppress(NotFound):
                ims_plugin.delete_resource_pool(created.native_id)

    def test_resource_management(self, ims_plugin: IMSPlugin, request: pytest.FixtureRequest) -> None:
        if Capability.RESOURCE_MANAGEMENT not in ims_plugin.capabilities():
            existing = next(iter(ims_plugin.list_resources()), None)
            probe = existing or Resource(native_id="", resource_type_id="x", resource_pool_id="x")
            with pytest.raises(NotSupported):
                ims_plugin.create_resource(probe)
            with pytest.raises(NotSupported):
                ims_plugin.delete_resource(probe.native_id or "x")
            return

        new_resource: Resource = request.getfixturevalue("new_resource")
        created = ims_plugin.create_resource(new_resource)
        try:
            assert created.native_id, "the created resource has no native id"
            if new_resource.native_id:
                assert created.native_id == new_resource.native_id
            assert created.resource_pool_id == new_resource.resource_pool_id
            assert created.resource_type_id == new_resource.resource_type_id
            assert not check_o2_fields(created)
            listed = {r.native_id: r for r in ims_plugin.list_resources()}
            assert listed.get(created.native_id) == created
            assert ims_plugin.get_resource(created.native_id) == created

            ims_plugin.delete_resource(created.native_id)
            assert created.native_id not in {r.native_id for r in ims_plugin.list_resources()}
            with pytest.raises(NotFound):
                ims_plugin.get_resource(created.native_id)
        finally:
            with contextlib.suppress(NotFound):
                ims_plugin.delete_resource(created.native_id)

    def test_resource_type_discovery(self, ims_plugin: IMSPlugin) -> None:
        if Capability.RESOURCE_TYPE_DISCOVERY not in ims_plugin.capabilities():
            with pytest.raises(NotSupported):
                ims_plugin.list_resource_types()
            assert ims_plugin.collect_inventory().resource_types is None
            return
        types = ims_plugin.list_resource_types()
        assert types, "resource-type-discovery is declared but no resource type is listed"
        used = {r.resource_type_id for r in ims_plugin.list_resources()}
        assert used <= {t.native_id for t in types}

    def test_realtime_events(self, ims_plugin: IMSPlugin, request: pytest.FixtureRequest) -> None:
        if Capability.REALTIME_EVENTS not in ims_plugin.capabilities():
            assert not ims_plugin.supports_native_subscriptions()
            with pytest.raises(NotSupported):
                ims_plugin.watch(lambda event: None, lambda: True)
            return

        trigger: Callable[[], set[str]] = request.getfixturevalue("trigger_change")
        events: list[InventoryEvent] = []
        failures: list[BaseException] = []
        stopping = threading.Event()

        def run() -> None:
            try:
                ims_plugin.watch(events.append, stopping.is_set)
            except BaseException as exc:  # reported to the test thread
                failures.append(exc)

        watcher = threading.Thread(target=run, name="contract-kit-watch", daemon=True)
        watcher.start()
        touched: set[str] = set()
        deadline = time.monotonic() + self.watch_timeout
        try:
            # Keep changing until the watcher, which may still be starting, reports one of our changes.
            while time.monotonic() < deadline and not failures:
                touched |= trigger()
                until = min(deadline, time.monotonic() + 1.5)
                while time.monotonic() < until and not any(e.native_id in touched for e in list(events)):
                    time.sleep(0.02)
                if any(e.native_id in touched for e in list(events)):
                    break
        finally:
            stopping.set()
            watcher.join(timeout=self.watch_timeout)
        assert not failures, f"watch raised {failures[0]!r}"
        assert not watcher.is_alive(), "watch did not return after stop() became true"
        seen = [e for e in events if e.native_id in touched]
        assert seen, f"no event for {sorted(touched)} within {self.watch_timeout}s"
        for event in seen:
            assert isinstance(event, InventoryEvent)
            assert event.kind in (
                "deploymentManager",
                "resourcePool",
                "resourceType",
                "resource",
                "location",
                "oCloudSite",
            )
            if event.obj is not None:
                assert event.obj.native_id == event.native_id
                assert not check_o2_fields(event.obj)

    # -- netweave level: O2 ids survive a re-sync

    @pytest.mark.django_db
    def test_o2_ids_stable_across_two_syncs(self, ims_plugin: IMSPlugin, plugin_instance: Any) -> None:
        """Through netweave: two syncs give the same deterministic O2 ids, and the second one changes nothing."""
        from inventory import identity
        from inventory import models as inventory_models
        from inventory.sync import sync_instance
        from plugins import registry

        by_kind: dict[str, tuple[Any, str]] = {
            "deployment_managers": (inventory_models.DeploymentManager, identity.DEPLOYMENT_MANAGER),
            "resource_pools": (inventory_models.ResourcePool, identity.RESOURCE_POOL),
            "resource_types": (inventory_models.ResourceType, identity.RESOURCE_TYPE),
            "resources": (inventory_models.Resource, identity.RESOURCE),
            "locations": (inventory_models.Location, identity.LOCATION),
            "sites": (inventory_models.OCloudSite, identity.O_CLOUD_SITE),
        }

        def o2_ids() -> dict[str, dict[str, Any]]:
            return {
                kind: dict(model.objects.filter(plugin_instance=plugin_instance).values_list("native_id", "id"))
                for kind, (model, _) in by_kind.items()
            }

        try:
            sync_instance(plugin_instance)
            first = o2_ids()
            again = sync_instance(plugin_instance)
            second = o2_ids()
        finally:
            registry.forget(plugin_instance.pk)  # close the plugin object the sync opened
        assert first == second, "O2 ids changed between two syncs"
        assert again.changed == 0, f"a re-sync of an unchanged backend changed objects: {again.summary()}"
        assert any(first.values()), "the sync stored nothing"

        inventory = ims_plugin.collect_inventory()
        for kind, (_, o2_kind) in by_kind.items():
            listed = getattr(inventory, kind)
            if listed is None:
                continue
            assert set(first[kind]) == {o.native_id for o in listed}, f"{kind}: the sync did not mirror the list"
            for native_id in sample(sorted(first[kind]), self.sample_size):
                assert first[kind][native_id] == identity.object_uuid(plugin_instance.pk, o2_kind, native_id)


def iter_inventory(inventory: Inventory) -> Iterator[Listed]:
    """Every object of a collected inventory, kind by kind."""
    for kind in KINDS:
        yield from getattr(inventory, kind) or ()
