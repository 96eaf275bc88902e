"""The O2dms objects (O2-REFERENCE.md §7), declared once for rendering, SOL013 filters and selectors.

Default-excluded (left out unless asked for): `inputParams`, `outputParams` and `extensions` on descriptors,
`extensions` on deployments, `params` and `result` on operations. docs/o2-api.md lists them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from netweave.o2.spec import FieldType, O2Field, ObjectSpec, uuid_field


def _iso(value: Any) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


NF_DEPLOYMENT_DESCRIPTOR = ObjectSpec(
    "NfDeploymentDescriptor",
    (
        uuid_field("id", "id", identifier=True),
        O2Field("name", "name"),
        O2Field("description", "description"),
        O2Field("inputParams", "input_params", FieldType.OBJECT, default_excluded=True),
        O2Field("outputParams", "output_params", FieldType.OBJECT, default_excluded=True),
        O2Field("artifactRepoUrl", "artifact_repo_url"),
        O2Field("artifactName", "artifact_name"),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

NF_DEPLOYMENT = ObjectSpec(
    "NfDeployment",
    (
        uuid_field("id", "id", identifier=True),
        O2Field("name", "name"),
        O2Field("description", "description"),
        uuid_field("descriptorId", "package_id"),
        uuid_field("parentDeploymentId", "parent_deployment_id", nullable=True),
        O2Field("status", "status", FieldType.INTEGER),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

NF_DEPLOYMENT_OPERATION = ObjectSpec(
    "NfDeploymentOperation",
    (
        uuid_field("operationId", "id", identifier=True),
        uuid_field("deploymentManagerId", "deployment_manager_id"),
        uuid_field("nfDeploymentId", "deployment_id"),
        O2Field("nfDeploymentName", "deployment_name"),
        O2Field("operation", "kind"),
        O2Field("state", "state"),
        O2Field("params", "params", FieldType.OBJECT, default_excluded=True),
        O2Field("result", "result", FieldType.OBJECT, default_excluded=True),
        O2Field("error", "error", nullable=True),
        O2Field("errorStatus", "error_status", FieldType.INTEGER, nullable=True),
        O2Field("createdTime", "created", FieldType.DATETIME, render=_iso),
        O2Field("startTime", "started", FieldType.DATETIME, nullable=True, render=_iso),
        O2Field("endTime", "finished", FieldType.DATETIME, nullable=True, render=_iso),
    ),
)
