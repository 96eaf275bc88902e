"""ONAP's design-time and policy calls as the SMO North API uses them: SDC's distribution catalog (service models)
and the Policy Framework (policy-api to create, PAP to deploy and report). Pure: paths, bodies and answers.

- SDC: `GET /sdc/v1/catalog/services` (AssetMetadata list: uuid, invariantUUID, name, version, toscaModelURL,
  category, lifecycleState, distributionStatus, ...) and `GET /sdc/v1/catalog/services/{uuid}/metadata` (the
  detailed metadata: also description, resources, artifacts); headers `X-ECOMP-InstanceID` and basic auth.
- policy-api: `POST /policy/api/v1/policytypes/{policyTypeId}/versions/{policyTypeVersion}/policies` with a TOSCA
  service template holding the policy (`topology_template.policies[{<name>: {type, type_version, version,
  metadata, properties}}]`);
- PAP: `POST /policy/pap/v1/pdps/policies` `{"policies": [{"policy-id", "policy-version"}]}` deploys (202),
  `GET /policy/pap/v1/policies/status/{policyId}` lists the per-PDP deployment status (`state` SUCCESS, FAILURE or
  WAITING).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from plugins.sdk.errors import InvalidRequest
from plugins.sdk.smo import Policy, PolicyStatus, ServiceModel

SDC_SERVICES = "/sdc/v1/catalog/services"
POLICY_CREATE = "/policy/api/v1/policytypes/{type}/versions/{version}/policies"
PAP_DEPLOY = "/policy/pap/v1/pdps/policies"
PAP_STATUS = "/policy/pap/v1/policies/status/{policy}"
TOSCA_VERSION = "tosca_simple_yaml_1_1_0"
DEFAULT_VERSION = "1.0.0"


def service_model(asset: Mapping[str, Any]) -> ServiceModel:
    """An SDC service asset (list entry or detailed metadata) as a service model: the model id is SDC's uuid."""
    content = {key: value for key, value in asset.items() if key not in ("uuid", "name", "version")}
    return ServiceModel(str(asset.get("uuid", "")), str(asset.get("name", "")), str(asset.get("version", "")), content)


def service_metadata_path(model_id: str) -> str:
    return f"{SDC_SERVICES}/{quote(model_id, safe='')}/metadata"


def _name_and_version(value: str, field: str) -> tuple[str, str]:
    name, _, version = value.partition(":")
    if not name:
        raise InvalidRequest(f"{field} must be '<name>' or '<name>:<version>'.", field=field)
    return name, version or DEFAULT_VERSION


def policy_create(policy: Policy) -> tuple[str, dict[str, Any], tuple[str, str]]:
    """policy-api's path and TOSCA service template for `policy`, and the (policy-id, policy-version) to deploy.

    `policyType` is `<type>` or `<type>:<typeVersion>`, `policyId` `<id>` or `<id>:<version>` (versions default
    to 1.0.0); `content` is the policy's `properties`."""
    type_name, type_version = _name_and_version(policy.policy_type, "policyType")
    policy_id, version = _name_and_version(policy.policy_id, "policyId")
    body = {
        "tosca_definitions_version": TOSCA_VERSION,
        "topology_template": {
            "policies": [
                {
                    policy_id: {
                        "type": type_name,
                        "type_version": type_version,
                        "version": version,
                        "name": policy_id,
                        "metadata": {"policy-id": policy_id, "policy-version": version},
                        "properties": dict(policy.content),
                    }
                }
            ]
        },
    }
    path = POLICY_CREATE.format(type=quote(type_name, safe=""), version=quote(type_version, safe=""))
    return path, body, (policy_id, version)


def deploy_body(policy_id: str, version: str) -> dict[str, Any]:
    return {"policies": [{"policy-id": policy_id, "policy-version": version}]}


def status_path(policy_id: str) -> str:
    name, _ = _name_and_version(policy_id, "policyId")
    return PAP_STATUS.format(policy=quote(name, safe=""))


def policy_status(policy_id: str, answer: Any) -> PolicyStatus:
    """PAP's per-PDP statuses as one: FAILED if any PDP failed, DEPLOYED when all succeeded, DEPLOYING while some
    wait, NOT_DEPLOYED when no PDP group holds the policy."""
    entries: Sequence[Mapping[str, Any]] = (
        [e for e in answer if isinstance(e, Mapping)] if isinstance(answer, list) else []
    )
    states = [str(entry.get("state", "")).upper() for entry in entries]
    if not states:
        overall = "NOT_DEPLOYED"
    elif "FAILURE" in states:
        overall = "FAILED"
    elif all(state == "SUCCESS" for state in states):
        overall = "DEPLOYED"
    else:
        overall = "DEPLOYING"
    message = "; ".join(
        f"{e.get('pdpGroup', '?')}/{e.get('pdpType', '?')}/{e.get('pdpId', '?')}: {s}"
        for e, s in zip(entries, states, strict=True)
    )
    return PolicyStatus(policy_id, overall, message)
