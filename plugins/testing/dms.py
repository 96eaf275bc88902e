"""The DMS plugin contract kit: one pytest suite every DMS plugin's tests run against their real backend.

Use it from a plugin's test module::

    from plugins.testing.dms import DMSPluginContract

    class TestMyEngineContract(DMSPluginContract):
        @pytest.fixture
        def dms_plugin(self, my_backend):        # an initialized plugin on a backend with nothing deployed
            plugin = MyPlugin("contract")
            plugin.initialize({...})
            yield plugin
            plugin.close()

What it checks, for each declared capability: a chart archive uploads and reads back the same through list
and get, a duplicate is Conflict and a non-chart InvalidRequest; a deployment installs and settles as
deployed, upgrades to a new revision with new values, scales through the values key, rolls back to revision 1
with revision 1's values, keeps its history, refuses an unknown revision, and disappears after delete; a
suspended deployment is not changed by an update until resumed; an unknown id is NotFound; undeclared
capabilities raise NotSupported.

Optional overrides: `chart_archive` (the package the kit deploys: a chart with a Deployment and a Service, a
`replicaCount` value and nothing that needs a running workload), `scale_values_key`, `namespace`,
`values_pair` (the values installed, then upgraded to), and the class attributes `settle_timeout` (seconds to
wait for the backend to finish an operation) and `package_type` (what the packages are uploaded as).
"""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.dms import (
    TRANSITIONAL_PHASES,
    Deployment,
    DeploymentPackageUpload,
    DeploymentPhase,
    DeploymentRequest,
    DeploymentUpdate,
    DMSPlugin,
    LogOptions,
)
from plugins.sdk.errors import Conflict, InvalidRequest, NotFound, NotSupported

MINIMAL_CHART = {
    "values.yaml": "replicaCount: 1\nport: 80\n",
    "templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: main
          image: registry.k8s.io/pause:3.10
""",
    "templates/service.yaml": """apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: {{ .Values.port }}}]
""",
}


def archive(files: Mapping[str, str | bytes], top: str) -> bytes:
    """A gzip-compressed tar with `files` (relative paths) under the folder `top`, as `helm package` makes."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in sorted(files.items()):
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def minimal_chart_archive(name: str = "contract-chart", version: str = "0.1.0") -> bytes:
    chart_yaml = f"apiVersion: v2\nname: {name}\nversion: {version}\ndescription: DMS contract kit chart\n"
    return archive({"Chart.yaml": chart_yaml, **MINIMAL_CHART}, name)


def chart_directory_archive(directory: Path) -> bytes:
    """Package a chart folder (for example tests/fixtures/charts/<name>) into an archive."""
    files = {
        str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()
    }
    return archive(files, directory.name)


class DMSPluginContract:
    settle_timeout: float = 60.0
    package_type: str = "helm-chart"

    # ---------------------------------------------------------------------------------------- fixtures

    @pytest.fixture
    def dms_plugin(self) -> DMSPlugin:
        raise NotImplementedError("Override the dms_plugin fixture with an initialized plugin on a real backend")

    @pytest.fixture
    def chart_archive(self) -> bytes:
        return minimal_chart_archive(f"contract-{uuid.uuid4().hex[:8]}")

    @pytest.fixture
    def scale_values_key(self) -> str:
        return "replicaCount"

    @pytest.fixture
    def namespace(self) -> str:
        return ""

    @pytest.fixture
    def values_pair(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Two different values a deployment of `chart_archive` accepts: installed with, then upgraded to."""
        return {"port": 8080}, {"port": 9090}

    # ---------------------------------------------------------------------------------------- helpers

    def settle(self, plugin: DMSPlugin, native_id: str) -> Deployment:
        deadline = time.monotonic() + self.settle_timeout
        while True:
            current = plugin.get_deployment(native_id)
            if current.status not in TRANSITIONAL_PHASES:
                return current
            assert time.monotonic() < deadline, f"{native_id} still {current.status} after {self.settle_timeout} s"
            time.sleep(0.1)

    def gone(self, plugin: DMSPlugin, native_id: str) -> None:
        deadline = time.monotonic() + self.settle_timeout
        while True:
            try:
                plugin.get_deployment(native_id)
            except NotFound:
                return
            assert time.monotonic() < deadline, f"{native_id} still present after {self.settle_timeout} s"
            time.sleep(0.1)

    def require(self, plugin: DMSPlugin, capability: Capability) -> None:
        if capability not in plugin.capabilities():
            pytest.skip(f"{plugin.name} does not declare {capability}")

    def upload(self, plugin: DMSPlugin, content: bytes) -> Any:
        return plugin.upload_deployment_package(
            DeploymentPackageUpload(name="", version="", package_type=self.package_type, content=content)
        )

    def deploy(
        self, plugin: DMSPlugin, chart: bytes, namespace: str, values: Mapping[str, Any] | None = None
    ) -> tuple[Any, Deployment]:
        package = self.upload(plugin, chart)
        name = f"kit-{uuid.uuid4().hex[:8]}"
        request = DeploymentRequest(name=name, package_id=package.native_id, namespace=namespace, values=values or {})
        plugin.check_deployment(request)
        created = plugin.create_deployment(request)
        return package, self.settle(plugin, created.native_id)

    # ---------------------------------------------------------------------------------------- the contract

    def test_identity_and_health(self, dms_plugin: DMSPlugin) -> None:
        assert dms_plugin.name
        assert dms_plugin.version
        assert isinstance(dms_plugin.health(), HealthStatus)
        health = dms_plugin.health()
        assert health.healthy, health.message
        assert all(isinstance(c, Capability) for c in dms_plugin.capabilities())

    def test_undeclared_capabilities_raise_not_supported(self, dms_plugin: DMSPlugin) -> None:
        caps = dms_plugin.capabilities()
        assert dms_plugin.supports_rollback() == (Capability.ROLLBACK in caps)
        assert dms_plugin.supports_scaling() == (Capability.SCALING in caps)
        assert dms_plugin.supports_gitops() == (Capability.GITOPS in caps)
        assert dms_plugin.supports_suspend() == (Capability.SUSPEND in caps)
        checks: list[tuple[Capability, Callable[[], Any]]] = [
            (Capability.PACKAGE_MANAGEMENT, dms_plugin.list_deployment_packages),
            (Capability.DEPLOYMENT_LIFECYCLE, dms_plugin.list_deployments),
            (Capability.ROLLBACK, lambda: dms_plugin.rollback_deployment("none/none", 1)),
            (Capability.SCALING, lambda: dms_plugin.scale_deployment("none/none", 1)),
            (Capability.SUSPEND, lambda: dms_plugin.suspend_deployment("none/none")),
            (Capability.SUSPEND, lambda: dms_plugin.resume_deployment("none/none")),
        ]
        for capability, call in checks:
            if capability not in caps:
                with pytest.raises(NotSupported):
                    call()

    def test_package_upload_list_get(self, dms_plugin: DMSPlugin, chart_archive: bytes) -> None:
        self.require(dms_plugin, Capability.PACKAGE_MANAGEMENT)
        package = self.upload(dms_plugin, chart_archive)
        assert package.native_id
        assert package.name
        assert package.version
        assert package.package_type == self.package_type
        assert dms_plugin.get_deployment_package(package.native_id) == package
        assert package in dms_plugin.list_deployment_packages()
        with pytest.raises(Conflict):
            self.upload(dms_plugin, chart_archive)
        with pytest.raises(NotFound):
            dms_plugin.get_deployment_package(f"absent-{uuid.uuid4().hex}")
        with pytest.raises(InvalidRequest):
            self.upload(dms_plugin, b"not a chart archive")
        dms_plugin.delete_deployment_package(package.native_id)
        with pytest.raises(NotFound):
            dms_plugin.get_deployment_package(package.native_id)

    def test_deployment_lifecycle(
        self,
        dms_plugin: DMSPlugin,
        chart_archive: bytes,
        namespace: str,
        scale_values_key: str,
        values_pair: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        self.require(dms_plugin, Capability.DEPLOYMENT_LIFECYCLE)
        first, second = values_pair
        package, deployed = self.deploy(dms_plugin, chart_archive, namespace, first)
        native_id = deployed.native_id
        assert deployed.status == DeploymentPhase.DEPLOYED
        assert deployed.revision == 1
        assert deployed.package_id == package.native_id
        assert dict(deployed.values) == first
        assert deployed in dms_plugin.list_deployments()
        with pytest.raises(Conflict):
            dms_plugin.check_deployment(
                DeploymentRequest(name=deployed.name, package_id=package.native_id, namespace=namespace)
            )

        dms_plugin.update_deployment(native_id, DeploymentUpdate(values=second))
        upgraded = self.settle(dms_plugin, native_id)
        assert upgraded.revision == 2
        assert dict(upgraded.values) == second
        status = dms_plugin.get_deployment_status(native_id)
        assert status.status == DeploymentPhase.DEPLOYED
        assert status.revision == 2

        if Capability.SCALING in dms_plugin.capabilities():
            dms_plugin.scale_deployment(native_id, 3)
            scaled = self.settle(dms_plugin, native_id)
            assert scaled.values[scale_values_key] == 3
            assert all(scaled.values[key] == value for key, value in second.items())

        if Capability.ROLLBACK in dms_plugin.capabilities():
            before = self.settle(dms_plugin, native_id).revision
            dms_plugin.rollback_deployment(native_id, 1)
            rolled = self.settle(dms_plugin, native_id)
            assert rolled.revision == before + 1
            assert dict(rolled.values) == first
            with pytest.raises(InvalidRequest):
                dms_plugin.rollback_deployment(native_id, 999)

        self.check_logs(dms_plugin, native_id)

        history = dms_plugin.get_deployment_history(native_id)
        revisions = [entry.revision for entry in history]
        assert revisions == sorted(revisions)
        assert revisions[0] == 1
        assert history[-1].status == DeploymentPhase.DEPLOYED
        assert all(entry.status != DeploymentPhase.DEPLOYED for entry in history[:-1])

        dms_plugin.delete_deployment(native_id)
        self.gone(dms_plugin, native_id)
        assert all(d.native_id != native_id for d in dms_plugin.list_deployments())
        dms_plugin.delete_deployment_package(package.native_id)

    @staticmethod
    def check_logs(dms_plugin: DMSPlugin, native_id: str) -> None:
        """Logs are optional (the SDK has no capability name for them): bytes, or NotSupported; never a stub.
        The options are honoured: at most `tail_lines` lines, and a since-window still answers."""
        try:
            everything = dms_plugin.get_deployment_logs(native_id, LogOptions(tail_lines=1000))
        except NotSupported:
            return
        assert isinstance(everything, bytes)
        one = dms_plugin.get_deployment_logs(native_id, LogOptions(tail_lines=1))
        assert isinstance(one, bytes)
        assert len(one) <= len(everything)
        assert isinstance(dms_plugin.get_deployment_logs(native_id, LogOptions(since_seconds=3600)), bytes)

    def test_suspend_and_resume(
        self,
        dms_plugin: DMSPlugin,
        chart_archive: bytes,
        namespace: str,
        values_pair: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        """A suspended deployment keeps what it has: an update is recorded but not carried out until resumed.
        A plugin without the capability refuses both calls (NotSupported), rather than skipping this."""
        if Capability.SUSPEND not in dms_plugin.capabilities():
            for call in (dms_plugin.suspend_deployment, dms_plugin.resume_deployment):
                with pytest.raises(NotSupported):
                    call(f"default/absent-{uuid.uuid4().hex[:8]}")
            return
        first, second = values_pair
        package, deployed = self.deploy(dms_plugin, chart_archive, namespace, first)
        native_id = deployed.native_id
        dms_plugin.suspend_deployment(native_id)
        dms_plugin.update_deployment(native_id, DeploymentUpdate(values=second))
        time.sleep(1.0)  # time for the engine to act, were it not suspended
        assert dms_plugin.get_deployment(native_id).status in TRANSITIONAL_PHASES
        dms_plugin.resume_deployment(native_id)
        resumed = self.settle(dms_plugin, native_id)
        assert resumed.status == DeploymentPhase.DEPLOYED
        assert resumed.revision == 2
        assert dict(resumed.values) == second
        for call in (dms_plugin.suspend_deployment, dms_plugin.resume_deployment):
            with pytest.raises(NotFound):
                call(f"default/absent-{uuid.uuid4().hex[:8]}")
        dms_plugin.delete_deployment(native_id)
        self.gone(dms_plugin, native_id)
        dms_plugin.delete_deployment_package(package.native_id)

    def test_unknown_deployment_is_not_found(self, dms_plugin: DMSPlugin) -> None:
        self.require(dms_plugin, Capability.DEPLOYMENT_LIFECYCLE)
        absent = f"absent-{uuid.uuid4().hex[:8]}"
        for call in (
            lambda: dms_plugin.get_deployment(f"default/{absent}"),
            lambda: dms_plugin.get_deployment_status(f"default/{absent}"),
            lambda: dms_plugin.delete_deployment(f"default/{absent}"),
        ):
            with pytest.raises(NotFound):
                call()

    def test_package_in_use_cannot_be_deleted(
        self, dms_plugin: DMSPlugin, chart_archive: bytes, namespace: str
    ) -> None:
        self.require(dms_plugin, Capability.DEPLOYMENT_LIFECYCLE)
        package, deployed = self.deploy(dms_plugin, chart_archive, namespace)
        with pytest.raises(Conflict):
            dms_plugin.delete_deployment_package(package.native_id)
        dms_plugin.delete_deployment(deployed.native_id)
        self.gone(dms_plugin, deployed.native_id)
        dms_plugin.delete_deployment_package(package.native_id)
