"""onap-lcm: ONAP's SO as a DMS backend (the seed's DMS-backend mode of the ONAP plugin). An O2dms descriptor of
packageType `onap-service` names a service model in SO's catalog (artifactName = the model's invariant UUID,
version = its version); deploying it creates a service instance through SO's service-instantiation API, whose
asynchronous request (IN_PROGRESS -> COMPLETE / FAILED, percentProgress) netweave polls like any deployment.

Thin: HTTP here, bodies and states in so.py. Upgrade, scale, rollback, history and logs are NotSupported."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
from rest_framework import serializers

from plugins.sdk import dms as sdk
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, InvalidRequest, NotFound
from plugins.smo.custom.config import UrlField
from plugins.smo.onap import sdnc, so
from plugins.smo.onap.config import SoTargetConfig


class OnapLcmConfig(SoTargetConfig):
    soUrl = UrlField(max_length=500, help_text="SO base URL (service instantiation, orchestration requests, catalog).")
    username = serializers.CharField(default="", allow_blank=True, max_length=200)
    password = serializers.CharField(default="", allow_blank=True, write_only=True)
    cloudOwner = serializers.CharField(default="netweave", max_length=100)
    sdncUrl = UrlField(default="", allow_blank=True, max_length=500, help_text="SDNC base URL (GR-API preload).")
    timeoutSeconds = serializers.FloatField(default=10.0, min_value=0.1, max_value=300.0)
    caBundle = serializers.CharField(default="", allow_blank=True, max_length=500)
    verifyTls = serializers.BooleanField(default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("preloadVnfType") and not attrs.get("sdncUrl"):
            raise serializers.ValidationError({"sdncUrl": ["preloadVnfType preloads through SDNC: set sdncUrl."]})
        return attrs


class OnapLcmDMSPlugin(sdk.DMSPlugin):
    name = "onap-lcm"
    version = "1.0.0"
    config_class = OnapLcmConfig
    secret_fields = frozenset({"password"})

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._config: dict[str, Any] = {}
        self._http: httpx.Client | None = None

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.PACKAGE_MANAGEMENT, Capability.DEPLOYMENT_LIFECYCLE})

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = c = self.validated_config(config)
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=c["caBundle"] or None) if c["verifyTls"] else False
        )
        auth = (c["username"], c["password"]) if c["username"] else None
        self._http = httpx.Client(
            base_url=c["soUrl"].rstrip("/"),
            verify=verify,
            timeout=c["timeoutSeconds"],
            follow_redirects=False,
            auth=auth,
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _call(self, method: str, path: str, component: str = "SO", **kwargs: Any) -> Any:
        assert self._http is not None, "initialize() first"
        headers = {"Accept": "application/json", "X-ONAP-PartnerName": "netweave"}
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{component} unreachable ({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise AuthenticationFailed(f"{component} {method} {path} answered HTTP {response.status_code}")
        if response.status_code == 404:
            raise NotFound(f"{component} {method} {path.split('?')[0]}: not found")
        if response.status_code == 400:
            raise InvalidRequest(f"{component} refused {method} {path.split('?')[0]}: {response.text[:300]}")
        if response.status_code >= 300:
            raise BackendUnavailable(f"{component} {method} {path.split('?')[0]} answered HTTP {response.status_code}")
        return response.json() if response.content else None

    def health(self) -> HealthStatus:
        """SO's global health check: reachable, and every subsystem it asks (request DB, catalog DB, BPMN, the
        adapters) UP. A DOWN subsystem is unhealthy too: SO would accept a request it cannot run."""
        try:
            answer = self._call("GET", so.GLOBAL_HEALTH, params={"enableBpmn": "true"})
        except (BackendUnavailable, AuthenticationFailed, NotFound) as exc:
            return HealthStatus(False, exc.detail)
        subsystems = [s for s in (answer or {}).get("subsystems") or [] if isinstance(s, dict)]
        down = sorted(str(s.get("subsystem")) for s in subsystems if str(s.get("status", "")).upper() != "UP")
        if down:
            return HealthStatus(False, f"SO global health check: {', '.join(down)} DOWN")
        return HealthStatus(True, f"SO global health check: {len(subsystems)} subsystems UP")

    # --- packages: service models in SO's catalog ----------------------------------------------------------

    def _catalog(self, **params: str) -> dict[str, Any]:
        try:
            answer = self._call("GET", so.CATALOG, params=params)
        except NotFound:
            answer = None
        info = so.model_info(answer or {})
        if not info["modelVersionId"]:
            wanted = ", ".join(f"{k}={v}" for k, v in params.items())
            raise InvalidRequest(f"SO's catalog has no service model with {wanted}.", field="artifactName")
        return answer or {}

    def upload_deployment_package(self, upload: sdk.DeploymentPackageUpload) -> sdk.DeploymentPackage:
        if upload.content or not upload.name:
            raise InvalidRequest(
                "An onap-service descriptor names a service model in SO's catalog: send artifactRepoUrl (the SO "
                "catalog), artifactName (the model's invariant UUID) and version, not an archive.",
                field="artifactName",
            )
        params = {"serviceModelInvariantUuid": upload.name}
        if upload.version:
            params["serviceModelVersion"] = upload.version
        return so.package(self._catalog(**params))

    def get_deployment_package(self, native_id: str) -> sdk.DeploymentPackage:
        return so.package(self._catalog(serviceModelUuid=native_id))

    def delete_deployment_package(self, native_id: str) -> None:
        """Models are distributed to SO by SDC; netweave only forgets its reference, SO's catalog is left as is."""

    # --- deployments: service instances ----------------------------------------------------------------------

    def check_deployment(self, request: sdk.DeploymentRequest) -> None:
        self._catalog(serviceModelUuid=request.package_id)

    def create_deployment(self, request: sdk.DeploymentRequest) -> sdk.Deployment:
        info = so.model_info(self._catalog(serviceModelUuid=request.package_id))
        body = so.create_body(request, info, self._config)
        if self._config["preloadVnfType"]:
            self._preload(request)
            body["requestDetails"]["requestParameters"]["usePreload"] = True
        answer = self._call("POST", so.INSTANCES, json=body)
        references = (answer or {}).get("requestReferences") or {}
        instance_id = str(references.get("instanceId") or "")
        if not instance_id:
            raise BackendUnavailable("SO accepted the service instantiation without an instanceId")
        return sdk.Deployment(
            native_id=instance_id,
            name=request.name,
            package_id=request.package_id,
            status=sdk.DeploymentPhase.PENDING_INSTALL,
            revision=1,
            values=dict(request.values),
            extensions={"onap.requestId": str(references.get("requestId", ""))},
        )

    def _preload(self, request: sdk.DeploymentRequest) -> None:
        """SDNC's GR-API VF-module preload (sdnc.py), before SO is asked to instantiate."""
        url = self._config["sdncUrl"].rstrip("/") + sdnc.PRELOAD
        answer = self._call("POST", url, "SDNC", json=sdnc.preload_body(request, self._config["preloadVnfType"]))
        refused = sdnc.refusal(answer)
        if refused:
            raise InvalidRequest(refused, field="values")

    def _requests(self, native_id: str) -> list[dict[str, Any]]:
        answer = self._call("GET", f"{so.REQUESTS}?filter=serviceInstanceId:EQUALS:{quote(native_id, safe='')}")
        items = [entry.get("request", entry) for entry in (answer or {}).get("requestList", [])]
        if not items:
            raise NotFound(f"SO knows no service instance '{native_id}'.")
        return items

    def get_deployment(self, native_id: str) -> sdk.Deployment:
        requests = self._requests(native_id)
        current = so.latest(requests)
        assert current is not None
        state = str((current.get("requestStatus") or {}).get("requestState", ""))
        if current.get("requestType") == "deleteInstance" and state == "COMPLETE":
            raise NotFound(f"Service instance '{native_id}' was deleted.")
        create = next((r for r in requests if r.get("requestType") == "createInstance"), current)
        details = create.get("requestDetails") or {}
        return sdk.Deployment(
            native_id=native_id,
            name=str((details.get("requestInfo") or {}).get("instanceName", "")),
            package_id=str((details.get("modelInfo") or {}).get("modelVersionId", "")),
            status=so.phase(current),
            revision=1,
            values=so.values_of(create),
        )

    def get_deployment_status(self, native_id: str) -> sdk.DeploymentStatus:
        current = so.latest(self._requests(native_id))
        assert current is not None
        status = current.get("requestStatus") or {}
        return sdk.DeploymentStatus(
            status=so.phase(current),
            message=str(status.get("statusMessage", "")),
            revision=1,
            details={
                "onap.requestId": str(current.get("requestId", "")),
                "onap.requestType": str(current.get("requestType", "")),
                "onap.requestState": str(status.get("requestState", "")),
                "onap.percentProgress": status.get("percentProgress"),
            },
        )

    def delete_deployment(self, native_id: str) -> None:
        requests = self._requests(native_id)
        create = next((r for r in requests if r.get("requestType") == "createInstance"), requests[0])
        info = (create.get("requestDetails") or {}).get("modelInfo") or {}
        self._call("DELETE", f"{so.INSTANCES}/{quote(native_id, safe='')}", json=so.delete_body(info))
