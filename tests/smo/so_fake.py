"""A fake ONAP SO for the onap-lcm DMS plugin's tests (BACKENDS.md: a fake checked against SO's published API).

A real HTTP server on loopback serving the SO calls the plugin makes: the API handler's global health check
(`GET /onap/so/infra/globalhealthcheck`, each subsystem UP or DOWN), the catalog's serviceResources, the v7
service instantiation (create and delete answer 202 with requestReferences), custom workflows
(instanceManagement v1) and orchestration requests (by id and
`filter=serviceInstanceId:EQUALS:<id>`). Request bodies are validated with JSON Schema (REQUEST_DETAILS below: the
requestDetails blocks SO's v7 API requires for an a-la-carte service create and delete). Requests are
asynchronous: each read moves percentProgress on by 50 until COMPLETE; a create whose userParams hold
`simulateFailure: true` ends FAILED instead.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import jsonschema

MODEL_INFO = {
    "type": "object",
    "required": ["modelType", "modelInvariantId", "modelVersionId", "modelName", "modelVersion"],
    "properties": {
        "modelType": {"enum": ["service"]},
        **{
            k: {"type": "string", "minLength": 1}
            for k in ("modelInvariantId", "modelVersionId", "modelName", "modelVersion")
        },
    },
}
CREATE = {
    "type": "object",
    "required": ["requestDetails"],
    "properties": {
        "requestDetails": {
            "type": "object",
            "required": [
                "modelInfo",
                "cloudConfiguration",
                "subscriberInfo",
                "requestInfo",
                "requestParameters",
                "owningEntity",
                "project",
            ],
            "properties": {
                "modelInfo": MODEL_INFO,
                "cloudConfiguration": {"type": "object", "required": ["lcpCloudRegionId", "tenantId"]},
                "subscriberInfo": {"type": "object", "required": ["globalSubscriberId"]},
                "requestInfo": {
                    "type": "object",
                    "required": ["instanceName", "source", "requestorId", "productFamilyId"],
                    "properties": {"suppressRollback": {"type": "boolean"}},
                },
                "requestParameters": {
                    "type": "object",
                    "required": ["subscriptionServiceType", "aLaCarte"],
                    "properties": {
                        "aLaCarte": {"type": "boolean"},
                        "userParams": {
                            "type": "array",
                            "items": {"type": "object", "required": ["name", "value"]},
                        },
                    },
                },
            },
        }
    },
}
DELETE = {
    "type": "object",
    "required": ["requestDetails"],
    "properties": {
        "requestDetails": {
            "type": "object",
            "required": ["modelInfo", "requestInfo"],
            "properties": {
                "modelInfo": MODEL_INFO,
                "requestInfo": {"type": "object", "required": ["source", "requestorId"]},
            },
        }
    },
}
WORKFLOW = {
    "type": "object",
    "required": ["requestDetails"],
    "properties": {
        "requestDetails": {
            "type": "object",
            "required": ["requestInfo", "requestParameters"],
            "properties": {"requestInfo": {"type": "object", "required": ["source", "requestorId"]}},
        }
    },
}
WORKFLOW_PREFIX = "/onap/so/infra/instanceManagement/v1/serviceInstances/"
INSTANCES = "/onap/so/infra/serviceInstantiation/v7/serviceInstances"
REQUESTS = "/onap/so/infra/orchestrationRequests/v7"
CATALOG = "/ecomp/mso/catalog/v2/serviceResources"
GLOBAL_HEALTH = "/onap/so/infra/globalhealthcheck"
# The subsystems SO's API handler asks (HealthCheckConfig endpoints; bpmn only with enableBpmn=true, the default).
SUBSYSTEMS = ("API HANDLER", "CATALOGDB", "REQUESTDB", "SDNC ADAPTER", "OPENSTACK ADAPTER", "BPMN")


def schema_error(data: Any, schema: Mapping[str, Any]) -> str | None:
    """Why `data` does not follow `schema` (JSON Schema), or None when it does."""
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        return str(exc.message)
    return None


@dataclass
class FakeSo:
    models: list[dict[str, str]] = field(default_factory=list)  # modelInfo as the catalog returns it
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    bodies: list[tuple[str, str, Any]] = field(default_factory=list)
    down: set[str] = field(default_factory=set)  # subsystems the global health check reports DOWN
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add_model(self, name: str, version: str) -> dict[str, str]:
        model = {
            "modelName": name,
            "modelUuid": str(uuid.uuid4()),
            "modelInvariantUuid": str(uuid.uuid4()),
            "modelVersion": version,
        }
        self.models.append(model)
        return model

    def descriptor(self, model: dict[str, str], version: str = "") -> dict[str, str]:
        """The O2dms NfDeploymentDescriptor body naming `model` in this SO's catalog (packageType onap-service)."""
        body = {"artifactRepoUrl": f"{self.url}/ecomp/mso/catalog", "artifactName": model["modelInvariantUuid"]}
        return {**body, **({"version": version} if version else {}), "packageType": "onap-service"}

    def received(self, method: str, path: str, body: bytes, schema: Mapping[str, Any]) -> tuple[Any, str | None]:
        """A request body, recorded in `bodies`, and why it does not follow `schema` (None when it does)."""
        data = json.loads(body)
        self.bodies.append((method, path, data))
        return data, schema_error(data, schema)

    def _advance(self, request: dict[str, Any]) -> dict[str, Any]:
        status = request["requestStatus"]
        if status["requestState"] == "IN_PROGRESS":
            status["percentProgress"] = min(status["percentProgress"] + 50, 100)
            if status["percentProgress"] >= 100:
                failing = request.pop("_fail", False)
                status["requestState"] = "FAILED" if failing else "COMPLETE"
                status["statusMessage"] = "Simulated failure" if failing else "Service instance processed"
                if failing:
                    status["percentProgress"] = 100
                request["finishTime"] = datetime.now(UTC).isoformat()
        return {k: v for k, v in request.items() if not k.startswith("_")}

    def _new_request(self, kind: str, instance_id: str, details: Any, fail: bool = False) -> dict[str, str]:
        request_id = str(uuid.uuid4())
        self.requests[request_id] = {
            "requestId": request_id,
            "requestType": kind,
            "requestScope": "service",
            "startTime": f"{datetime.now(UTC).isoformat()}#{len(self.requests):06d}",
            "instanceReferences": {"serviceInstanceId": instance_id},
            "requestDetails": details,
            "requestStatus": {"requestState": "IN_PROGRESS", "percentProgress": 0, "statusMessage": "In progress"},
            "_fail": fail,
        }
        return {"instanceId": instance_id, "requestId": request_id, "requestSelfLink": f"{REQUESTS}/{request_id}"}

    def handle(self, method: str, raw: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
        parts = urlsplit(raw)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        with self._lock:
            if method == "GET" and path == GLOBAL_HEALTH:
                return 200, self._global_health(query.get("enableBpmn", "true") != "false")
            if method == "GET" and path == CATALOG:
                for model in self.models:
                    if query.get("serviceModelUuid") == model["modelUuid"] or (
                        query.get("serviceModelInvariantUuid") == model["modelInvariantUuid"]
                        and query.get("serviceModelVersion", model["modelVersion"]) == model["modelVersion"]
                    ):
                        return 200, {"serviceResources": {"modelInfo": dict(model)}}
                return 404, None
            if method == "POST" and path == INSTANCES:
                data, refused = self.received(method, path, body, CREATE)
                if refused:
                    return 400, {"requestError": {"serviceException": {"text": refused}}}
                params = data["requestDetails"]["requestParameters"].get("userParams", [])
                fail = any(p["name"] == "simulateFailure" and p["value"] is True for p in params)
                return 202, {
                    "requestReferences": self._new_request(
                        "createInstance", str(uuid.uuid4()), data["requestDetails"], fail
                    )
                }
            if method == "DELETE" and path.startswith(INSTANCES + "/"):
                data, refused = self.received(method, path, body, DELETE)
                if refused:
                    return 400, {"requestError": {"serviceException": {"text": refused}}}
                instance_id = path.rsplit("/", 1)[1]
                if not any(r["instanceReferences"]["serviceInstanceId"] == instance_id for r in self.requests.values()):
                    return 404, None
                return 202, {
                    "requestReferences": self._new_request("deleteInstance", instance_id, data["requestDetails"])
                }
            if method == "POST" and path.startswith(WORKFLOW_PREFIX):
                instance_id, _, workflow = path[len(WORKFLOW_PREFIX) :].partition("/workflows/")
                data, refused = self.received(method, path, body, WORKFLOW)
                if refused:
                    return 400, {"requestError": {"serviceException": {"text": refused}}}
                details = {**data["requestDetails"], "workflowUuid": workflow}
                return 202, {"requestReferences": self._new_request("workflow", instance_id, details)}
            if method == "GET" and path.startswith(REQUESTS + "/"):
                request = self.requests.get(path.rsplit("/", 1)[1])
                return (200, {"request": self._advance(request)}) if request else (404, None)
            if method == "GET" and path == REQUESTS:
                key, _, value = query.get("filter", "").partition(":EQUALS:")
                found = [
                    {"request": self._advance(r)}
                    for r in self.requests.values()
                    if key == "serviceInstanceId" and r["instanceReferences"]["serviceInstanceId"] == value
                ]
                return 200, {"requestList": found}
        return 404, None

    def _global_health(self, bpmn: bool) -> dict[str, Any]:
        """SO's API handler GlobalHealthcheckHandler answer: 200 with each subsystem's actuator status, UP or DOWN
        (its HealthCheckResponse: `subsystems` of {subsystem, uri, status}, and `message`)."""
        subsystems = [name for name in SUBSYSTEMS if bpmn or name != "BPMN"]
        return {
            "subsystems": [
                {
                    "subsystem": name,
                    "uri": f"http://so-{name.lower().replace(' ', '-')}:8080/manage/health",
                    "status": "DOWN" if name in self.down else "UP",
                }
                for name in subsystems
            ],
            "message": "HttpStatus: 200",
        }

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and the client's delayed
                # ACK add about 40 ms to every keep-alive request.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                content = self.rfile.read(length) if length else b""
                status, answer = fake.handle(self.command, self.path, content, dict(self.headers))
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
