"""The custom SMO as a DMS backend (plugin type `dms.custom-smo`): O2dms deployments routed to it (DMS routing
rules) are created, read and deleted through the SMO's configured deployment endpoints. Same config and HTTP
contract as the custom SMO plugin (an inner CustomSMOPlugin makes the calls); `statusMap` turns the SMO's status
into netweave's deployment phases. Upgrade, scale, rollback, history and logs are NotSupported."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.sdk import dms as sdk
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest, NotFound
from plugins.smo.custom import mapping
from plugins.smo.custom.config import CustomSmoConfig
from plugins.smo.custom.plugin import CustomSMOPlugin


class CustomSMODMSPlugin(sdk.DMSPlugin):
    name = "custom-smo"
    version = "1.0.0"
    config_class = CustomSmoConfig
    secret_fields = CustomSMOPlugin.secret_fields

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._smo = CustomSMOPlugin(instance_name)
        self._status_map: dict[str, str] = {}

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE})

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._smo.initialize(config)
        self._status_map = dict(self._smo.validated_config(config)["statusMap"])

    def close(self) -> None:
        self._smo.close()

    def health(self) -> HealthStatus:
        return self._smo.health()

    def upload_deployment_package(self, upload: sdk.DeploymentPackageUpload) -> sdk.DeploymentPackage:
        if upload.content or not upload.name:
            raise InvalidRequest(
                "A custom SMO package is a reference: send artifactRepoUrl, artifactName and version.",
                field="artifactName",
            )
        try:
            self._smo.call("getPackage", {"name": upload.name, "version": upload.version})
        except NotFound:
            raise InvalidRequest(
                f"The SMO has no package '{upload.name}' version '{upload.version}'.", field="artifactName"
            ) from None
        return sdk.DeploymentPackage(
            native_id=f"{upload.name}:{upload.version}",
            name=upload.name,
            version=upload.version,
            package_type=upload.package_type,
            artifact_repo_url=upload.repository_url,
            artifact_name=upload.name,
        )

    def delete_deployment_package(self, native_id: str) -> None:
        """The package lives in the SMO; netweave only forgets its reference."""

    def create_deployment(self, request: sdk.DeploymentRequest) -> sdk.Deployment:
        operation = self._smo.operation("createDeployment")
        name, _, version = request.package_id.partition(":")
        body = {
            "name": request.name,
            "package": {"name": name, "version": version},
            "namespace": request.namespace,
            "values": dict(request.values),
        }
        answer = self._smo.call("createDeployment", body, native=body)
        deployment_id = mapping.pick(answer, operation["idField"])
        if deployment_id in (None, ""):
            raise BackendUnavailable(f"The SMO answered createDeployment without '{operation['idField']}'.")
        return self._deployment(str(deployment_id), answer, request.name, request.package_id, request.values)

    def _phase(self, status: Any) -> str:
        return self._status_map.get(str(status), sdk.DeploymentPhase.UNKNOWN)

    def _deployment(
        self, native_id: str, answer: Any, name: str = "", package_id: str = "", values: Mapping[str, Any] | None = None
    ) -> sdk.Deployment:
        operation = self._smo.operation("getDeployment")
        status = mapping.pick(answer, operation["statusField"])
        body = answer if isinstance(answer, Mapping) else {}
        return sdk.Deployment(
            native_id=native_id,
            name=str(body.get("name") or name),
            package_id=package_id or str(mapping.pick(body, "package.name") or ""),
            namespace=str(body.get("namespace") or ""),
            status=self._phase(status) if status is not None else sdk.DeploymentPhase.PENDING_INSTALL,
            revision=1,
            values=dict(body.get("values") or values or {}),
        )

    def get_deployment(self, native_id: str) -> sdk.Deployment:
        answer = self._smo.call("getDeployment", {"deploymentId": native_id})
        package = mapping.pick(answer, "package") or {}
        package_id = f"{package.get('name', '')}:{package.get('version', '')}" if isinstance(package, Mapping) else ""
        return self._deployment(native_id, answer, package_id=package_id)

    def get_deployment_status(self, native_id: str) -> sdk.DeploymentStatus:
        operation = self._smo.operation("getDeployment")
        answer = self._smo.call("getDeployment", {"deploymentId": native_id})
        status = mapping.pick(answer, operation["statusField"])
        message = mapping.pick(answer, operation["messageField"])
        return sdk.DeploymentStatus(
            status=self._phase(status), message=str(message or ""), revision=1, details={"smo.status": str(status)}
        )

    def delete_deployment(self, native_id: str) -> None:
        self._smo.call("deleteDeployment", {"deploymentId": native_id})
