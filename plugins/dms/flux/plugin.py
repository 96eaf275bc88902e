"""The Flux DMS plugin: a deployment is a Flux `GitRepository` (the source) plus a `Kustomization` (what is
applied from it), both of the deployment's name in Flux's namespace, written through a kubeconfig; Flux's
source- and kustomize-controllers do the work, and their `.status` is what netweave reports.

Packages are git references (repository, path, version) kept as small JSON files: Flux fetches the
repository itself, netweave never does. Create writes both objects; update moves the source's ref and the
Kustomization's path and substitutions; rollback moves the source back to the commit an earlier revision
applied, as Flux users do; delete removes both objects (Flux's finalizer prunes what was applied first).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from plugins.dms.flux import mapping
from plugins.dms.flux.config import FluxConfig
from plugins.dms.gitref import add_reference
from plugins.dms.kubeobjects import CustomObjectsDMSPlugin
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.dms import (
    Deployment,
    DeploymentPackage,
    DeploymentPackageUpload,
    DeploymentRequest,
    DeploymentRevision,
    DeploymentStatus,
    DeploymentUpdate,
)
from plugins.sdk.errors import Conflict, InvalidRequest, NotFound, PluginError

SOURCE = (mapping.SOURCE_GROUP, mapping.SOURCE_VERSION)
KUSTOMIZE = (mapping.KUSTOMIZE_GROUP, mapping.KUSTOMIZE_VERSION)


class FluxDMSPlugin(CustomObjectsDMSPlugin):
    name = "flux"
    version = "1.0.0"
    config_class = FluxConfig
    where = "Flux instance"

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE, Capability.ROLLBACK, Capability.GITOPS}
        )

    def health(self) -> HealthStatus:
        try:
            self._list(KUSTOMIZE, mapping.KUSTOMIZE_PLURAL)
            self._list(SOURCE, mapping.SOURCE_PLURAL)
        except PluginError as exc:
            return HealthStatus(False, exc.detail)
        return HealthStatus(True, "Flux GitRepositories and Kustomizations are served by the cluster")

    # ------------------------------------------------------------------------------------------ packages

    def to_package(self, native_id: str, stored: Mapping[str, Any]) -> DeploymentPackage:
        return mapping.to_package(native_id, stored)

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        return mapping.to_package(*add_reference(self.packages, upload, "Flux", self._check_upload))

    def _check_upload(self, upload: DeploymentPackageUpload) -> None:
        if not upload.repository_url.startswith(mapping.URL_SCHEMES):
            raise InvalidRequest("Flux fetches http(s):// and ssh:// git URLs.", field="artifactRepoUrl")
        mapping.check_version(upload.version)

    # ------------------------------------------------------------------------------------------ Flux objects

    def _list(self, group: tuple[str, str], plural: str) -> list[dict[str, Any]]:
        listed = self.kube.call(
            f"listing Flux {plural}",
            "list_namespaced_custom_object",
            *group,
            self._config["namespace"],
            plural,
            label_selector=f"app.kubernetes.io/managed-by={mapping.MANAGED_BY}",
        )
        return list(listed.get("items") or [])

    def _get(self, group: tuple[str, str], plural: str, native_id: str) -> dict[str, Any] | None:
        namespace, name = mapping.split_native_id(native_id)
        try:
            return dict(
                self.kube.call(
                    f"reading {plural} {native_id}",
                    "get_namespaced_custom_object",
                    *group,
                    namespace,
                    plural,
                    name,
                )
            )
        except NotFound:
            return None

    def _read(self, native_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The Kustomization and the GitRepository; NotFound when neither exists (a deployment is gone only when
        both are)."""
        kust = self._get(KUSTOMIZE, mapping.KUSTOMIZE_PLURAL, native_id)
        repo = self._get(SOURCE, mapping.SOURCE_PLURAL, native_id)
        if kust is None and repo is None:
            raise NotFound(f"No Flux deployment '{native_id}'.")
        return kust, repo

    def _read_live(self, native_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        kust, repo = self._read(native_id)
        if (
            kust is None
            or repo is None
            or any((o.get("metadata") or {}).get("deletionTimestamp") for o in (kust, repo))
        ):
            raise Conflict(f"Flux deployment '{native_id}' is being deleted.")
        return kust, repo

    def _patch(self, group: tuple[str, str], plural: str, native_id: str, ops: list[dict[str, Any]]) -> None:
        """A JSON patch of the fields netweave owns: Flux's controllers write the rest (finalizers, status)."""
        namespace, name = mapping.split_native_id(native_id)
        self.kube.call(
            f"updating {plural} {native_id}",
            "patch_namespaced_custom_object",
            *group,
            namespace,
            plural,
            name,
            ops,
            _content_type="application/json-patch+json",
        )

    def _target(self, request_namespace: str) -> str:
        return request_namespace or self._config["destinationNamespace"]

    def check_deployment(self, request: DeploymentRequest) -> None:
        ref = self.packages.read(request.package_id)
        mapping.kustomization_spec(request.name, ref["path"], request.values, self._config, "")
        native_id = mapping.native_id(self._config["namespace"], request.name)
        with contextlib.suppress(NotFound):
            self._read(native_id)
            raise Conflict(f"A Flux deployment '{request.name}' already exists.", field="name")

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        self._read_live(native_id)
        if update.package_id:
            self.packages.read(update.package_id)
        mapping.substitutions(update.values)

    def list_deployments(self) -> list[Deployment]:
        repos = {r["metadata"]["name"]: r for r in self._list(SOURCE, mapping.SOURCE_PLURAL)}
        return sorted(
            (
                mapping.to_deployment(k, repos.get(k["metadata"]["name"]))
                for k in self._list(KUSTOMIZE, mapping.KUSTOMIZE_PLURAL)
            ),
            key=lambda d: d.native_id,
        )

    def get_deployment(self, native_id: str) -> Deployment:
        return mapping.to_deployment(*self._read(native_id))

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        namespace = self._config["namespace"]
        ref = self.packages.read(request.package_id)
        source_ref = mapping.git_ref(ref["targetRevision"])
        spec = mapping.kustomization_spec(
            request.name, ref["path"], request.values, self._config, self._target(request.namespace)
        )
        first = mapping.entry(1, request.package_id, source_ref, request.values)
        repo = self.kube.call(
            f"creating GitRepository {request.name}",
            "create_namespaced_custom_object",
            *SOURCE,
            namespace,
            mapping.SOURCE_PLURAL,
            mapping.git_repository(
                request.name, namespace, request.package_id, ref, source_ref, self._config["interval"]
            ),
        )
        try:
            kust = self.kube.call(
                f"creating Kustomization {request.name}",
                "create_namespaced_custom_object",
                *KUSTOMIZE,
                namespace,
                mapping.KUSTOMIZE_PLURAL,
                mapping.kustomization(request.name, namespace, request.package_id, spec, first),
            )
        except PluginError:
            with contextlib.suppress(PluginError):  # leave nothing half-made behind
                self._delete(SOURCE, mapping.SOURCE_PLURAL, namespace, request.name)
            raise
        return mapping.to_deployment(kust, repo)

    def _move(self, native_id: str, package_id: str, source_ref: Mapping[str, str], values: Mapping[str, Any]) -> None:
        """Point the source at `source_ref` and the Kustomization at the package's path with `values`, as the
        next revision."""
        kust, _ = self._read_live(native_id)
        ref = self.packages.read(package_id)
        target = str(kust["spec"].get("targetNamespace") or self._config["destinationNamespace"])
        entries = mapping.next_history(
            kust, mapping.entry(0, package_id, source_ref, values), self._config["maxHistory"]
        )
        kust_ops, repo_ops = mapping.move_patches(
            kust,
            mapping.kustomization_spec(kust["metadata"]["name"], ref["path"], values, self._config, target),
            entries,
            ref["repoURL"],
            source_ref,
            package_id,
        )
        # The Kustomization (with the history) first: if the source write then fails, the next read still
        # shows the new revision as pending rather than losing it.
        self._patch(KUSTOMIZE, mapping.KUSTOMIZE_PLURAL, native_id, kust_ops)
        self._patch(SOURCE, mapping.SOURCE_PLURAL, native_id, repo_ops)

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        current = self.get_deployment(native_id)
        package_id = update.package_id or current.package_id
        source_ref = mapping.git_ref(self.packages.read(package_id)["targetRevision"])
        self._move(native_id, package_id, source_ref, update.values)
        return self.get_deployment(native_id)

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        kust, _ = self._read_live(native_id)
        target = mapping.rollback_target(kust, revision)
        self._move(native_id, target["packageId"], target["ref"], target["values"])

    def _delete(self, group: tuple[str, str], plural: str, namespace: str, name: str) -> bool:
        try:
            self.kube.call(
                f"deleting {plural} {namespace}/{name}",
                "delete_namespaced_custom_object",
                *group,
                namespace,
                plural,
                name,
            )
        except NotFound:
            return False
        return True

    def delete_deployment(self, native_id: str) -> None:
        namespace, name = mapping.split_native_id(native_id)
        # The Kustomization first: Flux's finalizer prunes what it applied, which needs no source.
        found = self._delete(KUSTOMIZE, mapping.KUSTOMIZE_PLURAL, namespace, name)
        found = self._delete(SOURCE, mapping.SOURCE_PLURAL, namespace, name) or found
        if not found:
            raise NotFound(f"No Flux deployment '{native_id}'.")

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        return mapping.to_status(*self._read(native_id))

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        kust, repo = self._read(native_id)
        return mapping.to_revisions(kust or {}, repo)
