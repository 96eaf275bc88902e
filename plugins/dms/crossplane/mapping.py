"""Pure mapping between netweave's DMS objects and Crossplane claims / composite resources.

A package is a claim template (template.py); a deployment is one claim (namespaced) or composite resource
(cluster-scoped, the XRD's legacy scope) whose `spec.parameters` are the template's parameters with the
deployment's values over them (top-level keys replaced). The phase comes from the Synced and Ready conditions
Crossplane writes, with their `observedGeneration` compared against the object's generation, so a change
Crossplane has not reconciled yet reads as pending.

Crossplane keeps no revision history of a claim. netweave keeps its own: each create, update and rollback
appends the parameter set it wrote to the annotation `netweave.io/revisions` on the object itself (the last
`maxHistory`), so the history lives and dies with the claim and rollback re-applies an earlier set.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from plugins.sdk.dms import Deployment, DeploymentPackage, DeploymentPhase, DeploymentRevision, DeploymentStatus
from plugins.sdk.errors import InvalidRequest, NotFound

PACKAGE_ANNOTATION = "netweave.io/package-id"
REVISIONS_ANNOTATION = "netweave.io/revisions"
MANAGED_BY = "netweave-crossplane"
MANAGED_LABEL = f"app.kubernetes.io/managed-by={MANAGED_BY}"
CONNECTION_SUFFIX = "-connection"
MAX_REVISIONS_BYTES = 128 * 1024  # annotations of one object may total 256 KiB


def native_id(namespace: str, name: str) -> str:
    """`<namespace>/<name>` for a claim, `<name>` for a cluster-scoped composite resource."""
    return f"{namespace}/{name}" if namespace else name


def split_native_id(value: str, *, namespaced: bool) -> tuple[str, str]:
    """A claim's id is `namespace/name`; a composite resource's is its name, and an id with a namespace names
    no composite resource (NotFound, as any absent name)."""
    namespace, _, name = value.rpartition("/")
    if not namespaced and namespace:
        raise NotFound(f"No composite resource '{value}': composite resources are cluster-scoped.")
    if not name or "/" in namespace or bool(namespace) != namespaced:
        raise InvalidRequest(f"'{value}' is not a Crossplane claim id (namespace/name).", field="nativeId")
    return namespace, name


def to_package(native: str, template: Mapping[str, Any]) -> DeploymentPackage:
    spec = template.get("spec") or {}
    return DeploymentPackage(
        native_id=native,
        name=str(template["name"]),
        version=str(template["version"]),
        package_type="crossplane-claim",
        description=str(template.get("description") or ""),
        input_params=dict(spec.get("parameters") or {}),
        extensions={"crossplane.apiVersion": template["apiVersion"], "crossplane.kind": template["kind"]},
    )


def parameters(template_spec: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    return {**dict(template_spec.get("parameters") or {}), **dict(values)}


def composition(template_spec: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """The template's composition choice, else the instance's (a ref before a selector)."""
    chosen = {k: template_spec[k] for k in ("compositionRef", "compositionSelector") if template_spec.get(k)}
    if not chosen and config.get("compositionRef"):
        chosen = {"compositionRef": {"name": config["compositionRef"]}}
    elif not chosen and config.get("compositionSelector"):
        chosen = {"compositionSelector": {"matchLabels": dict(config["compositionSelector"])}}
    if template_spec.get("compositionUpdatePolicy"):
        chosen["compositionUpdatePolicy"] = template_spec["compositionUpdatePolicy"]
    return chosen


def connection_secret(name: str, config: Mapping[str, Any]) -> dict[str, str]:
    """spec.writeConnectionSecretToRef: a claim's secret is in its own namespace, a composite's names one."""
    if not config.get("writeConnectionSecrets", True):
        return {}
    ref = {"name": f"{name}{CONNECTION_SUFFIX}"}
    if config.get("resource") == "composite":
        ref["namespace"] = config.get("connectionSecretNamespace", "crossplane-system")
    return ref


def revision_entry(
    revision: int, package_id: str, values: Mapping[str, Any], params: Mapping[str, Any], description: str
) -> dict[str, Any]:
    return {
        "revision": revision,
        "package": package_id,
        "values": dict(values),
        "parameters": dict(params),
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "description": description,
    }


def revisions(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISIONS_ANNOTATION) or "[]"
    try:
        entries = json.loads(raw)
    except ValueError:
        return []
    return sorted((e for e in entries if isinstance(e, dict)), key=lambda e: int(e.get("revision", 0)))


def with_revision(entries: list[dict[str, Any]], entry: Mapping[str, Any], keep: int) -> str:
    """The annotation's new value: `entries` plus `entry`, the last `keep`, within the size bound."""
    kept = [*entries, dict(entry)][-keep:]
    text = json.dumps(kept, separators=(",", ":"), sort_keys=True)
    while len(text) > MAX_REVISIONS_BYTES and len(kept) > 1:
        kept = kept[1:]
        text = json.dumps(kept, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_REVISIONS_BYTES:
        raise InvalidRequest(f"The parameters are larger than {MAX_REVISIONS_BYTES} bytes.", field="values")
    return text


def resource_body(
    *,
    config: Mapping[str, Any],
    name: str,
    namespace: str,
    package_id: str,
    template_spec: Mapping[str, Any],
    params: Mapping[str, Any],
    history: str,
) -> dict[str, Any]:
    """The claim (or composite resource) a deployment becomes."""
    xrd = config["xrd"]
    claim = config.get("resource", "claim") == "claim"
    metadata: dict[str, Any] = {
        "name": name,
        "labels": {"app.kubernetes.io/managed-by": MANAGED_BY},
        "annotations": {PACKAGE_ANNOTATION: package_id, REVISIONS_ANNOTATION: history},
    }
    if claim:
        metadata["namespace"] = namespace
    spec: dict[str, Any] = {"parameters": dict(params), **composition(template_spec, config)}
    secret = connection_secret(name, config)
    if secret:
        spec["writeConnectionSecretToRef"] = secret
    return {
        "apiVersion": f"{xrd['group']}/{xrd['version']}",
        "kind": xrd["claimKind"] if claim else xrd["compositeKind"],
        "metadata": metadata,
        "spec": spec,
    }


def condition(obj: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if isinstance(entry, Mapping) and entry.get("type") == kind:
            return dict(entry)
    return None


def _pending(entries: list[dict[str, Any]]) -> str:
    if len(entries) <= 1:
        return DeploymentPhase.PENDING_INSTALL
    if str(entries[-1].get("description", "")).lower().startswith("rollback"):
        return DeploymentPhase.PENDING_ROLLBACK
    return DeploymentPhase.PENDING_UPGRADE


def phase(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        return DeploymentPhase.UNINSTALLING
    pending = _pending(revisions(obj))
    synced, ready = condition(obj, "Synced"), condition(obj, "Ready")
    if synced is None:
        return pending
    observed = synced.get("observedGeneration")
    if observed is not None and int(observed) < int(meta.get("generation") or 0):
        return pending
    if synced.get("status") != "True":
        return DeploymentPhase.UNKNOWN if synced.get("reason") == "ReconcilePaused" else DeploymentPhase.FAILED
    if ready is None or ready.get("reason") in ("Creating", "Waiting"):
        return pending
    if ready.get("status") == "True":
        return DeploymentPhase.DEPLOYED
    return DeploymentPhase.UNINSTALLING if ready.get("reason") == "Deleting" else DeploymentPhase.FAILED


def _secret_ref(obj: Mapping[str, Any]) -> str:
    ref = (obj.get("spec") or {}).get("writeConnectionSecretToRef") or {}
    if not ref.get("name"):
        return ""
    namespace = ref.get("namespace") or (obj.get("metadata") or {}).get("namespace", "")
    return f"{namespace}/{ref['name']}"


def secret_reference(obj: Mapping[str, Any]) -> dict[str, str]:
    """Where Crossplane writes the connection details: the Secret's name and namespace, never its data
    (netweave does not read the Secret); empty when none is written."""
    namespace, _, name = _secret_ref(obj).partition("/")
    return {"name": name, "namespace": namespace} if name else {}


def _composite_name(obj: Mapping[str, Any]) -> str:
    spec = obj.get("spec") or {}
    if (obj.get("metadata") or {}).get("namespace"):
        return str((spec.get("resourceRef") or {}).get("name", ""))
    return str((obj.get("metadata") or {}).get("name", ""))


def to_deployment(obj: Mapping[str, Any]) -> Deployment:
    meta = obj.get("metadata") or {}
    entries = revisions(obj)
    synced, ready = condition(obj, "Synced") or {}, condition(obj, "Ready") or {}
    return Deployment(
        native_id=native_id(str(meta.get("namespace") or ""), str(meta.get("name", ""))),
        name=str(meta.get("name", "")),
        package_id=str((meta.get("annotations") or {}).get(PACKAGE_ANNOTATION, "")),
        namespace=str(meta.get("namespace") or ""),
        status=phase(obj),
        revision=int(entries[-1]["revision"]) if entries else 0,
        values=dict(entries[-1].get("values") or {}) if entries else {},
        extensions={
            "crossplane.kind": str(obj.get("kind", "")),
            "crossplane.compositeResource": _composite_name(obj),
            "crossplane.connectionSecret": secret_reference(obj),
            "crossplane.synced": str(synced.get("status", "")),
            "crossplane.ready": str(ready.get("status", "")),
        },
    )


def to_status(obj: Mapping[str, Any]) -> DeploymentStatus:
    synced, ready = condition(obj, "Synced") or {}, condition(obj, "Ready") or {}
    entries = revisions(obj)
    published = ((obj.get("status") or {}).get("connectionDetails") or {}).get("lastPublishedTime", "")
    details = {
        "synced": str(synced.get("status", "")),
        "syncedReason": str(synced.get("reason", "")),
        "ready": str(ready.get("status", "")),
        "readyReason": str(ready.get("reason", "")),
        "compositeResource": _composite_name(obj),
        "connectionSecret": _secret_ref(obj),
        "connectionDetailsPublished": str(published or ""),
    }
    failing = synced if synced.get("status") == "False" else ready
    return DeploymentStatus(
        status=phase(obj),
        message=str(failing.get("message") or ""),
        revision=int(entries[-1]["revision"]) if entries else 0,
        details=details,
    )


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def to_revisions(obj: Mapping[str, Any]) -> list[DeploymentRevision]:
    entries = revisions(obj)
    current = phase(obj)
    return [
        DeploymentRevision(
            revision=int(entry["revision"]),
            status=current if index == len(entries) - 1 else DeploymentPhase.SUPERSEDED,
            updated=_time(entry.get("at")),
            package_id=str(entry.get("package", "")),
            description=str(entry.get("description", "")),
        )
        for index, entry in enumerate(entries)
    ]


def revision_to_restore(obj: Mapping[str, Any], revision: int) -> dict[str, Any]:
    entry = next((e for e in revisions(obj) if int(e["revision"]) == revision), None)
    if entry is None:
        raise InvalidRequest(f"This deployment keeps no revision {revision}.", field="revision")
    return entry
