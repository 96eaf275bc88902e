"""SO (ONAP's Service Orchestrator) as seen by the onap-lcm DMS plugin: request bodies and answers, pure.

Calls (SO's published northbound API):
- catalog: `GET /ecomp/mso/catalog/v2/serviceResources?serviceModelInvariantUuid=&serviceModelVersion=` (or
  `serviceModelUuid=`): the service model a package names;
- `POST /onap/so/infra/serviceInstantiation/v7/serviceInstances`: create (202, requestReferences);
- `DELETE /onap/so/infra/serviceInstantiation/v7/serviceInstances/{serviceInstanceId}`: delete (202);
- `GET /onap/so/infra/orchestrationRequests/v7/{requestId}` and
  `GET /onap/so/infra/orchestrationRequests/v7?filter=serviceInstanceId:EQUALS:{id}`: request states
  (IN_PROGRESS, COMPLETE, FAILED, with percentProgress).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from plugins.sdk import dms as sdk

CATALOG = "/ecomp/mso/catalog/v2/serviceResources"
INSTANCES = "/onap/so/infra/serviceInstantiation/v7/serviceInstances"
REQUESTS = "/onap/so/infra/orchestrationRequests/v7"
# SO's API handler asks each of its subsystems' actuator /manage/health and answers their UP/DOWN in one list.
GLOBAL_HEALTH = "/onap/so/infra/globalhealthcheck"
WORKFLOWS = "/onap/so/infra/instanceManagement/v1/serviceInstances/{instance}/workflows/{workflow}"
WORKFLOW_STATES = {"IN_PROGRESS": "RUNNING", "COMPLETE": "COMPLETED", "FAILED": "FAILED"}


def workflow_body(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The requestDetails of a custom workflow run (SO instanceManagement): `parameters` other than
    serviceInstanceId become the workflow's userParams."""
    user = [{"name": str(k), "value": v} for k, v in sorted(parameters.items()) if k != "serviceInstanceId"]
    return {
        "requestDetails": {
            "requestInfo": {"source": "netweave-smo-api", "requestorId": "netweave", "suppressRollback": False},
            "requestParameters": {"userParams": user},
        }
    }


def model_info(catalog: Mapping[str, Any]) -> dict[str, str]:
    """The SO modelInfo of a catalog answer's service."""
    info = (catalog.get("serviceResources") or {}).get("modelInfo") or {}
    return {
        "modelType": "service",
        "modelInvariantId": str(info.get("modelInvariantUuid", "")),
        "modelVersionId": str(info.get("modelUuid", "")),
        "modelName": str(info.get("modelName", "")),
        "modelVersion": str(info.get("modelVersion", "")),
    }


def package(catalog: Mapping[str, Any]) -> sdk.DeploymentPackage:
    info = model_info(catalog)
    return sdk.DeploymentPackage(
        native_id=info["modelVersionId"],
        name=info["modelName"],
        version=info["modelVersion"],
        package_type="onap-service",
        description=f"ONAP service model {info['modelName']} {info['modelVersion']}",
        extensions={"onap.modelInvariantId": info["modelInvariantId"], "onap.modelVersionId": info["modelVersionId"]},
    )


def create_body(request: sdk.DeploymentRequest, info: Mapping[str, str], config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "requestDetails": {
            "modelInfo": dict(info),
            "cloudConfiguration": {
                "cloudOwner": config["cloudOwner"],
                "lcpCloudRegionId": config["lcpCloudRegionId"],
                "tenantId": config["tenantId"],
            },
            "owningEntity": {
                "owningEntityId": config["owningEntityId"],
                "owningEntityName": config["owningEntityName"],
            },
            "project": {"projectName": config["projectName"]},
            "subscriberInfo": {"globalSubscriberId": config["globalSubscriberId"]},
            "requestInfo": {
                "instanceName": request.name,
                "productFamilyId": config["productFamilyId"],
                "source": "netweave-o2dms",
                "requestorId": "netweave",
                "suppressRollback": False,
            },
            "requestParameters": {
                "subscriptionServiceType": config["subscriptionServiceType"],
                "aLaCarte": True,
                "userParams": [{"name": str(k), "value": v} for k, v in sorted(request.values.items())],
            },
        }
    }


def delete_body(info: Mapping[str, str]) -> dict[str, Any]:
    return {
        "requestDetails": {
            "modelInfo": dict(info),
            "requestInfo": {"source": "netweave-o2dms", "requestorId": "netweave"},
            "requestParameters": {"aLaCarte": True},
        }
    }


PHASES = {
    ("createInstance", "IN_PROGRESS"): sdk.DeploymentPhase.PENDING_INSTALL,
    ("createInstance", "COMPLETE"): sdk.DeploymentPhase.DEPLOYED,
    ("createInstance", "FAILED"): sdk.DeploymentPhase.FAILED,
    ("deleteInstance", "IN_PROGRESS"): sdk.DeploymentPhase.UNINSTALLING,
    ("deleteInstance", "FAILED"): sdk.DeploymentPhase.FAILED,
}


def latest(requests: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The newest orchestration request of a filter answer (by startTime, then list order)."""
    items = [entry.get("request", entry) for entry in requests]
    return max(items, key=lambda r: str(r.get("startTime", "")), default=None)


def phase(request: Mapping[str, Any]) -> str:
    state = str((request.get("requestStatus") or {}).get("requestState", ""))
    return PHASES.get((str(request.get("requestType", "")), state), sdk.DeploymentPhase.UNKNOWN)


def values_of(create: Mapping[str, Any]) -> dict[str, Any]:
    params = ((create.get("requestDetails") or {}).get("requestParameters") or {}).get("userParams") or []
    return {str(p.get("name")): p.get("value") for p in params if isinstance(p, Mapping)}
