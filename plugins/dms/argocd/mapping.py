"""Pure mapping between netweave's DMS objects and Argo CD `Application` objects (argoproj.io/v1alpha1).

A package is a git reference (repository URL, path in it, target revision); a deployment is an Application
whose source is that reference, with the deployment's values as `source.helm.valuesObject`. The phase comes
from what Argo CD's controller writes: `.status.sync` (compared against the spec, so a change it has not
reconciled yet reads as pending), `.status.health` and `.status.operationState`; revisions are the entries
of `.status.history` (their `id`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from plugins.sdk.dms import Deployment, DeploymentPackage, DeploymentPhase, DeploymentRevision, DeploymentStatus
from plugins.sdk.errors import InvalidRequest

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
PACKAGE_TYPE = "git-repo"
PACKAGE_ANNOTATION = "netweave.io/package-id"
MANAGED_BY = "netweave-argocd"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
FAILED_HEALTH = frozenset({"Degraded", "Missing"})
FAILED_OPERATION = frozenset({"Failed", "Error"})


def native_id(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def split_native_id(value: str, what: str = "an Argo CD application") -> tuple[str, str]:
    namespace, _, name = value.partition("/")
    if not namespace or not name or "/" in name:
        raise InvalidRequest(f"'{value}' is not {what} id (namespace/name).", field="nativeId")
    return namespace, name


def package_native_id(repo_url: str, path: str, revision: str) -> str:
    """A file-safe id: the path's last folder, the revision, and a digest of the whole reference."""
    digest = hashlib.sha256(f"{repo_url}\n{path}\n{revision}".encode()).hexdigest()[:10]
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{path.rstrip('/').rsplit('/', 1)[-1] or 'root'}-{revision}")
    return f"{stem.strip('.-')[:80]}-{digest}"


def reference(repo_url: str, path: str, revision: str) -> dict[str, str]:
    if not repo_url.startswith(("https://", "http://", "ssh://", "git@")):
        raise InvalidRequest("Give the git repository's URL.", field="artifactRepoUrl")
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise InvalidRequest("Give the path in the repository (relative, no '..').", field="artifactName")
    return {"repoURL": repo_url, "path": path, "targetRevision": revision or "HEAD"}


def to_package(native: str, ref: Mapping[str, str]) -> DeploymentPackage:
    return DeploymentPackage(
        native_id=native,
        name=ref["path"].rstrip("/").rsplit("/", 1)[-1],
        version=ref["targetRevision"],
        package_type=PACKAGE_TYPE,
        artifact_repo_url=ref["repoURL"],
        artifact_name=ref["path"],
        extensions={"argocd.repoURL": ref["repoURL"], "argocd.path": ref["path"]},
    )


def source(ref: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = dict(ref)
    if values:
        body["helm"] = {"valuesObject": dict(values)}
    return body


def sync_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The seed's syncPolicy: automated sync with prune and selfHeal as configured (all on by default)."""
    body: dict[str, Any] = {"syncOptions": ["CreateNamespace=true"]}
    if policy.get("automated", True):
        body["automated"] = {"prune": bool(policy.get("prune", True)), "selfHeal": bool(policy.get("selfHeal", True))}
    return body


def application(
    name: str, namespace: str, package_id: str, app_source: Mapping[str, Any], config: Mapping[str, Any], dest_ns: str
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": MANAGED_BY},
        "annotations": {PACKAGE_ANNOTATION: package_id},
    }
    if config.get("cascadeDelete", True):
        metadata["finalizers"] = [FINALIZER]
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Application",
        "metadata": metadata,
        "spec": {
            "project": config.get("defaultProject", "default"),
            "source": dict(app_source),
            "destination": {"server": config.get("destinationServer"), "namespace": dest_ns},
            "syncPolicy": sync_policy(config.get("syncPolicy") or {}),
        },
    }


def history(app: Mapping[str, Any]) -> list[dict[str, Any]]:
    entries = ((app.get("status") or {}).get("history")) or []
    return sorted((dict(e) for e in entries), key=lambda e: int(e.get("id", 0)))


def phase(app: Mapping[str, Any]) -> str:
    status = app.get("status") or {}
    spec_source = (app.get("spec") or {}).get("source") or {}
    sync = status.get("sync") or {}
    compared = (sync.get("comparedTo") or {}).get("source")
    operation = status.get("operationState") or {}
    installed = bool(history(app))
    pending = DeploymentPhase.PENDING_UPGRADE if installed else DeploymentPhase.PENDING_INSTALL
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        return DeploymentPhase.UNINSTALLING
    if operation.get("phase") in FAILED_OPERATION:
        return DeploymentPhase.FAILED
    if app.get("operation") or operation.get("phase") in ("Running", "Terminating"):
        return pending
    if compared != spec_source or sync.get("status") != "Synced":
        return pending
    if (status.get("health") or {}).get("status") in FAILED_HEALTH:
        return DeploymentPhase.FAILED
    return DeploymentPhase.DEPLOYED


def values_of(app_source: Mapping[str, Any]) -> dict[str, Any]:
    return dict(((app_source.get("helm") or {}).get("valuesObject")) or {})


def to_deployment(app: Mapping[str, Any]) -> Deployment:
    meta, spec = app.get("metadata") or {}, app.get("spec") or {}
    entries = history(app)
    return Deployment(
        native_id=native_id(meta.get("namespace", ""), meta.get("name", "")),
        name=str(meta.get("name", "")),
        package_id=str((meta.get("annotations") or {}).get(PACKAGE_ANNOTATION, "")),
        namespace=str((spec.get("destination") or {}).get("namespace", "")),
        status=phase(app),
        revision=int(entries[-1]["id"]) if entries else 0,
        values=values_of(spec.get("source") or {}),
        extensions={
            "argocd.application": str(meta.get("name", "")),
            "argocd.syncStatus": str(((app.get("status") or {}).get("sync") or {}).get("status", "")),
            "argocd.health": str(((app.get("status") or {}).get("health") or {}).get("status", "")),
        },
    )


def to_status(app: Mapping[str, Any], tree: Mapping[str, Any] | None = None) -> DeploymentStatus:
    """The status; with the resource tree (REST mode), details add the number of resources Argo CD manages for
    the Application and those whose health is neither Healthy nor unknown (`Kind/namespace/name`)."""
    status = app.get("status") or {}
    sync, health = status.get("sync") or {}, status.get("health") or {}
    operation = status.get("operationState") or {}
    entries = history(app)
    details = {
        "sync": str(sync.get("status", "")),
        "syncRevision": str(sync.get("revision", "")),
        "health": str(health.get("status", "")),
        "operation": str(operation.get("phase", "")),
    }
    if tree is not None:
        nodes = [n for n in tree.get("nodes") or [] if isinstance(n, Mapping)]
        details["resources"] = str(len(nodes))
        details["unhealthyResources"] = ", ".join(
            f"{n.get('kind', '')}/{n.get('namespace', '')}/{n.get('name', '')}"
            for n in nodes
            if (n.get("health") or {}).get("status") not in (None, "", "Healthy")
        )
    message = str(operation.get("message") or health.get("message") or "")
    return DeploymentStatus(
        status=phase(app), message=message, revision=int(entries[-1]["id"]) if entries else 0, details=details
    )


def _time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def to_revisions(app: Mapping[str, Any]) -> list[DeploymentRevision]:
    entries = history(app)
    current = phase(app)
    revisions = []
    for index, entry in enumerate(entries):
        last = index == len(entries) - 1
        revisions.append(
            DeploymentRevision(
                revision=int(entry["id"]),
                status=current if last else DeploymentPhase.SUPERSEDED,
                updated=_time(entry.get("deployedAt")),
                description=f"revision {entry.get('revision', '')}".strip(),
            )
        )
    return revisions


def rollback_source(app: Mapping[str, Any], revision: int) -> dict[str, Any]:
    """The source history entry `revision` deployed, pinned to the exact git revision it synced."""
    entry = next((e for e in history(app) if int(e["id"]) == revision), None)
    if entry is None or not entry.get("source"):
        raise InvalidRequest(f"Application keeps no history entry {revision}.", field="revision")
    pinned = dict(entry["source"])
    if entry.get("revision"):
        pinned["targetRevision"] = str(entry["revision"])
    return pinned
