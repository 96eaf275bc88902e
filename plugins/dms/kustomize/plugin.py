"""The kustomize DMS plugin: packages are kustomization archives, a deployment is one overlay rendered by the
pinned `kustomize` binary and server-side applied to the cluster.

Each create, update and rollback renders (or, for a rollback, takes an earlier revision's stored render),
applies every object with netweave's field manager, then prunes the objects the previous revision applied
that this one does not. The inventory ConfigMap beside the deployment (mapping.py) records each revision's
objects and render, so prune, delete and rollback act on exactly what netweave applied.
"""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from plugins.dms.kustomize import mapping
from plugins.dms.kustomize.archive import inspect_kustomization, unpack
from plugins.dms.kustomize.config import KustomizeConfig, duration_seconds
from plugins.dms.kustomize.kube import Cluster
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.dms import (
    Deployment,
    DeploymentPackage,
    DeploymentPackageUpload,
    DeploymentPhase,
    DeploymentRequest,
    DeploymentRevision,
    DeploymentStatus,
    DeploymentUpdate,
    DMSPlugin,
)
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound, PluginError

MAX_RENDER_BYTES = 256 * 1024  # a render is kept in the inventory ConfigMap (1 MiB at most, with history)


class KustomizeDMSPlugin(DMSPlugin):
    name = "kustomize"
    version = "1.0.0"
    config_class = KustomizeConfig

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._config: dict[str, Any] = {}
        self._cluster: Cluster | None = None
        self._packages = Path()

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE, Capability.ROLLBACK})

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = self.validated_config(config)
        configured = self._config["packageDir"]
        self._packages = (
            Path(settings.DATA_DIR) / f"kustomize-{self.instance_name}" / "packages"
            if not configured
            else Path(configured)
            if Path(configured).is_absolute()
            else Path(settings.DATA_DIR) / configured
        )
        self._packages.mkdir(parents=True, exist_ok=True)
        self._cluster = Cluster(
            self._config["kubeconfig"],
            field_manager=self._config["fieldManager"],
            timeout_seconds=duration_seconds(self._config["timeout"]),
        )

    @property
    def cluster(self) -> Cluster:
        if self._cluster is None:
            raise BackendUnavailable(f"kustomize instance '{self.instance_name}' is not initialized")
        return self._cluster

    def close(self) -> None:
        if self._cluster is not None:
            self._cluster.close()

    def _kustomize(self, *args: str, field: str = "chart") -> str:
        """Run kustomize; a failed build is InvalidRequest naming `field` (the archive at upload, the values
        when the deployment's overlay is rendered)."""
        try:
            done = subprocess.run(
                [self._config["kustomizeBinary"], *args],
                capture_output=True,
                text=True,
                timeout=duration_seconds(self._config["timeout"]),
                check=False,
                env={"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir()},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BackendUnavailable(f"kustomize could not run: {type(exc).__name__}") from None
        if done.returncode != 0:
            lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
            raise InvalidRequest(f"kustomize build failed: {(lines or ['no message'])[-1][:500]}", field=field)
        return done.stdout

    def health(self) -> HealthStatus:
        try:
            version = self._kustomize("version").strip()
            self.cluster.inventories()
        except PluginError as exc:
            return HealthStatus(False, exc.detail)
        return HealthStatus(True, f"kustomize {version} reaches the cluster", {"kustomize": version})

    # ------------------------------------------------------------------------------------------ packages

    def _archive(self, native_id: str) -> Path:
        path = self._packages / f"{native_id}.tgz"
        if "/" in native_id or native_id.startswith(".") or not path.is_file():
            raise NotFound(f"No kustomization '{native_id}' in this kustomize instance.")
        return path

    def _package(self, path: Path) -> DeploymentPackage:
        content = path.read_bytes()
        info = inspect_kustomization(content, max_bytes=self._config["maxPackageBytes"])
        return mapping.to_package(
            info.name,
            info.version,
            path.name.removesuffix(".tgz"),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            description=info.description,
        )

    def list_deployment_packages(self) -> list[DeploymentPackage]:
        return [self._package(path) for path in sorted(self._packages.glob("*.tgz"))]

    def get_deployment_package(self, native_id: str) -> DeploymentPackage:
        return self._package(self._archive(native_id))

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        if upload.package_type != mapping.PACKAGE_TYPE:
            raise InvalidRequest(
                f"kustomize deploys '{mapping.PACKAGE_TYPE}' packages, not '{upload.package_type}'.",
                field="packageType",
            )
        if not upload.content:
            raise InvalidRequest("Give a kustomization archive (.tgz).", field="kustomization")
        info = inspect_kustomization(upload.content, max_bytes=self._config["maxPackageBytes"])
        native_id = mapping.package_native_id(info.name, info.version)
        target = self._packages / f"{native_id}.tgz"
        if target.exists():
            raise Conflict(f"Kustomization {info.name} {info.version} is already stored in this kustomize instance.")
        with self._scratch() as scratch:  # an overlay that does not build can never deploy: refuse it now
            self._kustomize("build", str(unpack(upload.content, scratch, max_bytes=self._config["maxPackageBytes"])))
        staged = target.with_suffix(".partial")
        staged.write_bytes(upload.content)
        staged.replace(target)
        return self._package(target)

    def delete_deployment_package(self, native_id: str) -> None:
        path = self._archive(native_id)
        users = [d.native_id for d in self.list_deployments() if d.package_id == native_id]
        if users:
            raise Conflict(f"Kustomization '{native_id}' is deployed by: {', '.join(sorted(users))}.")
        path.unlink()

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="netweave-kustomize-") as directory:
            yield Path(directory)

    # ------------------------------------------------------------------------------------------ rendering

    def _render(self, package_id: str, namespace: str, name: str, values: Mapping[str, Any]) -> str:
        overlay = mapping.wrapper("package", namespace, name, values)
        content = self._archive(package_id).read_bytes()
        with self._scratch() as scratch:
            folder = unpack(content, scratch / "unpacked", max_bytes=self._config["maxPackageBytes"])
            folder.rename(scratch / "package")
            (scratch / "kustomization.yaml").write_text(yaml.safe_dump(overlay, sort_keys=False))
            rendered = self._kustomize("build", str(scratch), field="values")
        if len(rendered.encode()) > MAX_RENDER_BYTES:
            raise InvalidRequest(f"The render is larger than {MAX_RENDER_BYTES} bytes.", field="values")
        return rendered

    @staticmethod
    def _objects(rendered: str) -> list[Mapping[str, Any]]:
        return mapping.apply_order(doc for doc in yaml.safe_load_all(rendered) if isinstance(doc, dict) and doc)

    # ------------------------------------------------------------------------------------------ deployments

    def _namespace(self, requested: str) -> str:
        return requested or self._config["namespace"]

    def _state(self, native_id: str) -> tuple[str, str, Any, dict[str, Any]]:
        namespace, name = mapping.split_native_id(native_id)
        inventory = self.cluster.read_inventory(namespace, name)
        return namespace, name, inventory, mapping.load_state(inventory.data)

    def check_deployment(self, request: DeploymentRequest) -> None:
        namespace = self._namespace(request.namespace)
        with contextlib.suppress(NotFound):
            self.cluster.read_inventory(namespace, request.name)
            raise Conflict(
                f"A kustomize deployment '{request.name}' already exists in namespace '{namespace}'.", field="name"
            )
        self._render(request.package_id, namespace, request.name, request.values)

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        namespace, name, _, state = self._state(native_id)
        current = mapping.latest(state) or {}
        self._render(update.package_id or str(current.get("packageId", "")), namespace, name, update.values)

    def list_deployments(self) -> list[Deployment]:
        found = []
        for inventory in self.cluster.inventories():
            name = (inventory.metadata.labels or {}).get(mapping.DEPLOYMENT_LABEL, "")
            if name:
                found.append(
                    mapping.to_deployment(inventory.metadata.namespace, name, mapping.load_state(inventory.data))
                )
        return sorted(found, key=lambda d: d.native_id)

    def get_deployment(self, native_id: str) -> Deployment:
        namespace, name, _, state = self._state(native_id)
        return mapping.to_deployment(namespace, name, state)

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        namespace = self._namespace(request.namespace)
        mapping.check_values(request.values)
        self._archive(request.package_id)
        self.cluster.ensure_namespace(namespace)
        self.cluster.create_inventory(namespace, request.name, {"revisions": [], "packageId": request.package_id})
        native_id = mapping.native_id(namespace, request.name)
        try:
            rendered = self._render(request.package_id, namespace, request.name, request.values)
            self._apply(native_id, request.package_id, request.values, rendered, "Install complete")
        except PluginError:
            self._remove_failed_install(native_id)
            raise
        return self.get_deployment(native_id)

    def _remove_failed_install(self, native_id: str) -> None:
        """An install that failed half-way removes what it applied, so nothing is half-made."""
        with contextlib.suppress(PluginError):
            self.delete_deployment(native_id)

    def _apply(
        self, native_id: str, package_id: str, values: Mapping[str, Any], rendered: str, description: str
    ) -> None:
        """Apply a render as the deployment's next revision, then prune what the previous one applied and this
        one does not. A failure mid-way is recorded as a failed revision holding every object applied so far."""
        _, name, inventory, state = self._state(native_id)
        previous = mapping.latest(state)
        revision = int(previous["revision"]) + 1 if previous else 1
        applied: list[mapping.Ref] = []
        try:
            for obj in self._objects(rendered):
                self._check_owner(obj, name)
                applied.append(self.cluster.apply(obj))
        except PluginError as failure:
            kept = [*applied, *mapping.stale(previous["objects"] if previous else [], applied)]
            entry = mapping.new_revision(revision, package_id, values, kept, DeploymentPhase.FAILED, failure.detail)
            self._record(inventory, state, entry, rendered)
            raise
        for item in mapping.stale(previous["objects"] if previous else [], applied):
            self.cluster.delete(item)
        entry = mapping.new_revision(revision, package_id, values, applied, DeploymentPhase.DEPLOYED, description)
        self._record(inventory, state, entry, rendered)

    def _check_owner(self, obj: Mapping[str, Any], name: str) -> None:
        """An object another kustomize deployment applied is not taken over (its delete would remove it)."""
        existing = self.cluster.read(mapping.ref(obj))
        owner = ((existing or {}).get("metadata") or {}).get("labels", {}) or {}
        other = owner.get(mapping.DEPLOYMENT_LABEL)
        if other and other != name:
            item = mapping.ref(obj)
            raise Conflict(
                f"{item['kind']} {item['namespace']}/{item['name']} belongs to kustomize deployment '{other}'.",
                field="name",
            )

    def _record(self, inventory: Any, state: dict[str, Any], entry: dict[str, Any], rendered: str) -> None:
        dropped = mapping.record(state, entry, self._config["maxHistory"])
        renders: dict[str, str | None] = {mapping.render_key(r): None for r in dropped}
        renders[mapping.render_key(int(entry["revision"]))] = rendered
        self.cluster.write_inventory(inventory, state, renders)

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        namespace, name, _, state = self._state(native_id)
        package_id = update.package_id or str((mapping.latest(state) or {}).get("packageId", ""))
        rendered = self._render(package_id, namespace, name, update.values)
        self._apply(native_id, package_id, update.values, rendered, "Upgrade complete")
        return self.get_deployment(native_id)

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        _, _, inventory, state = self._state(native_id)
        target = next((r for r in state["revisions"] if int(r["revision"]) == revision), None)
        render = (inventory.data or {}).get(mapping.render_key(revision))
        if target is None or render is None:
            raise InvalidRequest(f"Deployment {native_id} keeps no revision {revision}.", field="revision")
        self._apply(native_id, str(target["packageId"]), target["values"], render, f"Rollback to {revision}")

    def delete_deployment(self, native_id: str) -> None:
        namespace, name, _, state = self._state(native_id)
        seen: set[tuple[str, str, str, str]] = set()
        for entry in reversed(state["revisions"]):
            for item in entry["objects"]:
                if mapping.ref_key(item) not in seen:
                    seen.add(mapping.ref_key(item))
                    self.cluster.delete(item)
        self.cluster.delete_inventory(namespace, name)

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        _, _, _, state = self._state(native_id)
        observed = []
        for item in (mapping.latest(state) or {}).get("objects", []):
            found = self.cluster.read(item)
            observed.append({**item, "exists": found is not None, **mapping.readiness(found)})
        return mapping.to_status(state, observed)

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        _, _, _, state = self._state(native_id)
        return [mapping.to_revision(entry) for entry in state["revisions"]]
