"""Pure mapping between netweave's DMS objects and what the kustomize plugin keeps on the cluster.

A deployment is the set of objects one render applied, plus an inventory ConfigMap beside them
(`kustomize-inventory-<name>` in the deployment's namespace) that records every revision: the package, the
values, the objects applied (apiVersion, kind, namespace, name) and the rendered YAML, so that prune and
delete remove exactly what netweave created and a rollback re-applies an earlier render as it was.

Values are kustomize's own overlay fields, set in a wrapper kustomization around the package (the way a
kustomize user writes an overlay): only the keys in OVERLAY_KEYS are accepted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from plugins.sdk.dms import Deployment, DeploymentPackage, DeploymentPhase, DeploymentRevision, DeploymentStatus
from plugins.sdk.errors import InvalidRequest

PACKAGE_TYPE = "kustomize"
MANAGED_BY = "netweave-kustomize"
DEPLOYMENT_LABEL = "netweave.io/kustomize-deployment"
INVENTORY_PREFIX = "kustomize-inventory-"
STATE_KEY = "state.json"
OVERLAY_KEYS = frozenset(
    {"images", "replicas", "namePrefix", "nameSuffix", "commonAnnotations", "labels", "patches", "configMapGenerator"}
)
# Applied first, so that what the rest lives in exists.
APPLY_FIRST = ("Namespace", "CustomResourceDefinition")

Ref = dict[str, str]


def native_id(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def split_native_id(value: str) -> tuple[str, str]:
    namespace, _, name = value.partition("/")
    if not namespace or not name or "/" in name:
        raise InvalidRequest(f"'{value}' is not a kustomize deployment id (namespace/name).", field="nativeId")
    return namespace, name


def inventory_name(name: str) -> str:
    return f"{INVENTORY_PREFIX}{name}"


def package_native_id(name: str, version: str) -> str:
    return f"{name}-{version}"


def to_package(name: str, version: str, native: str, *, size: int, sha256: str, description: str) -> DeploymentPackage:
    return DeploymentPackage(
        native_id=native,
        name=name,
        version=version,
        package_type=PACKAGE_TYPE,
        description=description,
        artifact_name=f"{native}.tgz",
        extensions={"kustomize.sha256": sha256, "kustomize.size": size},
    )


def check_values(values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - OVERLAY_KEYS)
    if unknown:
        raise InvalidRequest(
            f"kustomize values are overlay fields ({', '.join(sorted(OVERLAY_KEYS))}); not: {', '.join(unknown)}.",
            field="values",
        )


def wrapper(resource: str, namespace: str, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The overlay netweave renders: the package as its one resource, the deployment's namespace, the label
    that marks every object as this deployment's, and the values' overlay fields."""
    check_values(values)
    mark = {"pairs": {DEPLOYMENT_LABEL: name}, "includeSelectors": False}
    return {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        **{key: value for key, value in values.items() if key != "labels"},
        "namespace": namespace,
        "resources": [resource],
        "labels": [*list(values.get("labels") or []), mark],
    }


def ref(obj: Mapping[str, Any]) -> Ref:
    meta = obj.get("metadata") or {}
    return {
        "apiVersion": str(obj.get("apiVersion", "")),
        "kind": str(obj.get("kind", "")),
        "namespace": str(meta.get("namespace", "") or ""),
        "name": str(meta.get("name", "")),
    }


def ref_key(item: Ref) -> tuple[str, str, str, str]:
    return (
        item["apiVersion"].split("/")[0] if "/" in item["apiVersion"] else "",
        item["kind"],
        item["namespace"],
        item["name"],
    )


def apply_order(objects: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def rank(obj: Mapping[str, Any]) -> int:
        kind = str(obj.get("kind", ""))
        return APPLY_FIRST.index(kind) if kind in APPLY_FIRST else len(APPLY_FIRST)

    return sorted(objects, key=rank)


def stale(previous: Iterable[Ref], current: Iterable[Ref]) -> list[Ref]:
    """The objects an earlier revision applied that the current one does not: what prune deletes."""
    keep = {ref_key(item) for item in current}
    return [item for item in previous if ref_key(item) not in keep]


def render_key(revision: int) -> str:
    return f"render-{revision}.yaml"


def new_revision(
    revision: int, package_id: str, values: Mapping[str, Any], objects: list[Ref], status: str, description: str
) -> dict[str, Any]:
    return {
        "revision": revision,
        "packageId": package_id,
        "values": dict(values),
        "objects": objects,
        "status": status,
        "updated": dt.datetime.now(dt.UTC).isoformat(),
        "description": description,
    }


def record(state: dict[str, Any], entry: dict[str, Any], max_history: int) -> list[int]:
    """Add `entry` to the state (earlier deployed revisions become superseded); returns the revisions dropped
    beyond `max_history`, whose renders are removed too."""
    for earlier in state["revisions"]:
        if earlier["status"] == DeploymentPhase.DEPLOYED:
            earlier["status"] = DeploymentPhase.SUPERSEDED
    state["revisions"].append(entry)
    dropped = state["revisions"][:-max_history]
    state["revisions"] = state["revisions"][-max_history:]
    return [int(item["revision"]) for item in dropped]


def load_state(data: Mapping[str, str] | None) -> dict[str, Any]:
    raw = (data or {}).get(STATE_KEY) or '{"revisions": []}'
    state = json.loads(raw)
    state.setdefault("revisions", [])
    return dict(state)


def latest(state: Mapping[str, Any]) -> dict[str, Any] | None:
    revisions = state.get("revisions") or []
    return dict(revisions[-1]) if revisions else None


def to_deployment(namespace: str, name: str, state: Mapping[str, Any]) -> Deployment:
    current = latest(state)
    if current is None:
        return Deployment(
            native_id=native_id(namespace, name),
            name=name,
            package_id=str(state.get("packageId", "")),
            namespace=namespace,
            status=DeploymentPhase.PENDING_INSTALL,
        )
    return Deployment(
        native_id=native_id(namespace, name),
        name=name,
        package_id=str(current["packageId"]),
        namespace=namespace,
        status=str(current["status"]),
        revision=int(current["revision"]),
        values=dict(current["values"]),
        extensions={"kustomize.objects": len(current["objects"])},
    )


def to_status(state: Mapping[str, Any], observed: list[dict[str, Any]]) -> DeploymentStatus:
    """Status from the applied objects: deployed while every object of the current revision exists."""
    current = latest(state)
    if current is None:
        return DeploymentStatus(status=DeploymentPhase.PENDING_INSTALL, message="Not applied yet.")
    missing = [item for item in observed if not item["exists"]]
    phase = str(current["status"])
    if phase == DeploymentPhase.DEPLOYED and missing:
        phase = DeploymentPhase.FAILED
    message = (
        f"{len(missing)} of {len(observed)} applied objects are missing from the cluster."
        if missing
        else f"All {len(observed)} applied objects exist."
    )
    return DeploymentStatus(
        status=phase, message=message, revision=int(current["revision"]), details=object_details(observed)
    )


def object_details(observed: list[dict[str, Any]]) -> dict[str, str]:
    """One flat entry per applied object (the O2dms status details are strings): `Kind/namespace/name` ->
    `present`, `present, 0/2 ready` or `missing`."""
    details = {}
    for item in observed:
        key = "/".join(part for part in (item["kind"], item["namespace"], item["name"]) if part)
        state = "present" if item["exists"] else "missing"
        if item["exists"] and "replicas" in item:
            state += f", {item['readyReplicas']}/{item['replicas']} ready"
        details[key] = state
    return details


def to_revision(entry: Mapping[str, Any]) -> DeploymentRevision:
    return DeploymentRevision(
        revision=int(entry["revision"]),
        status=str(entry["status"]),
        updated=dt.datetime.fromisoformat(str(entry["updated"])),
        package_id=str(entry["packageId"]),
        description=str(entry.get("description", "")),
    )


def readiness(found: Mapping[str, Any] | None) -> dict[str, Any]:
    """What an applied workload's own status says of its readiness (replicas wanted and ready), when it has one;
    the phase stays a matter of the objects existing, since readiness needs the cluster's controllers."""
    spec, status = (found or {}).get("spec") or {}, (found or {}).get("status") or {}
    if "replicas" not in spec:
        return {}
    return {"replicas": spec.get("replicas"), "readyReplicas": (status.get("readyReplicas") or 0)}
