"""The Argo CD DMS plugin, CRD mode: deployments are `argoproj.io/v1alpha1` Applications written through a
kubeconfig; Argo CD's controller does the syncing, and its `.status` is what netweave reports.

Packages are git references (repository, path, target revision) kept as small JSON files: Argo CD fetches the
repository itself, netweave never does. Create writes an Application with the configured syncPolicy; update
patches its source; rollback sets the source back to what an earlier `.status.history` entry deployed, pinned
to the git revision it synced (Argo CD's own rollback operation is refused while auto-sync is on, so CRD
mode rolls back through the desired state); delete removes the Application, with Argo CD's resources finalizer
so that Argo CD deletes what it deployed first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from plugins.dms.argocd import mapping
from plugins.dms.argocd.config import ArgoCDConfig
from plugins.dms.gitref import GitReferenceDMSPlugin
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.dms import (
    Deployment,
    DeploymentPackage,
    DeploymentRequest,
    DeploymentRevision,
    DeploymentStatus,
    DeploymentUpdate,
)
from plugins.sdk.errors import Conflict, NotFound, PluginError


class ArgoCDDMSPlugin(GitReferenceDMSPlugin):
    engine = "Argo CD"
    name = "argocd"
    version = "1.0.0"
    config_class = ArgoCDConfig

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE, Capability.ROLLBACK, Capability.GITOPS}
        )

    def health(self) -> HealthStatus:
        try:
            self._list()
        except PluginError as exc:
            return HealthStatus(False, exc.detail)
        return HealthStatus(True, "Argo CD Applications are served by the cluster")

    def to_package(self, native_id: str, ref: Mapping[str, str]) -> DeploymentPackage:
        return mapping.to_package(native_id, ref)

    # ------------------------------------------------------------------------------------------ applications

    def _list(self) -> list[dict[str, Any]]:
        listed = self._call(
            "listing Argo CD Applications",
            self.objects.list_namespaced_custom_object,
            mapping.GROUP,
            mapping.VERSION,
            self._config["namespace"],
            mapping.PLURAL,
            label_selector=f"app.kubernetes.io/managed-by={mapping.MANAGED_BY}",
        )
        return list(listed.get("items") or [])

    def _read(self, native_id: str) -> dict[str, Any]:
        namespace, name = mapping.split_native_id(native_id)
        try:
            return dict(
                self._call(
                    f"reading Application {native_id}",
                    self.objects.get_namespaced_custom_object,
                    mapping.GROUP,
                    mapping.VERSION,
                    namespace,
                    mapping.PLURAL,
                    name,
                )
            )
        except NotFound:
            raise NotFound(f"No Argo CD Application '{native_id}'.") from None

    def _patch_source(self, native_id: str, app_source: Mapping[str, Any], package_id: str) -> None:
        namespace, name = mapping.split_native_id(native_id)
        # A JSON merge patch would merge the old helm values into the new: replace the whole source instead.
        app = self._read(native_id)
        app["spec"]["source"] = dict(app_source)
        app["metadata"].setdefault("annotations", {})[mapping.PACKAGE_ANNOTATION] = package_id
        self._call(
            f"updating Application {native_id}",
            self.objects.replace_namespaced_custom_object,
            mapping.GROUP,
            mapping.VERSION,
            namespace,
            mapping.PLURAL,
            name,
            app,
        )

    def check_deployment(self, request: DeploymentRequest) -> None:
        self._reference(request.package_id)
        native_id = mapping.native_id(self._config["namespace"], request.name)
        with contextlib.suppress(NotFound):
            self._read(native_id)
            raise Conflict(f"An Argo CD Application '{request.name}' already exists.", field="name")

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        self._read(native_id)
        if update.package_id:
            self._reference(update.package_id)

    def list_deployments(self) -> list[Deployment]:
        return sorted((mapping.to_deployment(app) for app in self._list()), key=lambda d: d.native_id)

    def get_deployment(self, native_id: str) -> Deployment:
        return mapping.to_deployment(self._read(native_id))

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        namespace = self._config["namespace"]
        body = mapping.application(
            request.name,
            namespace,
            request.package_id,
            mapping.source(self._reference(request.package_id), request.values),
            self._config,
            request.namespace or self._config["destinationNamespace"],
        )
        created = self._call(
            f"creating Application {request.name}",
            self.objects.create_namespaced_custom_object,
            mapping.GROUP,
            mapping.VERSION,
            namespace,
            mapping.PLURAL,
            body,
        )
        return mapping.to_deployment(created)

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        current = self.get_deployment(native_id)
        package_id = update.package_id or current.package_id
        self._patch_source(native_id, mapping.source(self._reference(package_id), update.values), package_id)
        return self.get_deployment(native_id)

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        app = self._read(native_id)
        package_id = str(((app.get("metadata") or {}).get("annotations") or {}).get(mapping.PACKAGE_ANNOTATION, ""))
        self._patch_source(native_id, mapping.rollback_source(app, revision), package_id)

    def delete_deployment(self, native_id: str) -> None:
        namespace, name = mapping.split_native_id(native_id)
        try:
            self._call(
                f"deleting Application {native_id}",
                self.objects.delete_namespaced_custom_object,
                mapping.GROUP,
                mapping.VERSION,
                namespace,
                mapping.PLURAL,
                name,
            )
        except NotFound:
            raise NotFound(f"No Argo CD Application '{native_id}'.") from None

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        return mapping.to_status(self._read(native_id))

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        return mapping.to_revisions(self._read(native_id))
