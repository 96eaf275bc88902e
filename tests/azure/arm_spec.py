"""What Microsoft's REST API specifications say of the ARM operations the azure plugin uses, for the api-versions
the pinned SDKs send, as facts the fake ARM (tests/azure/fake_arm.py) is checked against on every answer.

Sources (azure-rest-api-specs; cited in plugins/ims/azure/README.md):
- Microsoft.ContainerService `aks/stable/2026-08-01/managedClusters.json` (operations ManagedClusters_List,
  ManagedClusters_ListByResourceGroup, ManagedClusters_Get, AgentPools_List/Get/CreateOrUpdate/Delete; the
  async operation status of ARM's common types) and its examples (AgentPools_Update.json: 200 and 201 bodies;
  AgentPoolsDelete.json: 202 with a location header, or 204);
- Microsoft.Compute `2026-04-01` (VirtualMachineScaleSets_List, VirtualMachineScaleSetVMs_List,
  VirtualMachineSizes_List).

The schemas below are written from those facts (property names, types, required keys, status codes); they are a
subset: what the plugin reads plus the identity every ARM resource carries.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema

AKS_API_VERSION = "2026-08-01"
COMPUTE_API_VERSION = "2026-04-01"
SUB = "/subscriptions/(?P<subscriptionId>[^/]+)"
RG = f"{SUB}/resourceGroups/(?P<resourceGroupName>[^/]+)"
AKS = f"{RG}/providers/Microsoft.ContainerService/managedClusters"


def _obj(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


STRING, INT, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
STRINGS = {"type": "array", "items": STRING}
TAGS = {"type": "object", "additionalProperties": STRING}
PROVISIONING = {"type": "string"}
POWER_STATE = _obj([], {"code": {"enum": ["Running", "Stopped"]}})
AGENT_POOL_PROPERTIES = _obj(
    [],
    {
        "count": INT,
        "vmSize": STRING,
        "osType": {"enum": ["Linux", "Windows"]},
        "osSKU": STRING,
        "mode": {"enum": ["System", "User", "Gateway", "ManagedSystem", "Machines"]},
        "type": {"enum": ["VirtualMachineScaleSets", "AvailabilitySet", "VirtualMachines"]},
        "maxPods": INT,
        "enableAutoScaling": BOOL,
        "availabilityZones": STRINGS,
        "orchestratorVersion": STRING,
        "currentOrchestratorVersion": STRING,
        "provisioningState": PROVISIONING,
        "powerState": POWER_STATE,
        "nodeLabels": TAGS,
    },
)
ARM_RESOURCE = {"id": STRING, "name": STRING, "type": STRING}
AGENT_POOL = _obj(["id", "name", "type", "properties"], {**ARM_RESOURCE, "properties": AGENT_POOL_PROPERTIES})
MANAGED_CLUSTER = _obj(
    ["id", "name", "type", "location"],
    {
        **ARM_RESOURCE,
        "location": STRING,
        "tags": TAGS,
        "sku": _obj([], {"name": {"enum": ["Base", "Automatic"]}, "tier": {"enum": ["Free", "Standard", "Premium"]}}),
        "properties": _obj(
            [],
            {
                "provisioningState": PROVISIONING,
                "powerState": POWER_STATE,
                "kubernetesVersion": STRING,
                "currentKubernetesVersion": STRING,
                "dnsPrefix": STRING,
                "fqdn": STRING,
                "nodeResourceGroup": STRING,
                "agentPoolProfiles": {
                    "type": "array",
                    "items": {
                        **AGENT_POOL_PROPERTIES,
                        "required": ["name"],
                        "properties": {**AGENT_POOL_PROPERTIES["properties"], "name": STRING},
                    },
                },
            },
        ),
    },
)
SKU = _obj([], {"name": STRING, "tier": STRING, "capacity": INT})
VMSS = _obj(
    ["id", "name", "type", "location"],
    {
        **ARM_RESOURCE,
        "location": STRING,
        "tags": TAGS,
        "sku": SKU,
        "zones": STRINGS,
        "properties": _obj([], {"provisioningState": STRING, "orchestrationMode": {"enum": ["Uniform", "Flexible"]}}),
    },
)
VMSS_VM = _obj(
    ["id", "name", "type", "location"],
    {
        **ARM_RESOURCE,
        "location": STRING,
        "instanceId": STRING,
        "sku": SKU,
        "zones": STRINGS,
        "properties": _obj(
            [],
            {
                "latestModelApplied": BOOL,
                "vmId": STRING,
                "provisioningState": STRING,
                "osProfile": _obj([], {"computerName": STRING}),
            },
        ),
    },
)
VM_SIZE = _obj(
    [],
    {
        "name": STRING,
        "numberOfCores": INT,
        "memoryInMB": INT,
        "maxDataDiskCount": INT,
        "osDiskSizeInMB": INT,
        "resourceDiskSizeInMB": INT,
    },
)
OPERATION_STATUS = _obj(
    ["status"],
    {
        "id": STRING,
        "name": STRING,
        "status": {"enum": ["InProgress", "Succeeded", "Failed", "Canceled"]},
        "startTime": STRING,
        "endTime": STRING,
        "error": _obj([], {"code": STRING, "message": STRING}),
    },
)


def page_of(item: dict[str, Any], *, next_link: bool = True) -> dict[str, Any]:
    properties: dict[str, Any] = {"value": {"type": "array", "items": item}}
    if next_link:
        properties["nextLink"] = STRING
    return {**_obj(["value"], properties), "additionalProperties": False}


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # a regex with named groups, the spec's path parameters
    api_version: str
    responses: dict[int, dict[str, Any] | None]  # status -> body schema (None: no body)
    headers: dict[int, tuple[str, ...]] = field(default_factory=dict)  # status -> headers the spec declares
    request: dict[str, Any] | None = None

    def match(self, path: str) -> dict[str, str]:
        found = re.fullmatch(self.path, path, flags=re.IGNORECASE)
        return found.groupdict() if found else {}


POOL_PATH = f"{AKS}/(?P<resourceName>[^/]+)/agentPools/(?P<agentPoolName>[^/]+)"
OPERATIONS = (
    Operation(
        "ManagedClusters_List",
        "GET",
        f"{SUB}/providers/Microsoft.ContainerService/managedClusters",
        AKS_API_VERSION,
        {200: page_of(MANAGED_CLUSTER)},
    ),
    Operation("ManagedClusters_ListByResourceGroup", "GET", AKS, AKS_API_VERSION, {200: page_of(MANAGED_CLUSTER)}),
    Operation("ManagedClusters_Get", "GET", f"{AKS}/(?P<resourceName>[^/]+)", AKS_API_VERSION, {200: MANAGED_CLUSTER}),
    Operation(
        "AgentPools_List",
        "GET",
        f"{AKS}/(?P<resourceName>[^/]+)/agentPools",
        AKS_API_VERSION,
        {200: page_of(AGENT_POOL)},
    ),
    Operation("AgentPools_Get", "GET", POOL_PATH, AKS_API_VERSION, {200: AGENT_POOL}),
    Operation(
        "AgentPools_CreateOrUpdate",
        "PUT",
        POOL_PATH,
        AKS_API_VERSION,
        {200: AGENT_POOL, 201: AGENT_POOL},
        headers={200: ("Azure-AsyncOperation",), 201: ("Azure-AsyncOperation",)},
        request=_obj(["properties"], {"properties": AGENT_POOL_PROPERTIES}),
    ),
    Operation(
        "AgentPools_Delete",
        "DELETE",
        POOL_PATH,
        AKS_API_VERSION,
        {202: None, 204: None},
        headers={202: ("Azure-AsyncOperation", "Location")},
    ),
    Operation(
        "AksOperationStatus_Get",
        "GET",
        f"{SUB}/providers/Microsoft.ContainerService/locations/(?P<location>[^/]+)/operations/(?P<operationId>[^/]+)",
        AKS_API_VERSION,
        {200: OPERATION_STATUS},
    ),
    Operation(
        "AksOperationResults_Get",
        "GET",
        f"{SUB}/providers/Microsoft.ContainerService/locations/(?P<location>[^/]+)/operationresults/(?P<operationId>[^/]+)",
        AKS_API_VERSION,
        {204: None},
    ),
    Operation(
        "VirtualMachineScaleSets_List",
        "GET",
        f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets",
        COMPUTE_API_VERSION,
        {200: page_of(VMSS)},
    ),
    Operation(
        "VirtualMachineScaleSetVMs_List",
        "GET",
        f"{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/(?P<virtualMachineScaleSetName>[^/]+)/virtualMachines",
        COMPUTE_API_VERSION,
        {200: page_of(VMSS_VM)},
    ),
    # VirtualMachineSizes_List: one response, no nextLink in the spec.
    Operation(
        "VirtualMachineSizes_List",
        "GET",
        f"{SUB}/providers/Microsoft.Compute/locations/(?P<location>[^/]+)/vmSizes",
        COMPUTE_API_VERSION,
        {200: page_of(VM_SIZE, next_link=False)},
    ),
)


def operation_of(method: str, path: str) -> Operation | None:
    for operation in OPERATIONS:
        if operation.method == method and operation.match(path):
            return operation
    return None


@functools.cache
def _validator(schema_json: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_json))


def _errors(body: Any, schema: dict[str, Any]) -> str | None:
    """The first way `body` breaks `schema`, or None (validators built once per schema: the check is per answer)."""
    error = jsonschema.exceptions.best_match(_validator(json.dumps(schema, sort_keys=True)).iter_errors(body))
    if error is None:
        return None
    return f"{error.message} at {'.'.join(str(p) for p in error.absolute_path) or 'the body'}"


class SpecViolation(AssertionError):
    """The fake answered something the spec does not allow: a bug in the fake, failing the test loudly."""


def check_response(operation: Operation, status: int, body: Any, headers: dict[str, str]) -> None:
    if status not in operation.responses:
        raise SpecViolation(f"{operation.operation_id}: status {status} is not in the spec")
    schema = operation.responses[status]
    if schema is None:
        if body is not None:
            raise SpecViolation(f"{operation.operation_id}: {status} has no body in the spec")
    else:
        problem = _errors(body, schema)
        if problem:
            raise SpecViolation(f"{operation.operation_id} {status}: {problem}")
    missing = [h for h in operation.headers.get(status, ()) if h not in headers]
    if missing:
        raise SpecViolation(f"{operation.operation_id} {status}: missing header(s) {missing}")


def check_request(operation: Operation, body: Any) -> str | None:
    """Why a request body does not fit the spec (a 400 of the fake), or None."""
    if operation.request is None:
        return None
    return _errors(body, operation.request)
