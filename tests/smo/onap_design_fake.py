"""A fake of ONAP's SDC distribution catalog and Policy Framework (policy-api, PAP) beside the fake SO, on one
loopback server (ONAP's ingress routes them by path). BACKENDS.md: no runnable SDC or Policy Framework here; the
shapes follow their published APIs:

- SDC (SDC's "consumer" external API): `GET /sdc/v1/catalog/services` answers the AssetMetadata list,
  `GET /sdc/v1/catalog/services/{uuid}/metadata` the detailed metadata; a request without `X-ECOMP-InstanceID` is
  400 (POL5001), an unknown uuid 404 (SVC4063).
- policy-api: `POST /policy/api/v1/policytypes/{type}/versions/{version}/policies` takes a TOSCA service template,
  validated with JSON Schema (TOSCA_POLICIES below); an unknown policy type is 404, a policy whose type differs from
  the path's (or of another type version) 406.
- PAP: `POST /policy/pap/v1/pdps/policies` deploys stored policies (unknown: 400) and answers 202 with the status
  URI; `GET /policy/pap/v1/policies/status/{policyId}` lists the per-PDP status, WAITING on the first read after a
  deployment and SUCCESS after it (FAILURE when the policy's properties hold `simulateFailure: true`).
- SDNC (GR-API): `POST /restconf/operations/GENERIC-RESOURCE-API:preload-vf-module-topology-operation` validated
  with JSON Schema (PRELOAD below: the input's header, request information and VF-module topology); a vnf-type not
  in `vnf_types` is answered, as SDNC does, with HTTP 200 and `response-code` 400 in the output.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.smo.so_fake import FakeSo

SDC = "/sdc/v1/catalog/services"
POLICY_TYPES = "/policy/api/v1/policytypes/"
PAP_DEPLOY = "/policy/pap/v1/pdps/policies"
PAP_STATUS = "/policy/pap/v1/policies/status/"
SDNC_PRELOAD = "/restconf/operations/GENERIC-RESOURCE-API:preload-vf-module-topology-operation"
POLICY_TYPE_NAMES = {"onap.policies.monitoring.tcagen2", "onap.policies.native.Apex"}


def _policies(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema: an object whose `policies` is a non-empty array of `item`."""
    return {
        "type": "object",
        "required": ["policies"],
        "properties": {"policies": {"type": "array", "minItems": 1, "items": item}},
    }


TOSCA_POLICIES = {
    "type": "object",
    "required": ["tosca_definitions_version", "topology_template"],
    "properties": {
        "tosca_definitions_version": {"enum": ["tosca_simple_yaml_1_1_0"]},
        "topology_template": _policies(
            {
                "type": "object",
                "minProperties": 1,
                "maxProperties": 1,
                "additionalProperties": {
                    "type": "object",
                    "required": ["type", "type_version", "version", "properties"],
                    "properties": {
                        "type": {"type": "string"},
                        "type_version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                        "name": {"type": "string"},
                        "metadata": {
                            "type": "object",
                            "required": ["policy-id", "policy-version"],
                            "properties": {"policy-id": {"type": "string"}, "policy-version": {"type": "string"}},
                        },
                        "properties": {"type": "object"},
                    },
                },
            }
        ),
    },
}
PRELOAD = {
    "type": "object",
    "required": ["input"],
    "properties": {
        "input": {
            "type": "object",
            "required": ["sdnc-request-header", "request-information", "preload-vf-module-topology-information"],
            "properties": {
                "sdnc-request-header": {"type": "object", "required": ["svc-request-id", "svc-action"]},
                "request-information": {"type": "object", "required": ["request-id", "request-action"]},
                "preload-vf-module-topology-information": {
                    "type": "object",
                    "required": ["vnf-topology-identifier-structure", "vf-module-topology"],
                    "properties": {
                        "vnf-topology-identifier-structure": {"type": "object", "required": ["vnf-name", "vnf-type"]},
                        "vf-module-topology": {
                            "type": "object",
                            "required": ["vf-module-topology-identifier", "vf-module-parameters"],
                            "properties": {
                                "vf-module-parameters": {
                                    "type": "object",
                                    "properties": {
                                        "param": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "required": ["name", "value"],
                                                "properties": {"value": {"type": "string"}},
                                            },
                                        }
                                    },
                                }
                            },
                        },
                    },
                },
            },
        }
    },
}
DEPLOY = _policies(
    {
        "type": "object",
        "required": ["policy-id"],
        "properties": {"policy-id": {"type": "string"}, "policy-version": {"type": "string"}},
    }
)


@dataclass
class FakeOnap(FakeSo):
    services: list[dict[str, Any]] = field(default_factory=list)  # SDC detailed metadata per service
    policies: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (id, version) -> TOSCA policy
    deployments: dict[str, int] = field(default_factory=dict)  # policy id -> status reads since its deployment
    vnf_types: set[str] = field(default_factory=lambda: {"du-vnf"})  # what SDNC can preload
    preloads: list[dict[str, Any]] = field(default_factory=list)  # stored preload-vf-module-topology-information

    def add_service(self, name: str, version: str = "1.0") -> dict[str, Any]:
        service = {
            "uuid": str(uuid.uuid4()),
            "invariantUUID": str(uuid.uuid4()),
            "name": name,
            "version": version,
            "toscaModelURL": "",
            "category": "Network Service",
            "lifecycleState": "CERTIFIED",
            "lastUpdaterUserId": "cs0008",
            "distributionStatus": "DISTRIBUTED",
            "description": f"{name} service",
            "resources": [],
            "artifacts": [],
        }
        service["toscaModelURL"] = f"{SDC}/{service['uuid']}/toscaModel"
        self.services.append(service)
        return service

    def handle(self, method: str, raw: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, Any]:
        path = urlsplit(raw).path
        if path.startswith(SDC):
            return self._sdc(method, path, headers)
        if path == SDNC_PRELOAD and method == "POST":
            with self._lock:
                return self._preload(path, body)
        if path.startswith("/policy/"):
            with self._lock:
                return self._policy(method, path, body)
        return super().handle(method, raw, body, headers)

    def _sdc(self, method: str, path: str, headers: Mapping[str, str]) -> tuple[int, Any]:
        if not any(key.lower() == "x-ecomp-instanceid" and value for key, value in headers.items()):
            return 400, {"requestError": {"policyException": {"messageId": "POL5001"}}}
        listed = ("uuid", "invariantUUID", "name", "version", "toscaModelURL", "category", "lifecycleState")
        if method == "GET" and path == SDC:
            return 200, [{k: s[k] for k in (*listed, "lastUpdaterUserId", "distributionStatus")} for s in self.services]
        if method == "GET" and path.endswith("/metadata"):
            wanted = unquote(path[len(SDC) + 1 : -len("/metadata")])
            found = next((s for s in self.services if s["uuid"] == wanted), None)
            return (200, found) if found else (404, {"requestError": {"serviceException": {"messageId": "SVC4063"}}})
        return 405, None

    def _preload(self, path: str, body: bytes) -> tuple[int, Any]:
        data, refused = self.received("POST", path, body, PRELOAD)
        if refused:
            return 400, {"errors": {"error": [{"error-message": refused}]}}
        information = data["input"]["preload-vf-module-topology-information"]
        request_id = data["input"]["sdnc-request-header"]["svc-request-id"]
        vnf_type = information["vnf-topology-identifier-structure"]["vnf-type"]
        if vnf_type not in self.vnf_types:
            message = f"vnf-type {vnf_type} is not in the service model"
            output = {"svc-request-id": request_id, "response-code": "400", "response-message": message}
            return 200, {"output": {**output, "ack-final-indicator": "Y"}}
        self.preloads.append(information)
        output = {"svc-request-id": request_id, "response-code": "200", "ack-final-indicator": "Y"}
        return 200, {"output": output}

    def _policy(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        if method == "POST" and path.startswith(POLICY_TYPES) and path.endswith("/policies"):
            type_name, _, rest = path[len(POLICY_TYPES) :].partition("/versions/")
            type_version = unquote(rest.removesuffix("/policies"))
            if unquote(type_name) not in POLICY_TYPE_NAMES:
                return 404, {"error": f"policy type {type_name} not found"}
            data, refused = self.received(method, path, body, TOSCA_POLICIES)
            if refused:
                return 400, {"error": refused}
            for entry in data["topology_template"]["policies"]:
                for name, policy in entry.items():
                    if (policy["type"], policy["type_version"]) != (unquote(type_name), type_version):
                        return 406, {"error": f"policy {name} is not of type {type_name}"}
                    self.policies[(name, policy["version"])] = policy
            return 200, data
        if method == "POST" and path == PAP_DEPLOY:
            data, refused = self.received(method, path, body, DEPLOY)
            if refused:
                return 400, {"errorDetails": refused}
            for item in data["policies"]:
                if (item["policy-id"], item.get("policy-version", "1.0.0")) not in self.policies:
                    return 400, {"errorDetails": f"could not find policy {item['policy-id']}"}
                self.deployments[item["policy-id"]] = 0
            return 202, {"message": "Deployment request accepted", "uri": "/policy/pap/v1/policies/status"}
        if method == "GET" and path.startswith(PAP_STATUS):
            policy_id = unquote(path[len(PAP_STATUS) :])
            if policy_id not in self.deployments:
                return 200, []
            reads = self.deployments[policy_id] = self.deployments[policy_id] + 1
            [(version, policy)] = [(v, p) for (i, v), p in self.policies.items() if i == policy_id]
            failing = policy["properties"].get("simulateFailure") is True
            state = "WAITING" if reads == 1 else ("FAILURE" if failing else "SUCCESS")
            return 200, [
                {
                    "pdpGroup": "defaultGroup",
                    "pdpType": "apex",
                    "pdpId": "apex-0",
                    "policy": {"name": policy_id, "version": version},
                    "policyType": {"name": policy["type"], "version": policy["type_version"]},
                    "deploy": True,
                    "state": state,
                }
            ]
        return 404, None
