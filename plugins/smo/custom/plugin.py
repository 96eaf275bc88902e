"""The custom SMO plugin: netweave's northbound push and the SMO North API calls, as a configurable REST/webhook
contract (see README.md). Which operations exist is configuration: one left out answers NotSupported (501).

Thin: the HTTP call and its authentication here, bodies and answers in mapping.py, templates in templates.py.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from jinja2 import TemplateError

from inventory.notifications.auth import signature
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, InvalidRequest, NotFound, NotSupported
from plugins.sdk.smo import (
    DeploymentEvent,
    InfrastructureEvent,
    InfrastructureInventory,
    Policy,
    PolicyStatus,
    ServiceModel,
    SMOPlugin,
    SyncedObject,
    WorkflowExecution,
    WorkflowRequest,
    WorkflowStatus,
)
from plugins.smo.custom import mapping, templates
from plugins.smo.custom.config import CustomSmoConfig

CAPABILITY_OPERATIONS = {
    Capability.INVENTORY_SYNC: ("syncInventory",),
    Capability.WORKFLOW_ORCHESTRATION: ("executeWorkflow",),
    Capability.SERVICE_MODELING: ("registerServiceModel", "getServiceModel", "listServiceModels"),
    Capability.POLICY_MANAGEMENT: ("applyPolicy",),
}


def _shown(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, parts.path, "", ""))


class CustomSMOPlugin(SMOPlugin):
    name = "custom"
    version = "1.0.0"
    config_class = CustomSmoConfig
    secret_fields = frozenset({"token", "password", "clientSecret", "hmacSecret"})

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._config: dict[str, Any] = {}
        self._client: httpx.Client | None = None
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------------------------

    def capabilities(self) -> frozenset[Capability]:
        operations = self._config.get("operations", {})
        return frozenset(
            capability for capability, names in CAPABILITY_OPERATIONS.items() if any(n in operations for n in names)
        )

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = self.validated_config(config)
        auth = self._config["auth"]
        verify: ssl.SSLContext | bool = self._config["verifyTls"]
        if verify:
            context = ssl.create_default_context(cafile=self._config["caBundle"] or None)
            if auth["type"] == "mtls":
                try:
                    context.load_cert_chain(auth["clientCertFile"], auth["clientKeyFile"])
                except (OSError, ssl.SSLError):
                    raise InvalidRequest(
                        f"Plugin instance '{self.instance_name}': auth.clientCertFile/clientKeyFile are not a "
                        "readable PEM certificate and key.",
                        field="auth.clientCertFile",
                    ) from None
            verify = context
        basic = (auth["username"], self._config["password"]) if auth["type"] == "basic" else None
        self._client = httpx.Client(
            verify=verify, timeout=self._config["timeoutSeconds"], follow_redirects=False, auth=basic
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def health(self) -> HealthStatus:
        base = self._config["baseUrl"]
        try:
            assert self._client is not None
            response = self._client.get(base)
        except httpx.HTTPError as exc:
            return HealthStatus(False, f"{_shown(base)} unreachable ({type(exc).__name__})")
        if response.status_code >= 500:
            return HealthStatus(False, f"{_shown(base)} answered HTTP {response.status_code}")
        return HealthStatus(True, f"{_shown(base)} answered HTTP {response.status_code}")

    # --- the HTTP call --------------------------------------------------------------------------------------

    def operation(self, name: str) -> dict[str, Any]:
        operation = self._config.get("operations", {}).get(name)
        if operation is None:
            raise NotSupported(f"Custom SMO instance '{self.instance_name}' has no '{name}' operation configured.")
        return dict(operation)

    def _oauth2_token(self, *, renew: bool = False) -> str:
        with self._lock:
            if self._token is not None and not renew and self._token[1] > time.monotonic():
                return self._token[0]
        auth = self._config["auth"]
        data = {"grant_type": "client_credentials"}
        if auth["scope"]:
            data["scope"] = auth["scope"]
        assert self._client is not None
        try:
            response = self._client.post(
                auth["tokenUrl"], data=data, auth=(auth["clientId"], self._config["clientSecret"])
            )
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"OAuth2 token endpoint unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise AuthenticationFailed(f"OAuth2 token endpoint answered HTTP {response.status_code}")
        try:
            body = response.json()
            value, lifetime = str(body["access_token"]), float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError):
            raise AuthenticationFailed("OAuth2 token endpoint answered without an access_token") from None
        with self._lock:
            self._token = (value, time.monotonic() + max(lifetime - 30, lifetime / 2))
        return value

    def _headers(self, operation: Mapping[str, Any], body: bytes, *, renew: bool) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if body:
            headers["Content-Type"] = operation["contentType"]
        kind = self._config["auth"]["type"]
        if kind == "bearer":
            headers["Authorization"] = f"Bearer {self._config['token']}"
        elif kind == "oauth2":
            headers["Authorization"] = f"Bearer {self._oauth2_token(renew=renew)}"
        elif kind == "hmac":
            headers[self._config["auth"]["signatureHeader"]] = signature(self._config["hmacSecret"], body)
        return headers

    def _render(self, name: str, source: str, context: Mapping[str, Any]) -> str:
        try:
            return templates.render(source, context)
        except TemplateError as exc:
            raise InvalidRequest(f"Custom SMO operation '{name}': its template failed ({exc.message}).") from None

    def call(self, name: str, context: Mapping[str, Any], native: Any = None) -> Any:
        """Run operation `name`: render path and body, send, map the answer's status to an SDK error."""
        operation = self.operation(name)
        path = self._render(name, operation["path"], context)
        if operation["template"]:
            body = self._render(name, operation["template"], context).encode()
        elif native is not None:
            body = json.dumps(native, sort_keys=True, default=str).encode()
        else:
            body = b""
        url = self._config["baseUrl"].rstrip("/") + "/" + path.lstrip("/")
        assert self._client is not None, "initialize() first"
        for attempt in (0, 1):
            try:
                response = self._client.request(
                    operation["method"],
                    url,
                    content=body or None,
                    headers=self._headers(operation, body, renew=attempt > 0),
                )
            except httpx.HTTPError as exc:
                raise BackendUnavailable(f"{_shown(url)} unreachable ({type(exc).__name__})") from None
            if response.status_code == 401 and self._config["auth"]["type"] == "oauth2" and attempt == 0:
                continue  # the token may have been revoked: fetch a new one, once
            break
        status = response.status_code
        if status in (401, 403):
            raise AuthenticationFailed(f"{operation['method']} {_shown(url)} answered HTTP {status}")
        if status == 404:
            raise NotFound(f"{operation['method']} {_shown(url)} answered HTTP 404")
        if status == 400 or status == 422:
            raise InvalidRequest(f"{operation['method']} {_shown(url)} answered HTTP {status}")
        if status >= 300:
            raise BackendUnavailable(f"{operation['method']} {_shown(url)} answered HTTP {status}")
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    # --- northbound -----------------------------------------------------------------------------------------

    def sync_infrastructure_inventory(self, inventory: InfrastructureInventory) -> Sequence[SyncedObject] | None:
        size = int(self._config["batchSize"])
        synced: list[SyncedObject] = []
        for body in mapping.inventory_batches(inventory, size):
            self.call("syncInventory", body, native=body)
            synced.extend(SyncedObject(o["objectType"], o["objectId"], o["objectId"]) for o in body["objects"])
        return synced

    def render_northbound(self, object_type: str, state: Mapping[str, Any]) -> Any:
        object_id = str(state.get(mapping.ID_FIELDS.get(object_type, ""), ""))
        body = {
            "complete": False,
            "batch": 1,
            "batches": 1,
            "oCloud": {},
            "objects": [{"objectType": object_type, "objectId": object_id, "state": dict(state)}],
            "removed": [],
        }
        operation = self.operation("syncInventory")
        if operation["template"]:
            return self._render("syncInventory", operation["template"], body)
        return body

    def publishes_events(self) -> bool:
        return "publishEvents" in self._config.get("operations", {})

    def event_batch_size(self) -> int:
        return int(self._config.get("batchSize", 100))

    def publish_events(self, events: Sequence[InfrastructureEvent | DeploymentEvent]) -> None:
        for chunk in mapping.batches(list(events), self.event_batch_size()):
            body = {"events": [mapping.event_body(event) for event in chunk]}
            self.call("publishEvents", body, native=body)

    def publish_infrastructure_event(self, event: InfrastructureEvent) -> None:
        self.publish_events([event])

    def publish_deployment_event(self, event: DeploymentEvent) -> None:
        self.publish_events([event])

    # --- southbound: the SMO North API ----------------------------------------------------------------------

    def execute_workflow(self, request: WorkflowRequest) -> WorkflowExecution:
        operation = self.operation("executeWorkflow")
        context = {"name": request.name, "parameters": dict(request.parameters)}
        answer = self.call("executeWorkflow", context, native=context)
        execution_id = mapping.pick(answer, operation["idField"])
        if execution_id in (None, ""):
            raise BackendUnavailable(
                f"Custom SMO '{self.instance_name}': executeWorkflow answered without '{operation['idField']}'."
            )
        status = mapping.pick(answer, operation["statusField"]) or "RUNNING"
        return WorkflowExecution(str(execution_id), str(status), details=answer if isinstance(answer, dict) else {})

    def get_workflow_status(self, execution_id: str) -> WorkflowStatus:
        operation = self.operation("getWorkflowStatus")
        answer = self.call("getWorkflowStatus", {"executionId": execution_id})
        status = mapping.pick(answer, operation["statusField"])
        message = mapping.pick(answer, operation["messageField"])
        return WorkflowStatus(execution_id, str(status or "UNKNOWN"), str(message or ""))

    def cancel_workflow(self, execution_id: str) -> None:
        self.call("cancelWorkflow", {"executionId": execution_id})

    def register_service_model(self, model: ServiceModel) -> None:
        body = {"modelId": model.model_id, "name": model.name, "version": model.version, "content": dict(model.content)}
        self.call("registerServiceModel", body, native=body)

    def _model(self, item: Any, model_id: str = "") -> ServiceModel:
        if not isinstance(item, Mapping):
            raise BackendUnavailable(
                f"Custom SMO '{self.instance_name}' answered a service model that is not an object."
            )
        return ServiceModel(
            str(item.get("modelId") or model_id),
            str(item.get("name", "")),
            str(item.get("version", "")),
            dict(item.get("content") or {}),
        )

    def get_service_model(self, model_id: str) -> ServiceModel:
        return self._model(self.call("getServiceModel", {"modelId": model_id}), model_id)

    def list_service_models(self) -> list[ServiceModel]:
        operation = self.operation("listServiceModels")
        answer = self.call("listServiceModels", {})
        items = mapping.pick(answer, operation["itemsField"]) if operation["itemsField"] else answer
        if not isinstance(items, list):
            raise BackendUnavailable(f"Custom SMO '{self.instance_name}': listServiceModels answered no list.")
        return [self._model(item) for item in items]

    def apply_policy(self, policy: Policy) -> None:
        body = {"policyId": policy.policy_id, "policyType": policy.policy_type, "content": dict(policy.content)}
        self.call("applyPolicy", body, native=body)

    def get_policy_status(self, policy_id: str) -> PolicyStatus:
        operation = self.operation("getPolicyStatus")
        answer = self.call("getPolicyStatus", {"policyId": policy_id})
        status = mapping.pick(answer, operation["statusField"])
        message = mapping.pick(answer, operation["messageField"])
        return PolicyStatus(policy_id, str(status or "UNKNOWN"), str(message or ""))
