"""OpenShift objects -> O2 resource types (pure): a MachineConfigPool is the OS configuration a node role runs,
identified by its rendered MachineConfig."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.ims.kubernetes.mapping import Options, labels_of, name_of
from plugins.sdk.ims import ResourceClass, ResourceKind, ResourceType


def machine_config_pool_type_id(name: str) -> str:
    return f"machineconfigpool/{name}"


def type_from_machine_config_pool(mcp: Mapping[str, Any], options: Options) -> ResourceType:
    name = name_of(mcp)
    spec = mcp.get("spec") or {}
    status = mcp.get("status") or {}
    rendered = (status.get("configuration") or {}).get("name") or (spec.get("configuration") or {}).get("name") or ""
    sources = (status.get("configuration") or {}).get("source") or (spec.get("configuration") or {}).get("source") or []
    k = options.key
    return ResourceType(
        native_id=machine_config_pool_type_id(name),
        name=name,
        description=f"MachineConfigPool {name}" + (f" running {rendered}" if rendered else ""),
        vendor="Red Hat",
        model="OpenShift MachineConfigPool",
        version=str(rendered),
        resource_kind=ResourceKind.LOGICAL,
        resource_class=ResourceClass.COMPUTE,
        extensions={
            k("kind"): "MachineConfigPool",
            k("renderedConfig"): str(rendered),
            k("machineConfigs"): sorted(str(s.get("name", "")) for s in sources if isinstance(s, Mapping)),
            k("nodeSelector"): dict((spec.get("nodeSelector") or {}).get("matchLabels") or {}),
            k("machineCount"): int(status.get("machineCount") or 0),
            k("paused"): bool(spec.get("paused", False)),
            k("labels"): labels_of(mcp),
        },
    )
