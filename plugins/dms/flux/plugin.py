"""The Flux DMS plugin: a deployment is a Flux source plus what applies it, both of the deployment's name in
Flux's namespace, written through a kubeconfig: a `GitRepository` + `Kustomization` for a git reference, a
`HelmRepository` + `HelmRelease` for a chart in a Helm repository. Flux's controllers do the work, and their
`.status` is what netweave reports.

Packages are references (repository, path or chart, version) kept as small JSON files: Flux fetches the
repository itself, netweave never does. Create writes both objects; update moves the source's ref (or the
chart version) and the values; rollback moves back to the commit (or chart version) an earlier revision
applied, as Flux users do; suspend and resume set `spec.suspend`; delete removes both objects (Flux's
finalizer prunes or uninstalls what was applied first).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from plugins.dms.flux import helm, mapping
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
HELM = (helm.HELM_GROUP, helm.HELM_VERSION)


@dataclass(frozen=True)
class Kind:
    """One kind of Flux deployment: the object that applies (group/version, plural), its source's plural, and
    the mapping module that reads the pair (to_deployment, to_status, to_revisions)."""

    applier: tuple[str, str]
    applier_plural: str
    source_plural: str
    mapping: ModuleType


GIT = Kind(KUSTOMIZE, mapping.KUSTOMIZE_PLURAL, mapping.SOURCE_PLURAL, mapping)
HELM_KIND = Kind(HELM, helm.HELM_PLURAL, helm.SOURCE_PLURAL, helm)
KINDS = (GIT, HELM_KIND)


class FluxDMSPlugin(CustomObjectsDMSPlugin):
    name = "flux"
    version = "1.0.0"
    config_class = FluxConfig
    where = "Flux instance"

    def capabilities(self) -> frozenset[Capability]:
        return frozenset(
            {
                Capability.PACKAGE_MANAGEMENT,
                Capability.DEPLOYMENT_LIFECYCLE,
                Capability.ROLLBACK,
                Capability.GITOPS,
                Capability.SUSPEND,
            }
        )

    def health(self) -> HealthStatus:
        try:
            for kind in KINDS:
                self._list(kind.applier, kind.applier_plural)
                self._list(SOURCE, kind.source_plural)
        except PluginError as exc:
            return HealthStatus(False, exc.detail)
        return HealthStatus(True, "Flux's sources, Kustomizations and HelmReleases are served by the cluster")

    # ------------------------------------------------------------------------------------------ packages

    def to_package(self, native_id: str, stored: Mapping[str, Any]) -> DeploymentPackage:
        return (helm if helm.is_chart(stored) else mapping).to_package(native_id, stored)

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        if upload.package_type == helm.PACKAGE_TYPE:
            return self._add_chart(upload)
        return mapping.to_package(*add_reference(self.packages, upload, "Flux", self._check_upload))

    def _add_chart(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        """A chart in a Helm repository (Flux's source-controller fetches it; netweave keeps the reference)."""
        if upload.content:
            raise InvalidRequest(
                "Flux deploys charts from a Helm repository (artifactRepoUrl, artifactName = chart, version), "
                "not archives.",
                field="chart",
            )
        ref = helm.reference(upload.repository_url, upload.name, upload.version)
        native_id = helm.chart_native_id(ref)
        taken = f"Chart {ref['chart']} {ref['version'] or '(latest)'} of {ref['repoURL']} is already a package here."
        self.packages.add(native_id, ref, taken)
        return helm.to_package(native_id, ref)

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

    def _read(self, native_id: str) -> tuple[Kind, dict[str, Any] | None, dict[str, Any] | None]:
        """The deployment's kind and its two objects (applier, source); NotFound when neither exists (a
        deployment is gone only when both are)."""
        for kind in KINDS:
            applier = self._get(kind.applier, kind.applier_plural, native_id)
            source = self._get(SOURCE, kind.source_plural, native_id)
            if applier is not None or source is not None:
                return kind, applier, source
        raise NotFound(f"No Flux deployment '{native_id}'.")

    def _read_live(self, native_id: str) -> tuple[Kind, dict[str, Any], dict[str, Any]]:
        kind, applier, source = self._read(native_id)
        if (
            applier is None
            or source is None
            or any((o.get("metadata") or {}).get("deletionTimestamp") for o in (applier, source))
        ):
            raise Conflict(f"Flux deployment '{native_id}' is being deleted.")
        return kind, applier, source

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
        if not helm.is_chart(ref):
            mapping.kustomization_spec(request.name, ref["path"], request.values, self._config, "")
        native_id = mapping.native_id(self._config["namespace"], request.name)
        with contextlib.suppress(NotFound):
            self._read(native_id)
            raise Conflict(f"A Flux deployment '{request.name}' already exists.", field="name")

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        kind, _, _ = self._read_live(native_id)
        if update.package_id and helm.is_chart(self.packages.read(update.package_id)) != (kind is HELM_KIND):
            raise InvalidRequest(
                "A Flux deployment stays a HelmRelease or a Kustomization: give a descriptor of the same type.",
                field="descriptorId",
            )
        if kind is GIT:
            mapping.substitutions(update.values)

    def list_deployments(self) -> list[Deployment]:
        found = []
        for kind in KINDS:
            sources = {r["metadata"]["name"]: r for r in self._list(SOURCE, kind.source_plural)}
            found += [
                kind.mapping.to_deployment(a, sources.get(a["metadata"]["name"]))
                for a in self._list(kind.applier, kind.applier_plural)
            ]
        return sorted(found, key=lambda d: d.native_id)

    def get_deployment(self, native_id: str) -> Deployment:
        kind, applier, source = self._read(native_id)
        return kind.mapping.to_deployment(applier, source)

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        ref = self.packages.read(request.package_id)
        target = self._target(request.namespace)
        namespace = self._config["namespace"]
        if helm.is_chart(ref):
            source_ref = {"chart": ref["chart"], "version": ref["version"]}
            spec = helm.release_spec(request.name, ref["chart"], ref["version"], request.values, self._config, target)
            first = mapping.entry(1, request.package_id, source_ref, request.values)
            source = helm.helm_repository(
                request.name, namespace, request.package_id, ref["repoURL"], self._config["interval"]
            )
            applier = helm.helm_release(request.name, namespace, request.package_id, spec, first)
            return self._create(HELM_KIND, request.name, source, applier)
        git_ref = mapping.git_ref(ref["targetRevision"])
        spec = mapping.kustomization_spec(request.name, ref["path"], request.values, self._config, target)
        first = mapping.entry(1, request.package_id, git_ref, request.values)
        source = mapping.git_repository(
            request.name, namespace, request.package_id, ref, git_ref, self._config["interval"]
        )
        return self._create(
            GIT, request.name, source, mapping.kustomization(request.name, namespace, request.package_id, spec, first)
        )

    def _create(self, kind: Kind, name: str, source: dict[str, Any], applier: dict[str, Any]) -> Deployment:
        """Create the source, then what applies it; the source is taken back when the second write fails."""
        namespace = self._config["namespace"]
        created = self.kube.call(
            f"creating {source['kind']} {name}",
            "create_namespaced_custom_object",
            *SOURCE,
            namespace,
            kind.source_plural,
            source,
        )
        try:
            applied = self.kube.call(
                f"creating {applier['kind']} {name}",
                "create_namespaced_custom_object",
                *kind.applier,
                namespace,
                kind.applier_plural,
                applier,
            )
        except PluginError:
            with contextlib.suppress(PluginError):  # leave nothing half-made behind
                self._delete(SOURCE, kind.source_plural, namespace, name)
            raise
        return kind.mapping.to_deployment(applied, created)

    def _move(self, native_id: str, package_id: str, source_ref: Mapping[str, str], values: Mapping[str, Any]) -> None:
        """Point the source at `source_ref` and the Kustomization at the package's path with `values`, as the
        next revision."""
        _, kust, _ = self._read_live(native_id)
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

    def _move_release(self, native_id: str, package_id: str, version: str, values: Mapping[str, Any]) -> None:
        """Point the HelmRelease at the package's chart at `version` with `values`, and the HelmRepository at
        its repository, as the next revision; the outgoing one is pinned to the chart version released."""
        _, release, _ = self._read_live(native_id)
        ref = self.packages.read(package_id)
        target = str(release["spec"].get("targetNamespace") or self._config["destinationNamespace"])
        resolved = helm.resolved_version(release)
        entries = mapping.next_history(
            release,
            mapping.entry(0, package_id, {"chart": ref["chart"], "version": version}, values),
            self._config["maxHistory"],
            pin={"chartVersion": resolved} if resolved else {},
        )
        name = release["metadata"]["name"]
        release_ops, repo_ops = helm.move_patches(
            release,
            helm.release_spec(name, ref["chart"], version, values, self._config, target),
            entries,
            ref["repoURL"],
            self._config["interval"],
            package_id,
        )
        self._patch(HELM, helm.HELM_PLURAL, native_id, release_ops)
        self._patch(SOURCE, helm.SOURCE_PLURAL, native_id, repo_ops)

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        current = self.get_deployment(native_id)
        package_id = update.package_id or current.package_id
        ref = self.packages.read(package_id)
        if helm.is_chart(ref):
            self._move_release(native_id, package_id, ref["version"], update.values)
        else:
            self._move(native_id, package_id, mapping.git_ref(ref["targetRevision"]), update.values)
        return self.get_deployment(native_id)

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        kind, applier, _ = self._read_live(native_id)
        if kind is HELM_KIND:
            chart = helm.rollback_target(applier, revision)
            self._move_release(native_id, chart["packageId"], chart["version"], chart["values"])
            return
        target = mapping.rollback_target(applier, revision)
        self._move(native_id, target["packageId"], target["ref"], target["values"])

    def suspend_deployment(self, native_id: str) -> None:
        self._suspend(native_id, True)

    def resume_deployment(self, native_id: str) -> None:
        self._suspend(native_id, False)

    def _suspend(self, native_id: str, suspend: bool) -> None:
        """`spec.suspend` on both objects, as `flux suspend|resume` sets it: Flux stops (or starts again)
        reconciling them, and what it last applied stays as it is."""
        kind, _, _ = self._read_live(native_id)
        ops = [{"op": "add", "path": "/spec/suspend", "value": suspend}]
        self._patch(kind.applier, kind.applier_plural, native_id, ops)
        self._patch(SOURCE, kind.source_plural, native_id, ops)

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
        found = False
        for kind in KINDS:
            # What applies first: Flux's finalizer removes what it applied (prune, helm uninstall), which needs
            # no source.
            found = self._delete(kind.applier, kind.applier_plural, namespace, name) or found
            found = self._delete(SOURCE, kind.source_plural, namespace, name) or found
        if not found:
            raise NotFound(f"No Flux deployment '{native_id}'.")

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        kind, applier, source = self._read(native_id)
        return kind.mapping.to_status(applier, source)

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        kind, applier, source = self._read(native_id)
        return kind.mapping.to_revisions(applier or {}, source)
