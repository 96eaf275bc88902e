"""The mock DMS plugin: every DMS operation against a simulated engine whose state lives in a SQLite file,
so the web process that accepts an operation and the worker that runs it share one engine. Operations take
`progressSeconds` to complete, like a real engine; nothing is pretended."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plugins.dms.charts import inspect_chart
from plugins.dms.mock import mapping
from plugins.dms.mock.config import MockDMSConfig
from plugins.dms.mock.store import MockDMSStore, PackageRow
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.dms import (
    Deployment,
    DeploymentPackage,
    DeploymentPackageUpload,
    DeploymentRequest,
    DeploymentRevision,
    DeploymentStatus,
    DeploymentUpdate,
    DMSPlugin,
    LogOptions,
)
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotSupported
from plugins.sqlite_state import state_file_location


class MockDMSPlugin(DMSPlugin):
    name = "mock"
    version = "1.0.0"
    config_class = MockDMSConfig

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._store: MockDMSStore | None = None
        self._config: dict[str, Any] = {}

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE, Capability.ROLLBACK, Capability.SCALING}
        )

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = self.validated_config(config)
        store = MockDMSStore(
            self.state_file_path(self._config["stateFile"]), progress_seconds=self._config["progressSeconds"]
        )
        store.open()
        self._store = store

    def state_file_path(self, configured: str) -> Path:
        return state_file_location(configured, f"mock-dms-{self.instance_name}.sqlite3")

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    @property
    def store(self) -> MockDMSStore:
        if self._store is None:
            raise BackendUnavailable(f"mock DMS instance '{self.instance_name}' is not initialized")
        return self._store

    def health(self) -> HealthStatus:
        counts = self.store.counts()
        return HealthStatus(True, "simulated engine ready", {k: str(v) for k, v in counts.items()})

    # ------------------------------------------------------------------------------------------ packages

    def list_deployment_packages(self) -> list[DeploymentPackage]:
        return [mapping.to_package(row) for row in self.store.list_packages()]

    def get_deployment_package(self, native_id: str) -> DeploymentPackage:
        return mapping.to_package(self.store.get_package(native_id))

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        if upload.package_type != mapping.PACKAGE_TYPE:
            raise InvalidRequest(
                f"The mock engine deploys '{mapping.PACKAGE_TYPE}' packages, not '{upload.package_type}'.",
                field="packageType",
            )
        if not upload.content:
            raise NotSupported("The mock engine cannot fetch charts from a repository; upload the chart archive.")
        chart = inspect_chart(upload.content, max_bytes=self._config["maxPackageBytes"])
        row = PackageRow(
            native_id=mapping.package_native_id(chart.name, chart.version),
            name=chart.name,
            version=chart.version,
            package_type=upload.package_type,
            description=chart.description,
            app_version=chart.app_version,
            default_values=chart.default_values,
            repository_url="",
            sha256=hashlib.sha256(upload.content).hexdigest(),
            size=len(upload.content),
        )
        return mapping.to_package(self.store.add_package(row, upload.content))

    def delete_deployment_package(self, native_id: str) -> None:
        self.store.delete_package(native_id)

    # ------------------------------------------------------------------------------------------ deployments

    def _namespace(self, requested: str) -> str:
        return requested or self._config["namespace"]

    def _check_values(self, values: Mapping[str, Any]) -> None:
        key = self._config["scaleValuesKey"]
        if key in values:
            replicas = values[key]
            if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
                raise InvalidRequest(f"values.{key} must be a non-negative integer.", field=f"values.{key}")

    def check_deployment(self, request: DeploymentRequest) -> None:
        self.store.get_package(request.package_id)
        self._check_values(request.values)
        native_id = mapping.release_native_id(self._namespace(request.namespace), request.name)
        if any(row.native_id == native_id for row in self.store.list_releases()):
            raise Conflict(f"A deployment named '{native_id}' already exists.", field="name")

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        self.store.get_release(native_id)
        if update.package_id:
            self.store.get_package(update.package_id)
        self._check_values(update.values)

    def list_deployments(self) -> list[Deployment]:
        return [mapping.to_deployment(row) for row in self.store.list_releases()]

    def get_deployment(self, native_id: str) -> Deployment:
        return mapping.to_deployment(self.store.get_release(native_id))

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        self._check_values(request.values)
        namespace = self._namespace(request.namespace)
        native_id = mapping.release_native_id(namespace, request.name)
        self.store.install(native_id, request.name, namespace, request.package_id, request.values)
        return self.get_deployment(native_id)

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        self._check_values(update.values)
        self.store.upgrade(native_id, update.package_id, update.values, description="Upgrade started")
        return self.get_deployment(native_id)

    def delete_deployment(self, native_id: str) -> None:
        self.store.uninstall(native_id)

    def scale_deployment(self, native_id: str, replicas: int) -> None:
        if replicas < 0:
            raise InvalidRequest("replicas must be a non-negative integer.", field="replicas")
        current = self.store.get_release(native_id)
        values = {**current.values, self._config["scaleValuesKey"]: replicas}
        self.store.upgrade(native_id, None, values, description=f"Scale to {replicas}")

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        self.store.rollback(native_id, revision)

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        release = self.store.get_release(native_id)
        history = self.store.history(native_id)
        return DeploymentStatus(
            status=release.phase,
            message=history[-1].description if history else "",
            revision=release.revision,
            details={"namespace": release.namespace, "package": release.package_id},
        )

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        return [mapping.to_revision(row) for row in self.store.history(native_id)]

    def get_deployment_logs(self, native_id: str, options: LogOptions | None = None) -> bytes:
        options = options or LogOptions()
        lines = [
            f"{dt.datetime.fromtimestamp(at, tz=dt.UTC).isoformat()} {message}"
            for at, message in self.store.events(native_id, options.tail_lines, options.since_seconds)
        ]
        return ("\n".join(lines) + "\n").encode() if lines else b""
