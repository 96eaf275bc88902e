"""SDNC's GENERIC-RESOURCE-API (GR-API) VF-module preload, as the onap-lcm DMS plugin sends it before SO
instantiates a service whose VF module SO is to build from preloaded data: pure bodies and answers.

`POST /restconf/operations/GENERIC-RESOURCE-API:preload-vf-module-topology-operation` with
`{"input": {sdnc-request-header, request-information, preload-vf-module-topology-information}}`; SDNC answers
`{"output": {svc-request-id, response-code, response-message, ack-final-indicator}}`, `response-code` "200" when the
preload is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from plugins.sdk import dms as sdk

PRELOAD = "/restconf/operations/GENERIC-RESOURCE-API:preload-vf-module-topology-operation"


def preload_body(request: sdk.DeploymentRequest, vnf_type: str) -> dict[str, Any]:
    """The preload of the deployment's VF module: named after the deployment, its values as the VF module's
    parameters (non-string values as JSON text is SDNC's business: they are sent as str())."""
    request_id = str(uuid.uuid4())
    parameters = [
        {"name": str(k), "value": v if isinstance(v, str) else str(v)} for k, v in sorted(request.values.items())
    ]
    return {
        "input": {
            "sdnc-request-header": {"svc-request-id": request_id, "svc-action": "reserve"},
            "request-information": {
                "request-id": request_id,
                "request-action": "PreloadVfModuleRequest",
                "source": "netweave",
            },
            "preload-vf-module-topology-information": {
                "vnf-topology-identifier-structure": {"vnf-name": request.name, "vnf-type": vnf_type},
                "vf-module-topology": {
                    "vf-module-topology-identifier": {"vf-module-name": request.name},
                    "vf-module-parameters": {"param": parameters},
                },
            },
        }
    }


def refusal(answer: Any) -> str:
    """SDNC's reason when the preload was not stored ("" when it was)."""
    output = (answer or {}).get("output") or {} if isinstance(answer, Mapping) else {}
    if str(output.get("response-code", "")) == "200":
        return ""
    return f"SDNC refused the preload ({output.get('response-code', '?')}: {output.get('response-message', '')})"
