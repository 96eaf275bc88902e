"""The mock IMS plugin: a simulated, multi-site O-Cloud kept in a SQLite state file (see README.md).

Thin: validation of the caller's input here, storage in store.py, row <-> O2 object in mapping.py.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from plugins.ims.mock import mapping
from plugins.ims.mock import profile as mock_profile
from plugins.ims.mock.config import MockConfig
from plugins.ims.mock.demo import GenerationSpec, Site, sites_for, spec_from_mapping
from plugins.ims.mock.store import (
    KIND_DEPLOYMENT_MANAGER,
    KIND_RESOURCE,
    KIND_RESOURCE_POOL,
    KIND_RESOURCE_TYPE,
    ChurnSettings,
    MockStore,
)
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest, NotFound, NotSupported, PluginError
from plugins.sdk.ims import (
    DeploymentManager,
    IMSPlugin,
    InventoryEvent,
    ListFilter,
    Location,
    OCloudSite,
    Resource,
    ResourcePool,
    ResourceType,
)
from plugins.sdk.validation import checked_text
from plugins.sqlite_state import state_file_location

logger = logging.getLogger(__name__)

MAX_ID_LENGTH = 255


def _check_native_id(value: Any, field: str, *, required: bool) -> str:
    text = checked_text(value if value is not None else "", field, required=required, max_length=MAX_ID_LENGTH)
    if text and (text != text.strip() or any(c.isspace() or not c.isprintable() for c in text)):
        raise InvalidRequest(f"{field} must not contain spaces or control characters", field=field)
    return text


def _check_extensions(value: Any) -> None:
    if not isinstance(value, Mapping):
        raise InvalidRequest("extensions must be an object", field="extensions")
    try:
        json.dumps(dict(value), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(f"extensions must be JSON: {exc}", field="extensions") from exc


class MockIMSPlugin(IMSPlugin):
    """A simulated O-Cloud whose state lives in a SQLite file shared by every netweave process."""

    name = "mock"
    version = "1.0.0"
    config_class = MockConfig

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._store: MockStore | None = None
        self._config: dict[str, Any] = {}
        self.fail_health = False
        self.ocloud_id = ""
        self.poll_interval = 1.0
        self.clock: Callable[[], float] = time.time

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

    def initialize(self, config: Mapping[str, Any]) -> None:
        data = self.validated_config(config)
        churn = dict(data["churn"])
        self._config = data
        self.fail_health = bool(data["failHealth"])
        self.ocloud_id = str(data["ocloudId"])
        self.poll_interval = float(data["pollIntervalSeconds"])
        self.close()
        self._store = MockStore(
            self.state_file_path(data["stateFile"]),
            churn=ChurnSettings(
                enabled=bool(churn.get("enabled", False)),
                changes_per_minute=int(churn.get("changesPerMinute", 6)),
            ),
            clock=self.clock,
        )
        if self.fail_health:
            return  # a simulated unreachable backend is not touched
        spec = spec_from_mapping(data)
        if self._store.open(spec):
            logger.info("mock IMS %s: generated a new O-Cloud in %s", self.instance_name, self._store.path)
        else:
            stored = json.loads(self._store.meta().get("spec", "{}"))
            if stored != spec.as_dict():
                logger.warning(
                    "mock IMS %s: %s was generated with %s, not %s; keeping it (delete the file to regenerate)",
                    self.instance_name,
                    self._store.path,
                    stored,
                    spec.as_dict(),
                )

    def state_file_path(self, configured: str) -> Path:
        return state_file_location(configured, f"mock-ims-{self.instance_name}.sqlite3")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> MockStore:
        """The state file, for reads and writes. Raises BackendUnavailable when failHealth simulates an outage."""
        if self._store is None:
            raise BackendUnavailable(f"mock IMS {self.instance_name} is not initialized")
        if self.fail_health:
            raise BackendUnavailable(f"mock IMS {self.instance_name} is unreachable (failHealth is set)")
        return self._store

    @property
    def generation_spec(self) -> GenerationSpec:
        return spec_from_mapping(self._config)

    def health(self) -> HealthStatus:
        if self.fail_health:
            return HealthStatus(False, "simulated outage: failHealth is set in the config", {"failHealth": "true"})
        if self._store is None:
            return HealthStatus(False, "not initialized")
        path = self._store.path
        if not path.exists():
            return HealthStatus(False, f"state file {path} is missing", {"stateFile": str(path)})
        try:
            counts = self._store.counts()
        except PluginError as exc:
            return HealthStatus(False, exc.detail, {"stateFile": str(path)})
        details = {"stateFile": str(path), **{kind: str(n) for kind, n in counts.items()}}
        if self.ocloud_id:
            details["ocloudId"] = self.ocloud_id
        if counts[KIND_RESOURCE_TYPE] == 0:
            return HealthStatus(False, f"state file {path} holds no O-Cloud", details)
        return HealthStatus(True, f"simulated O-Cloud with {counts[KIND_RESOURCE]} resources", details)

    def churn_now(self, steps: int) -> int:
        """Apply `steps` churn steps now, whatever the churn config says (tests and demos)."""
        return self.store.churn_now(steps)

    # ------------------------------------------------------------------------------------------ reads

    def list_deployment_managers(self, filter: ListFilter | None = None) -> list[DeploymentManager]:
        rows = self.store.list_rows(KIND_DEPLOYMENT_MANAGER)
        return [mapping.deployment_manager_from_row(r, ocloud_id=self.ocloud_id) for r in rows]

    def get_deployment_manager(self, native_id: str) -> DeploymentManager:
        row = self.store.get_row(KIND_DEPLOYMENT_MANAGER, native_id)
        return mapping.deployment_manager_from_row(row, ocloud_id=self.ocloud_id)

    def deployment_manager_profile(self, native_id: str, profile: str) -> Mapping[str, Any]:
        """The profiles a simulated cluster advertises in `capabilities.dmsProfiles` (native_k8sapi): see
        profile.py. Any other profile raises NotSupported (the API answers 404)."""
        manager = self.get_deployment_manager(native_id)
        if profile not in manager.capabilities.get("dmsProfiles", ()) or profile != mock_profile.NATIVE_K8S_API:
            raise NotSupported(f"deployment manager {native_id!r} does not offer the {profile!r} profile")
        store = self.store
        now = dt.datetime.fromtimestamp(self.clock(), tz=dt.UTC)
        ca = store.meta_value(
            "profile_ca_certificate",
            lambda: mock_profile.new_ca_certificate(f"netweave mock O-Cloud {self.instance_name} CA", now),
        )
        secret = store.meta_value("profile_token_secret", mock_profile.new_token_secret)
        return mock_profile.profile_data(
            service_uri=manager.service_uri, ca_certificate=ca, token_secret=secret, native_id=native_id, now=now
        )

    def _sites(self) -> list[Site]:
        """The simulated sites, from the generation spec the state file was made with (it wins over the config)."""
        stored = json.loads(self.store.meta().get("spec", "{}"))
        return sites_for(spec_from_mapping(stored))

    def _site_ids(self) -> frozenset[str]:
        return frozenset(site.native_id for site in self._sites())

    def list_locations(self) -> list[Location]:
        """One location per city the sites are in (two sites in one city share it)."""
        by_id: dict[str, Location] = {}
        for site in self._sites():
            by_id.setdefault(site.global_location_id, mapping.location_of(site))
        return list(by_id.values())

    def list_sites(self) -> list[OCloudSite]:
        return [mapping.site_of(site) for site in self._sites()]

    def list_resource_pools(self, filter: ListFilter | None = None) -> list[ResourcePool]:
        where = {"native_id": filter.resource_pool_id} if filter and filter.resource_pool_id else None
        sites = self._site_ids()
        rows = self.store.list_rows(KIND_RESOURCE_POOL, where=where)
        return [mapping.resource_pool_from_row(r, sites) for r in rows]

    def get_resource_pool(self, native_id: str) -> ResourcePool:
        return mapping.resource_pool_from_row(self.store.get_row(KIND_RESOURCE_POOL, native_id), self._site_ids())

    def list_resource_types(self, filter: ListFilter | None = None) -> list[ResourceType]:
        where = {"native_id": filter.resource_type_id} if filter and filter.resource_type_id else None
        return [mapping.resource_type_from_row(r) for r in self.store.list_rows(KIND_RESOURCE_TYPE, where=where)]

    def get_resource_type(self, native_id: str) -> ResourceType:
        return mapping.resource_type_from_row(self.store.get_row(KIND_RESOURCE_TYPE, native_id))

    def list_resources(self, filter: ListFilter | None = None) -> list[Resource]:
        where: dict[str, str] = {}
        if filter and filter.resource_pool_id:
            where["resource_pool_id"] = filter.resource_pool_id
        if filter and filter.resource_type_id:
            where["resource_type_id"] = filter.resource_type_id
        return [mapping.resource_from_row(r) for r in self.store.list_rows(KIND_RESOURCE, where=where)]

    def get_resource(self, native_id: str) -> Resource:
        return mapping.resource_from_row(self.store.get_row(KIND_RESOURCE, native_id))

    # ------------------------------------------------------------------------------------------ writes

    def _pool_row(self, pool: ResourcePool) -> dict[str, Any]:
        if not isinstance(pool, ResourcePool):
            raise InvalidRequest("expected a ResourcePool")
        _check_native_id(pool.native_id, "native_id", required=False)
        checked_text(pool.name, "name", required=True)
        checked_text(pool.description, "description", max_length=10_000)
        checked_text(pool.global_location_id, "global_location_id")
        checked_text(pool.location, "location")
        _check_extensions(pool.extensions)
        return mapping.resource_pool_to_row(pool)

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        row = self._pool_row(pool)
        return mapping.resource_pool_from_row(self.store.create_pool(row), self._site_ids())

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Replace the pool's name, description, location, global location id and extensions."""
        row = self._pool_row(pool)
        if pool.native_id and pool.native_id != native_id:
            raise InvalidRequest(
                f"native_id {pool.native_id!r} does not match the pool being updated ({native_id!r})",
                field="native_id",
            )
        return mapping.resource_pool_from_row(self.store.update_pool(native_id, row), self._site_ids())

    def delete_resource_pool(self, native_id: str) -> None:
        self.store.delete_pool(native_id)

    def create_resource(self, resource: Resource) -> Resource:
        if not isinstance(resource, Resource):
            raise InvalidRequest("expected a Resource")
        _check_native_id(resource.native_id, "native_id", required=False)
        _check_native_id(resource.resource_type_id, "resource_type_id", required=True)
        _check_native_id(resource.resource_pool_id, "resource_pool_id", required=True)
        _check_native_id(resource.parent_id, "parent_id", required=False)
        checked_text(resource.description, "description", max_length=10_000)
        checked_text(resource.global_asset_id, "global_asset_id")
        _check_extensions(resource.extensions)
        row = self.store.create_resource(mapping.resource_to_row(resource, origin="api"))
        return mapping.resource_from_row(row)

    def delete_resource(self, native_id: str) -> None:
        self.store.delete_resource(native_id)

    # ------------------------------------------------------------------------------------------ events

    def _current(self, kind: str, native_id: str) -> DeploymentManager | ResourcePool | ResourceType | Resource | None:
        try:
            if kind == KIND_RESOURCE:
                return self.get_resource(native_id)
            if kind == KIND_RESOURCE_POOL:
                return self.get_resource_pool(native_id)
            if kind == KIND_RESOURCE_TYPE:
                return self.get_resource_type(native_id)
            if kind == KIND_DEPLOYMENT_MANAGER:
                return self.get_deployment_manager(native_id)
        except NotFound:
            return None
        raise BackendUnavailable(f"mock change journal names an unknown kind {kind!r}")

    def watch(
        self,
        on_event: Callable[[InventoryEvent], None],
        stop: Callable[[], bool],
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        """Poll the state file's change journal (every pollIntervalSeconds) until `stop()` is true.

        Each event carries the object's current state, or None once it is gone: a consumer that reconciles
        events one by one converges on the backend's state even when it sees an event late."""
        cursor = self.store.journal_head()
        if on_ready is not None:
            on_ready()
        while not stop():
            entries = self.store.journal_since(cursor)
            for entry in entries:
                on_event(InventoryEvent(entry.kind, entry.native_id, self._current(entry.kind, entry.native_id)))
                cursor = entry.seq
                if stop():
                    return
            if not entries:
                deadline = time.monotonic() + self.poll_interval
                while not stop() and time.monotonic() < deadline:
                    time.sleep(min(0.05, self.poll_interval))
