"""The Crossplane DMS plugin: a deployment is a claim (or a composite resource) of the configured XRD, written
through a kubeconfig; Crossplane composes it, and the Synced/Ready conditions it writes are what netweave
reports.

Packages are claim templates (template.py), kept as small JSON files. Create writes the claim with the
template's parameters and the deployment's values as `spec.parameters`, the composition choice and, if
configured, `writeConnectionSecretToRef`; update replaces the parameters; rollback re-applies a parameter set
netweave recorded (Crossplane keeps no history of a claim: mapping.py); delete removes the claim, and
Crossplane's finalizer removes its composite resource first. Connection secrets are named, never read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from plugins.dms.crossplane import mapping
from plugins.dms.crossplane.config import CrossplaneConfig
from plugins.dms.crossplane.template import PACKAGE_TYPE, inspect_claim_template
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


class CrossplaneDMSPlugin(CustomObjectsDMSPlugin):
    name = "crossplane"
    version = "1.0.0"
    config_class = CrossplaneConfig
    package_what = "claim template"
    where = "Crossplane instance"

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE, Capability.ROLLBACK})

    @property
    def _claims(self) -> bool:
        return bool(self._config["resource"] == "claim")

    @property
    def _kind(self) -> str:
        xrd = self._config["xrd"]
        return str(xrd["claimKind"] if self._claims else xrd["compositeKind"])

    def _type(self) -> tuple[str, str, str]:
        xrd = self._config["xrd"]
        return xrd["group"], xrd["version"], xrd["claimPlural"] if self._claims else xrd["compositePlural"]

    def _on_object(self, verb: str, native_id: str, *body: Any) -> Any:
        """`verb` (get, replace, delete) on the claim or composite resource `native_id`."""
        namespace, name = mapping.split_native_id(native_id, namespaced=self._claims)
        group, version, plural = self._type()
        what = f"{verb} {self._kind} {native_id}"
        try:
            if namespace:
                return self.kube.call(
                    what, f"{verb}_namespaced_custom_object", group, version, namespace, plural, name, *body
                )
            return self.kube.call(what, f"{verb}_cluster_custom_object", group, version, plural, name, *body)
        except NotFound:
            raise NotFound(f"No {self._kind} '{native_id}'.") from None

    def health(self) -> HealthStatus:
        try:
            self._list()
        except PluginError as exc:
            return HealthStatus(False, exc.detail)
        return HealthStatus(True, f"Crossplane {self._kind} objects are served by the cluster")

    # ------------------------------------------------------------------------------------------ packages

    def to_package(self, native_id: str, stored: Mapping[str, Any]) -> DeploymentPackage:
        return mapping.to_package(native_id, stored)

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        if upload.package_type != PACKAGE_TYPE:
            raise InvalidRequest(
                f"Crossplane deploys '{PACKAGE_TYPE}' templates, not '{upload.package_type}'.", field="packageType"
            )
        xrd = self._config["xrd"]
        template = inspect_claim_template(
            upload.content,
            max_bytes=self._config["maxPackageBytes"],
            api_version=f"{xrd['group']}/{xrd['version']}",
            kinds=(self._kind,),
        )
        native_id = f"{template.name}-{template.version}"
        stored = {
            "apiVersion": template.api_version,
            "kind": template.kind,
            "name": template.name,
            "version": template.version,
            "description": template.description,
            "spec": dict(template.spec),
        }
        self.packages.add(
            native_id, stored, f"Claim template {template.name} {template.version} is already a package here."
        )
        return mapping.to_package(native_id, stored)

    # ------------------------------------------------------------------------------------------ claims

    def _list(self) -> list[dict[str, Any]]:
        group, version, plural = self._type()
        listed = self.kube.call(
            f"listing {self._kind} objects",
            "list_cluster_custom_object",
            group,
            version,
            plural,
            label_selector=mapping.MANAGED_LABEL,
        )
        return list(listed.get("items") or [])

    def _read(self, native_id: str) -> dict[str, Any]:
        return dict(self._on_object("get", native_id))

    def _write(self, native_id: str, entry: Mapping[str, Any], template_spec: Mapping[str, Any]) -> None:
        """Replace the object's parameters (a merge patch would keep the keys the new set drops) and
        composition choice, and record the revision."""
        obj = self._read(native_id)
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations[mapping.PACKAGE_ANNOTATION] = entry["package"]
        annotations[mapping.REVISIONS_ANNOTATION] = mapping.with_revision(
            mapping.revisions(obj), entry, self._config["maxHistory"]
        )
        spec = obj.setdefault("spec", {})
        spec["parameters"] = dict(entry["parameters"])
        chosen = mapping.composition(template_spec, self._config)
        if chosen:
            for key in ("compositionRef", "compositionSelector"):
                spec.pop(key, None)
            spec.update(chosen)
        self._on_object("replace", native_id, obj)

    def _native(self, name: str, namespace: str) -> str:
        return mapping.native_id(namespace or self._config["namespace"], name) if self._claims else name

    def check_deployment(self, request: DeploymentRequest) -> None:
        self.packages.read(request.package_id)
        with contextlib.suppress(NotFound):
            self._read(self._native(request.name, request.namespace))
            raise Conflict(f"A {self._kind} '{request.name}' already exists.", field="name")

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        self._read(native_id)
        if update.package_id:
            self.packages.read(update.package_id)

    def list_deployments(self) -> list[Deployment]:
        return sorted((mapping.to_deployment(obj) for obj in self._list()), key=lambda d: d.native_id)

    def get_deployment(self, native_id: str) -> Deployment:
        return mapping.to_deployment(self._read(native_id))

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        template_spec = self.packages.read(request.package_id)["spec"]
        params = mapping.parameters(template_spec, request.values)
        entry = mapping.revision_entry(1, request.package_id, request.values, params, "Install")
        namespace = request.namespace or self._config["namespace"]
        body = mapping.resource_body(
            config=self._config,
            name=request.name,
            namespace=namespace,
            package_id=request.package_id,
            template_spec=template_spec,
            params=params,
            history=mapping.with_revision([], entry, self._config["maxHistory"]),
        )
        group, version, plural = self._type()
        what = f"creating {self._kind} {request.name}"
        if self._claims:
            created = self.kube.call(what, "create_namespaced_custom_object", group, version, namespace, plural, body)
        else:
            created = self.kube.call(what, "create_cluster_custom_object", group, version, plural, body)
        return mapping.to_deployment(created)

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        current = mapping.to_deployment(self._read(native_id))
        package_id = update.package_id or current.package_id
        template_spec = self.packages.read(package_id)["spec"]
        params = mapping.parameters(template_spec, update.values)
        entry = mapping.revision_entry(current.revision + 1, package_id, update.values, params, "Upgrade")
        self._write(native_id, entry, template_spec)
        return self.get_deployment(native_id)

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        obj = self._read(native_id)
        restored = mapping.revision_to_restore(obj, revision)
        package_id = str(restored["package"])
        entry = mapping.revision_entry(
            mapping.to_deployment(obj).revision + 1,
            package_id,
            restored.get("values") or {},
            restored.get("parameters") or {},
            f"Rollback to {revision}",
        )
        self._write(native_id, entry, self.packages.read(package_id)["spec"])

    def delete_deployment(self, native_id: str) -> None:
        self._on_object("delete", native_id)

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        return mapping.to_status(self._read(native_id))

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        return mapping.to_revisions(self._read(native_id))
