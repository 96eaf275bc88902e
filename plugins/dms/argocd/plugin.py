"""The Argo CD DMS plugin: deployments are `argoproj.io/v1alpha1` Applications, written either through Argo CD's
API server (REST mode: `serverUrl` + `authToken`, rest.py) or directly through a kubeconfig (CRD mode); Argo
CD's controller does the syncing, and its `.status` is what netweave reports.

Packages are git references (repository, path, target revision) kept as small JSON files: Argo CD fetches the
repository itself, netweave never does. Create writes an Application with the configured syncPolicy; update
patches its source; rollback sets the source back to what an earlier `.status.history` entry deployed, pinned
to the git revision it synced (Argo CD's own rollback operation is refused while auto-sync is on, so CRD
mode rolls back through the desired state; REST mode does the same with auto-sync on, and uses Argo CD's
rollback call without it); delete removes the Application, with Argo CD's resources finalizer (CRD mode) or
`cascade=true` (REST mode) so that Argo CD deletes what it deployed first. In REST mode without automated
sync, create and update ask Argo CD to sync, and the status adds the resource tree.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from plugins.dms.argocd import mapping
from plugins.dms.argocd.config import ArgoCDConfig, duration_seconds
from plugins.dms.argocd.rest import ArgoCDServer
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
from plugins.sdk.errors import Conflict, NotFound, PluginError


class ArgoCDDMSPlugin(CustomObjectsDMSPlugin):
    name = "argocd"
    version = "1.0.0"
    config_class = ArgoCDConfig
    secret_fields = frozenset({"authToken"})
    where = "Argo CD instance"

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._server: ArgoCDServer | None = None

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE, Capability.ROLLBACK, Capability.GITOPS}
        )

    def initialize(self, config: Mapping[str, Any]) -> None:
        super().initialize(config)
        if self._config["serverUrl"]:  # REST mode: no cluster access at all
            self._kube = None
            self._server = ArgoCDServer(
                self._config["serverUrl"],
                self._config["authToken"],
                self._config["namespace"],
                float(duration_seconds(self._config["timeout"])),
                verify=self._config["caBundle"] or True,
            )

    @property
    def server(self) -> ArgoCDServer | None:
        """Argo CD's API server in REST mode (`serverUrl`), None in CRD mode."""
        return self._server

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        super().close()

    def health(self) -> HealthStatus:
        try:
            self._list()
        except PluginError as exc:
            return HealthStatus(False, exc.detail)
        if self.server is not None:
            return HealthStatus(True, "Argo CD's API server serves the Applications")
        return HealthStatus(True, "Argo CD Applications are served by the cluster")

    # ------------------------------------------------------------------------------------------ packages

    def to_package(self, native_id: str, stored: Mapping[str, Any]) -> DeploymentPackage:
        return mapping.to_package(native_id, stored)

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        return mapping.to_package(*add_reference(self.packages, upload, "Argo CD"))

    # ------------------------------------------------------------------------------------------ applications

    def _list(self) -> list[dict[str, Any]]:
        selector = f"app.kubernetes.io/managed-by={mapping.MANAGED_BY}"
        if self.server is not None:
            return self.server.list(selector)
        listed = self.kube.call(
            "listing Argo CD Applications",
            "list_namespaced_custom_object",
            mapping.GROUP,
            mapping.VERSION,
            self._config["namespace"],
            mapping.PLURAL,
            label_selector=selector,
        )
        return list(listed.get("items") or [])

    def _on_application(self, verb: str, native_id: str, *body: Any) -> Any:
        """`verb` (get, replace, delete) on the Application `native_id`, through the API server or the cluster."""
        namespace, name = mapping.split_native_id(native_id)
        try:
            if self.server is not None:
                if namespace != self.server.namespace:
                    raise NotFound(native_id)
                if verb == "get":
                    return self.server.get(name)
                if verb == "replace":
                    return self.server.update(body[0])
                return self.server.delete(name, cascade=self._config["cascadeDelete"])
            return self.kube.call(
                f"{verb} Application {native_id}",
                f"{verb}_namespaced_custom_object",
                mapping.GROUP,
                mapping.VERSION,
                namespace,
                mapping.PLURAL,
                name,
                *body,
            )
        except NotFound:
            raise NotFound(f"No Argo CD Application '{native_id}'.") from None

    def _read(self, native_id: str) -> dict[str, Any]:
        return dict(self._on_application("get", native_id))

    @property
    def _automated(self) -> bool:
        return bool((self._config.get("syncPolicy") or {}).get("automated", True))

    @property
    def _prune(self) -> bool:
        return bool((self._config.get("syncPolicy") or {}).get("prune", True))

    def _manual_sync(self, name: str) -> None:
        """REST mode without automated sync: ask Argo CD to sync what was just written, as a user would."""
        if self.server is not None and not self._automated:
            self.server.sync(name, prune=self._prune)

    def _patch_source(
        self, native_id: str, app_source: Mapping[str, Any], package_id: str, *, sync: bool = True
    ) -> dict[str, Any]:
        # A JSON merge patch would merge the old helm values into the new: replace the whole source instead.
        app = self._read(native_id)
        app["spec"]["source"] = dict(app_source)
        app["metadata"].setdefault("annotations", {})[mapping.PACKAGE_ANNOTATION] = package_id
        self._on_application("replace", native_id, app)
        if sync:
            self._manual_sync(app["metadata"]["name"])
        return app

    def check_deployment(self, request: DeploymentRequest) -> None:
        self.packages.read(request.package_id)
        native_id = mapping.native_id(self._config["namespace"], request.name)
        with contextlib.suppress(NotFound):
            self._read(native_id)
            raise Conflict(f"An Argo CD Application '{request.name}' already exists.", field="name")

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        self._read(native_id)
        if update.package_id:
            self.packages.read(update.package_id)

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
            mapping.source(self.packages.read(request.package_id), request.values),
            self._config,
            request.namespace or self._config["destinationNamespace"],
        )
        if self.server is not None:
            created = self.server.create(body)
            self._manual_sync(request.name)
        else:
            created = self.kube.call(
                f"creating Application {request.name}",
                "create_namespaced_custom_object",
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
        self._patch_source(native_id, mapping.source(self.packages.read(package_id), update.values), package_id)
        return self.get_deployment(native_id)

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        app = self._read(native_id)
        pinned = mapping.rollback_source(app, revision)
        package_id = str(((app.get("metadata") or {}).get("annotations") or {}).get(mapping.PACKAGE_ANNOTATION, ""))
        if self.server is not None and not self._automated:
            # Argo CD's own rollback (refused while auto-sync is on) deploys history entry N; the spec is set to
            # the same source first, so that Argo CD does not report the rolled-back Application as OutOfSync.
            self._patch_source(native_id, pinned, package_id, sync=False)
            self.server.rollback(app["metadata"]["name"], revision, prune=self._prune)
            return
        self._patch_source(native_id, pinned, package_id)

    def delete_deployment(self, native_id: str) -> None:
        self._on_application("delete", native_id)

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        app = self._read(native_id)
        tree = self.server.resource_tree(app["metadata"]["name"]) if self.server is not None else None
        return mapping.to_status(app, tree)

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        return mapping.to_revisions(self._read(native_id))
