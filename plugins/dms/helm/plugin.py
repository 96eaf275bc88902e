"""The Helm DMS plugin: packages are chart archives kept in `chartDir`, deployments are Helm releases.

Every operation is one or two `helm` commands with JSON output (plugins/dms/helm/cli.py); what helm says is
turned into SDK objects by mapping.py. Installs and upgrades do not `--wait`: netweave follows the release's
status instead, so a cluster without running workloads (or a slow one) never blocks a worker.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from plugins.dms.charts import inspect_chart
from plugins.dms.helm import mapping
from plugins.dms.helm.cli import HelmCLI
from plugins.dms.helm.config import HelmConfig, duration_seconds
from plugins.dms.helm.kube import PodLogReader
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
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound, PluginError

SOURCE_SUFFIX = ".source.json"
MAX_HISTORY_READ = 1000


class HelmDMSPlugin(DMSPlugin):
    name = "helm"
    version = "1.0.0"
    config_class = HelmConfig

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._config: dict[str, Any] = {}
        self._helm: HelmCLI | None = None
        self._pod_logs: PodLogReader | None = None
        self._charts = Path()

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE, Capability.ROLLBACK, Capability.SCALING}
        )

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = self.validated_config(config)
        state = Path(settings.DATA_DIR) / f"helm-{self.instance_name}"
        configured = self._config["chartDir"]
        self._charts = (
            state / "charts"
            if not configured
            else Path(configured)
            if Path(configured).is_absolute()
            else Path(settings.DATA_DIR) / configured
        )
        self._charts.mkdir(parents=True, exist_ok=True)
        self._helm = HelmCLI(
            self._config["helmBinary"],
            home=state / "home",
            kubeconfig=self._config["kubeconfig"],
            timeout_seconds=duration_seconds(self._config["timeout"]),
        )
        self._pod_logs = PodLogReader(
            self._config["kubeconfig"], timeout_seconds=duration_seconds(self._config["timeout"])
        )

    @property
    def helm(self) -> HelmCLI:
        if self._helm is None:
            raise BackendUnavailable(f"helm instance '{self.instance_name}' is not initialized")
        return self._helm

    @property
    def pod_logs(self) -> PodLogReader:
        if self._pod_logs is None:
            raise BackendUnavailable(f"helm instance '{self.instance_name}' is not initialized")
        return self._pod_logs

    def close(self) -> None:
        if self._pod_logs is not None:
            self._pod_logs.close()

    def health(self) -> HealthStatus:
        try:
            version = self.helm.version()
            self.helm.json(["list", "--all-namespaces", "--max", "1"], operation="list")
        except PluginError as exc:
            return HealthStatus(False, exc.detail)
        return HealthStatus(True, f"helm {version} reaches the cluster", {"helm": version})

    # ------------------------------------------------------------------------------------------ packages

    def _chart_file(self, native_id: str) -> Path:
        path = self._charts / f"{native_id}.tgz"
        if "/" in native_id or native_id.startswith(".") or not path.is_file():
            raise NotFound(f"No chart '{native_id}' in this Helm instance.")
        return path

    def _package(self, path: Path) -> DeploymentPackage:
        content = path.read_bytes()
        chart = inspect_chart(content, max_bytes=self._config["maxPackageBytes"])
        source = path.with_name(path.name.removesuffix(".tgz") + SOURCE_SUFFIX)
        repository = json.loads(source.read_text()).get("repository", "") if source.is_file() else ""
        return mapping.to_package(
            chart, size=len(content), sha256=hashlib.sha256(content).hexdigest(), repository_url=repository
        )

    def list_deployment_packages(self) -> list[DeploymentPackage]:
        return [self._package(path) for path in sorted(self._charts.glob("*.tgz"))]

    def get_deployment_package(self, native_id: str) -> DeploymentPackage:
        return self._package(self._chart_file(native_id))

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        if upload.package_type != mapping.PACKAGE_TYPE:
            raise InvalidRequest(
                f"Helm deploys '{mapping.PACKAGE_TYPE}' packages, not '{upload.package_type}'.", field="packageType"
            )
        content, repository = upload.content, ""
        if not content:
            repository = self._allowed_repository(upload.repository_url)
            content = self._pull(repository, upload.name, upload.version)
        chart = inspect_chart(content, max_bytes=self._config["maxPackageBytes"])
        native_id = mapping.package_native_id(chart.name, chart.version)
        target = self._charts / f"{native_id}.tgz"
        if target.exists():
            raise Conflict(f"Chart {chart.name} {chart.version} is already stored in this Helm instance.")
        with self._scratch() as scratch:
            candidate = scratch / "chart.tgz"
            candidate.write_bytes(content)
            # A chart whose templates do not even parse can never deploy: refuse it now. Templates that need
            # values (`required`) are checked at deploy time, with the values given there.
            try:
                self.helm.run(["template", "check", str(candidate)], operation="template")
            except InvalidRequest as exc:
                if exc.field == "chart":
                    raise
        staged = target.with_suffix(".partial")
        staged.write_bytes(content)
        staged.replace(target)
        if repository:
            source = {"repository": repository, "chart": upload.name, "version": chart.version}
            target.with_name(f"{native_id}{SOURCE_SUFFIX}").write_text(json.dumps(source))
        return self._package(target)

    def _allowed_repository(self, requested: str) -> str:
        """The repository to fetch from: the configured one, or one explicitly allowed. netweave fetches on an
        SMO's request, so an arbitrary URL (an internal address, say) is refused rather than fetched."""
        configured = self._config["chartRepository"]
        repository = (requested or configured).rstrip("/")
        if not repository:
            raise InvalidRequest("Give a chart archive or a chart repository URL.", field="artifactRepoUrl")
        allowed = {url.rstrip("/") for url in [configured, *self._config["allowedRepositories"]] if url}
        if repository not in allowed:
            raise InvalidRequest(
                f"'{repository}' is not a chart repository this Helm instance may use "
                "(config chartRepository / allowedRepositories).",
                field="artifactRepoUrl",
            )
        return repository

    def _pull(self, repository: str, chart: str, version: str) -> bytes:
        if not chart:
            raise InvalidRequest("Name the chart to take from the repository.", field="artifactName")
        with self._scratch() as scratch:
            args = ["pull", chart, "--repo", repository, "--destination", str(scratch)]
            if version:
                args += ["--version", version]
            self.helm.run(args, operation="pull")
            pulled = sorted(scratch.glob("*.tgz"))
            if len(pulled) != 1:
                raise BackendUnavailable(f"helm pull of {chart} left {len(pulled)} archives.")
            return pulled[0].read_bytes()

    def delete_deployment_package(self, native_id: str) -> None:
        path = self._chart_file(native_id)
        users = [r["name"] for r in self._releases() if r.get("chart") == native_id]
        if users:
            raise Conflict(f"Chart '{native_id}' is deployed by releases: {', '.join(sorted(users))}.")
        path.unlink()
        path.with_name(f"{native_id}{SOURCE_SUFFIX}").unlink(missing_ok=True)

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="netweave-helm-") as directory:
            yield Path(directory)

    # ------------------------------------------------------------------------------------------ releases

    def _namespace(self, requested: str) -> str:
        return requested or self._config["namespace"]

    def _timeout(self) -> list[str]:
        return ["--timeout", self._config["timeout"]]

    def _history_max(self) -> list[str]:
        return ["--history-max", str(self._config["maxHistory"])]

    def _releases(self) -> list[dict[str, Any]]:
        listed = self.helm.json(["list", "--all-namespaces", "--all", "--max", "100000"], operation="list")
        return list(listed or [])

    @contextlib.contextmanager
    def _values_file(self, values: Mapping[str, Any]) -> Iterator[str]:
        with self._scratch() as scratch:
            path = scratch / "values.json"  # JSON is YAML: helm reads it as a values file
            path.write_text(json.dumps(dict(values)))
            yield str(path)

    def _render(self, name: str, namespace: str, chart: Path, values: Mapping[str, Any]) -> None:
        with self._values_file(values) as values_file:
            self.helm.run(
                ["template", name, str(chart), "--namespace", namespace, "--values", values_file],
                operation="template",
            )

    def _exists(self, namespace: str, name: str) -> bool:
        try:
            self.helm.run(["status", name, "--namespace", namespace], operation="status")
        except NotFound:
            return False
        return True

    def check_deployment(self, request: DeploymentRequest) -> None:
        chart = self._chart_file(request.package_id)
        namespace = self._namespace(request.namespace)
        if self._exists(namespace, request.name):
            raise Conflict(f"A Helm release '{request.name}' already exists in namespace '{namespace}'.", field="name")
        self._render(request.name, namespace, chart, request.values)

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        namespace, name = mapping.split_release_id(native_id)
        chart = self._chart_file(update.package_id or self._current_chart(native_id))
        self._render(name, namespace, chart, update.values)

    def _current_chart(self, native_id: str) -> str:
        namespace, name = mapping.split_release_id(native_id)
        latest = self.helm.json(["history", name, "--namespace", namespace, "--max", "1"], operation="history")
        if not latest:
            raise NotFound(f"No Helm release '{native_id}'.")
        return str(latest[-1].get("chart", ""))

    def list_deployments(self) -> list[Deployment]:
        deployments = []
        for release in self._releases():
            with contextlib.suppress(NotFound):  # uninstalled between the list and the read
                deployments.append(
                    self.get_deployment(mapping.release_native_id(release["namespace"], release["name"]))
                )
        return deployments

    def get_deployment(self, native_id: str) -> Deployment:
        namespace, name = mapping.split_release_id(native_id)
        release = self.helm.json(["status", name, "--namespace", namespace], operation="status")
        return mapping.to_deployment(release, self._current_chart(native_id))

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        chart = self._chart_file(request.package_id)
        namespace = self._namespace(request.namespace)
        with self._values_file(request.values) as values_file:
            try:
                release = self.helm.json(
                    [
                        "install",
                        request.name,
                        str(chart),
                        "--namespace",
                        namespace,
                        "--create-namespace",
                        "--values",
                        values_file,
                        *self._timeout(),
                    ],
                    operation="install",
                )
            except PluginError as failure:
                self._remove_failed_install(namespace, request.name, failure)
                raise
        return mapping.to_deployment(release, mapping.chart_of(release) or request.package_id)

    def _remove_failed_install(self, namespace: str, name: str, failure: PluginError) -> None:
        """An install the cluster refused half-way leaves a `failed` release: remove it, so nothing is half-made
        (a name already in use belongs to someone else and is left alone)."""
        if isinstance(failure, Conflict):
            return
        with contextlib.suppress(PluginError):
            release = self.helm.json(["status", name, "--namespace", namespace], operation="status")
            if (release.get("info") or {}).get("status") == "failed" and int(release.get("version", 0)) == 1:
                self.helm.run(["uninstall", name, "--namespace", namespace, *self._timeout()], operation="uninstall")

    def _upgrade(self, native_id: str, chart_id: str, values: Mapping[str, Any]) -> Deployment:
        namespace, name = mapping.split_release_id(native_id)
        chart = self._chart_file(chart_id)
        with self._values_file(values) as values_file:
            release = self.helm.json(
                [
                    "upgrade",
                    name,
                    str(chart),
                    "--namespace",
                    namespace,
                    "--reset-values",
                    "--values",
                    values_file,
                    *self._history_max(),
                    *self._timeout(),
                ],
                operation="upgrade",
            )
        return mapping.to_deployment(release, mapping.chart_of(release) or chart_id)

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        return self._upgrade(native_id, update.package_id or self._current_chart(native_id), update.values)

    def delete_deployment(self, native_id: str) -> None:
        namespace, name = mapping.split_release_id(native_id)
        self.helm.run(["uninstall", name, "--namespace", namespace, *self._timeout()], operation="uninstall")

    def scale_deployment(self, native_id: str, replicas: int) -> None:
        if replicas < 0:
            raise InvalidRequest("replicas must be a non-negative integer.", field="replicas")
        current = self.get_deployment(native_id)
        values = {**current.values, self._config["scaleValuesKey"]: replicas}
        self._upgrade(native_id, current.package_id, values)

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        namespace, name = mapping.split_release_id(native_id)
        self.helm.run(
            ["rollback", name, str(revision), "--namespace", namespace, *self._history_max(), *self._timeout()],
            operation="rollback",
        )

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        namespace, name = mapping.split_release_id(native_id)
        release = self.helm.json(["status", name, "--namespace", namespace], operation="status")
        return mapping.to_status(release, self._current_chart(native_id))

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        namespace, name = mapping.split_release_id(native_id)
        entries = self.helm.json(
            ["history", name, "--namespace", namespace, "--max", str(MAX_HISTORY_READ)], operation="history"
        )
        return sorted((mapping.to_revision(entry) for entry in entries or []), key=lambda r: r.revision)

    def get_deployment_logs(self, native_id: str, options: LogOptions | None = None) -> bytes:
        """The logs of the release's pods, read from the cluster (Helm keeps none itself); see kube.py."""
        namespace, name = mapping.split_release_id(native_id)
        release = self.helm.json(["status", name, "--namespace", namespace], operation="status")
        manifest = str(release.get("manifest") or "")
        return self.pod_logs.release_logs(namespace, name, manifest, options or LogOptions())
