"""Pure mapping between netweave's DMS objects and Flux's objects: a `source.toolkit.fluxcd.io/v1`
GitRepository and a `kustomize.toolkit.fluxcd.io/v1` Kustomization of the same name.

A package is a git reference (repository URL, path in it, version); the version becomes the GitRepository's
`spec.ref` (a 40-hex commit, a `refs/...` name, a tag when it looks like a version, else a branch). A
deployment's values are Flux's post-build variable substitution (`spec.postBuild.substitute`), flat names to
strings, which is how Flux users parametrise a path. Flux keeps no numbered history, so netweave keeps one in
an annotation of the Kustomization: each create, update and rollback appends a revision (ref, values,
package), and the revision being replaced is pinned to the commit Flux had applied for it; rolling back moves
the source back to that commit. The phase comes from both objects' Ready conditions, their observedGeneration
and whether the Kustomization applied the source's current artifact revision.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from plugins.dms.argocd import mapping as argocd_mapping
from plugins.dms.argocd.mapping import native_id, package_native_id, reference
from plugins.sdk.dms import Deployment, DeploymentPackage, DeploymentPhase, DeploymentRevision, DeploymentStatus
from plugins.sdk.errors import InvalidRequest

__all__ = ["native_id", "package_native_id", "reference"]

SOURCE_GROUP, SOURCE_VERSION, SOURCE_PLURAL = "source.toolkit.fluxcd.io", "v1", "gitrepositories"
KUSTOMIZE_GROUP, KUSTOMIZE_VERSION, KUSTOMIZE_PLURAL = "kustomize.toolkit.fluxcd.io", "v1", "kustomizations"
PACKAGE_TYPE = "git-repo"
MANAGED_BY = "netweave-flux"
PACKAGE_ANNOTATION = "netweave.io/package-id"
HISTORY_ANNOTATION = "netweave.io/history"
COMMIT = re.compile(r"^[0-9a-f]{40}$")
TAG = re.compile(r"^v?\d+(\.\d+)*([-+][0-9A-Za-z.+-]*)?$")
VARIABLE = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
DEFAULT_BRANCH = "main"
GIT_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]{0,254}$")
URL_SCHEMES = ("https://", "http://", "ssh://")  # the GitRepository CRD's url pattern


def split_native_id(value: str) -> tuple[str, str]:
    return argocd_mapping.split_native_id(value, "a Flux deployment")


def check_version(version: str) -> None:
    """A branch, tag, `refs/...` name or commit, as git allows them (no spaces, no `..`, bounded)."""
    if version and (not GIT_REF.match(version) or ".." in version or version.endswith((".lock", "/", "."))):
        raise InvalidRequest("Give a git branch, tag, refs/... name or commit.", field="version")


def git_ref(version: str) -> dict[str, str]:
    """The GitRepository `spec.ref` a package version names."""
    if not version or version == "HEAD":
        return {"branch": DEFAULT_BRANCH}
    if COMMIT.match(version):
        return {"commit": version}
    if version.startswith("refs/"):
        return {"name": version}
    if TAG.match(version):
        return {"tag": version}
    return {"branch": version}


def to_package(native: str, ref: Mapping[str, str]) -> DeploymentPackage:
    return dataclasses.replace(
        argocd_mapping.to_package(native, ref),
        extensions={"flux.url": ref["repoURL"], "flux.path": ref["path"], "flux.ref": git_ref(ref["targetRevision"])},
    )


def substitutions(values: Mapping[str, Any]) -> dict[str, str]:
    """Values as Flux's post-build substitution variables: flat names (shell-variable style) to scalars."""
    out = {}
    for key, value in values.items():
        if not VARIABLE.match(str(key)):
            raise InvalidRequest(f"'{key}' is not a Flux substitution variable name.", field="values")
        if isinstance(value, bool):
            out[str(key)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            out[str(key)] = str(value)
        else:
            raise InvalidRequest(
                f"Flux substitutes strings, numbers and booleans; '{key}' is a {type(value).__name__}.",
                field="values",
            )
    return out


def _metadata(name: str, namespace: str, package_id: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {"app.kubernetes.io/managed-by": MANAGED_BY},
        "annotations": {PACKAGE_ANNOTATION: package_id},
    }


def git_repository(
    name: str, namespace: str, package_id: str, ref: Mapping[str, Any], source_ref: Mapping[str, str], interval: str
) -> dict[str, Any]:
    return {
        "apiVersion": f"{SOURCE_GROUP}/{SOURCE_VERSION}",
        "kind": "GitRepository",
        "metadata": _metadata(name, namespace, package_id),
        "spec": {"url": ref["repoURL"], "ref": dict(source_ref), "interval": interval},
    }


def kustomization_spec(
    name: str, path: str, values: Mapping[str, Any], config: Mapping[str, Any], target_namespace: str
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "interval": config.get("interval", "5m"),
        "prune": bool(config.get("prune", True)),
        "sourceRef": {"kind": "GitRepository", "name": name},
        "path": f"./{path.strip('/')}",
        "targetNamespace": target_namespace,
    }
    if values:
        spec["postBuild"] = {"substitute": substitutions(values)}
    return spec


def entry(revision: int, package_id: str, source_ref: Mapping[str, str], values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "revision": revision,
        "packageId": package_id,
        "ref": dict(source_ref),
        "values": dict(values),
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def applier(
    api_version: str, kind: str, name: str, namespace: str, package_id: str, spec: Mapping[str, Any], first: Any
) -> dict[str, Any]:
    """The object that applies a source (a Kustomization, a HelmRelease), its history starting with `first`."""
    metadata = _metadata(name, namespace, package_id)
    metadata["annotations"][HISTORY_ANNOTATION] = json.dumps([dict(first)])
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": dict(spec)}


def kustomization(
    name: str, namespace: str, package_id: str, spec: Mapping[str, Any], first: Mapping[str, Any]
) -> dict[str, Any]:
    return applier(f"{KUSTOMIZE_GROUP}/{KUSTOMIZE_VERSION}", "Kustomization", name, namespace, package_id, spec, first)


def history(kust: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not kust:
        return []
    raw = ((kust.get("metadata") or {}).get("annotations") or {}).get(HISTORY_ANNOTATION) or "[]"
    try:
        entries = json.loads(raw)
    except ValueError:
        return []
    return sorted((dict(e) for e in entries if isinstance(e, dict)), key=lambda e: int(e.get("revision", 0)))


def applied_commit(kust: Mapping[str, Any]) -> str:
    """The commit Flux last applied (`lastAppliedRevision` is `<ref>@sha1:<hex>`, or `sha1:<hex>`)."""
    applied = str((kust.get("status") or {}).get("lastAppliedRevision") or "")
    _, _, digest = applied.rpartition("sha1:")
    return digest if COMMIT.match(digest) else ""


def next_history(
    kust: Mapping[str, Any], new: Mapping[str, Any], max_history: int, pin: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The history with `new` appended as the next revision; the outgoing revision is pinned to what Flux
    applied for it (when it did): `pin`, by default the commit of a Kustomization's `lastAppliedRevision`, so
    that a rollback to it returns to exactly that commit."""
    entries = history(kust)
    if entries:
        if pin is None:
            commit = applied_commit(kust)
            pin = {"commit": commit} if commit else {}
        if pin and not any(entries[-1].get(k) for k in pin):
            entries[-1].update(pin)
    added = {**new, "revision": (int(entries[-1]["revision"]) + 1) if entries else 1}
    return [*entries, added][-max_history:]


def _key(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def move_patches(
    kust: Mapping[str, Any],
    spec: Mapping[str, Any],
    entries: list[dict[str, Any]],
    url: str,
    source_ref: Mapping[str, str],
    package_id: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """JSON patches (Kustomization, GitRepository) that move a deployment to a new revision: only the fields
    netweave owns, so Flux's finalizers and anything else on the objects stay as they are."""
    return (
        applier_patch(kust, spec, entries, package_id, "postBuild"),
        source_patch(package_id, {"url": url, "ref": dict(source_ref)}),
    )


def applier_patch(
    obj: Mapping[str, Any], spec: Mapping[str, Any], entries: list[dict[str, Any]], package_id: str, optional: str
) -> list[dict[str, Any]]:
    """The JSON patch that sets the applier's package and history annotations and `spec` (its keys only), and
    removes the `optional` spec key when the new spec has none."""
    annotations = {PACKAGE_ANNOTATION: package_id, HISTORY_ANNOTATION: json.dumps(entries)}
    ops: list[dict[str, Any]] = [
        {"op": "add", "path": f"/metadata/annotations/{_key(k)}", "value": v} for k, v in annotations.items()
    ]
    ops += [{"op": "add", "path": f"/spec/{k}", "value": v} for k, v in spec.items()]
    if optional not in spec and optional in (obj.get("spec") or {}):
        ops.append({"op": "remove", "path": f"/spec/{optional}"})
    return ops


def source_patch(package_id: str, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The JSON patch that points a source at another package: its annotation and the `spec` keys given."""
    return [
        {"op": "add", "path": f"/metadata/annotations/{_key(PACKAGE_ANNOTATION)}", "value": package_id},
        *({"op": "add", "path": f"/spec/{k}", "value": v} for k, v in spec.items()),
    ]


def pinned_ref(ref: Mapping[str, str], commit: str) -> dict[str, str]:
    """`ref` pinned to `commit`. Flux lets a commit be combined with a branch only (the branch is cloned and the
    commit checked out of it), so a branch is kept: the artifact revision then stays `<branch>@sha1:<commit>`
    and a later move of the branch reads as Flux users expect. A tag or `refs/...` name gives way to the commit."""
    branch = ref.get("branch")
    return {"branch": branch, "commit": commit} if branch else {"commit": commit}


def rollback_target(kust: Mapping[str, Any], revision: int) -> dict[str, Any]:
    """What revision `revision` deployed, its ref pinned to the commit Flux applied for it when known."""
    found = next((e for e in history(kust) if int(e.get("revision", 0)) == revision), None)
    if found is None:
        raise InvalidRequest(f"This Flux deployment keeps no revision {revision}.", field="revision")
    ref = dict(found.get("ref") or {})
    if found.get("commit"):
        ref = pinned_ref(ref, found["commit"])
    return {"packageId": found.get("packageId", ""), "ref": ref, "values": dict(found.get("values") or {})}


def condition(obj: Mapping[str, Any] | None, kind: str = "Ready") -> dict[str, Any]:
    for item in ((obj or {}).get("status") or {}).get("conditions") or []:
        if item.get("type") == kind:
            return dict(item)
    return {}


def _observed(obj: Mapping[str, Any]) -> bool:
    status = obj.get("status") or {}
    return status.get("observedGeneration") == (obj.get("metadata") or {}).get("generation")


# kustomize-controller waiting for its source (v1.9.0, kustomization_controller.go): Ready=False, reason
# ArtifactFailed, with these messages while the source has no artifact yet, or DependencyNotReady. It reconciles
# again as soon as the source's artifact changes, so these are not verdicts: a deployment created a moment before
# source-controller's first fetch shows one until then.
WAITING_REASON = "DependencyNotReady"
WAITING_FOR_ARTIFACT = ("ArtifactFailed", ("Source artifact not found", "Source is not ready, artifact not found"))


def _waiting(ready: Mapping[str, Any]) -> bool:
    reason, message = str(ready.get("reason", "")), str(ready.get("message", ""))
    artifact_reason, messages = WAITING_FOR_ARTIFACT
    return reason == WAITING_REASON or (reason == artifact_reason and message.startswith(messages))


def _failed_now(obj: Mapping[str, Any]) -> bool:
    """Ready is False for the object's current generation, and not because it waits for its source.
    kustomize-controller moves status.observedGeneration only after a successful apply; a failed one sets
    Ready=False (reason ProgressingWithRetry, retried later) with the condition's own observedGeneration at the
    current generation, which is the verdict to report."""
    ready = condition(obj)
    generation = (obj.get("metadata") or {}).get("generation")
    current = _observed(obj) or ready.get("observedGeneration") == generation
    return ready.get("status") == "False" and current and not _waiting(ready)


def suspended(kust: Mapping[str, Any] | None, repo: Mapping[str, Any] | None) -> bool:
    return any(bool(((o or {}).get("spec") or {}).get("suspend")) for o in (kust, repo))


def source_phase(repo: Mapping[str, Any], pending: str) -> str | None:
    """What a source (GitRepository, HelmRepository) says before its applier counts: `pending` until
    source-controller has observed it and reported Ready, FAILED when Ready is False, None when it is ready."""
    if not _observed(repo):
        return pending
    source_ready = condition(repo).get("status")
    if source_ready == "False":
        return DeploymentPhase.FAILED
    return None if source_ready == "True" else pending


def phase(kust: Mapping[str, Any] | None, repo: Mapping[str, Any] | None) -> str:
    if kust is None or (kust.get("metadata") or {}).get("deletionTimestamp"):
        return DeploymentPhase.UNINSTALLING
    installed = len(history(kust)) > 1 or bool((kust.get("status") or {}).get("lastAppliedRevision"))
    pending = DeploymentPhase.PENDING_UPGRADE if installed else DeploymentPhase.PENDING_INSTALL
    if repo is None:
        return DeploymentPhase.FAILED
    unready = source_phase(repo, pending)
    if unready:
        return unready
    if _failed_now(kust):
        return DeploymentPhase.FAILED
    if not _observed(kust):
        return pending
    ready = condition(kust).get("status")
    artifact = ((repo.get("status") or {}).get("artifact") or {}).get("revision")
    if ready != "True" or (kust.get("status") or {}).get("lastAppliedRevision") != artifact:
        return pending
    return DeploymentPhase.DEPLOYED


def deployment_of(
    applier: Mapping[str, Any] | None, source: Mapping[str, Any] | None, phase: str, extensions: Mapping[str, Any]
) -> Deployment:
    """A Flux deployment from its applier (Kustomization, HelmRelease) and source, either of which may be gone:
    the current revision from netweave's history, the phase given, and `extensions` (plus `flux.suspended`)."""
    meta = (applier or source or {}).get("metadata") or {}
    entries = history(applier)
    current = entries[-1] if entries else {}
    return Deployment(
        native_id=native_id(meta.get("namespace", ""), meta.get("name", "")),
        name=str(meta.get("name", "")),
        package_id=str((meta.get("annotations") or {}).get(PACKAGE_ANNOTATION, "")),
        namespace=str(((applier or {}).get("spec") or {}).get("targetNamespace", "")),
        status=phase,
        revision=int(current.get("revision", 0)),
        values=dict(current.get("values") or {}),
        extensions={**extensions, "flux.suspended": suspended(applier, source)},
    )


def status_of(
    applier: Mapping[str, Any] | None, source: Mapping[str, Any] | None, phase: str, details: Mapping[str, str]
) -> DeploymentStatus:
    """The status: both Ready conditions, `details`, and the failing condition's message (saying so when
    Flux's reconciliation is suspended)."""
    ready, source_ready = condition(applier), condition(source)
    entries = history(applier)
    failed = source_ready if source_ready.get("status") == "False" else ready
    message = str(failed.get("message") or "")
    if suspended(applier, source):
        message = f"Flux reconciliation is suspended. {message}".strip()
    return DeploymentStatus(
        status=phase,
        message=message,
        revision=int(entries[-1]["revision"]) if entries else 0,
        details={
            "ready": str(ready.get("status", "")),
            "readyReason": str(ready.get("reason", "")),
            "sourceReady": str(source_ready.get("status", "")),
            **details,
            "suspended": str(suspended(applier, source)).lower(),
        },
    )


def revisions_of(
    applier: Mapping[str, Any], phase: str, describe: Callable[[Mapping[str, Any]], tuple[str, str]]
) -> list[DeploymentRevision]:
    """netweave's history as revisions, the last one in `phase`; `describe` gives an entry's (app version,
    description)."""
    entries = history(applier)
    return [
        DeploymentRevision(
            revision=int(e["revision"]),
            status=phase if index == len(entries) - 1 else DeploymentPhase.SUPERSEDED,
            updated=_time(e.get("at")),
            package_id=str(e.get("packageId", "")),
            app_version=describe(e)[0],
            description=describe(e)[1],
        )
        for index, e in enumerate(entries)
    ]


def to_deployment(kust: Mapping[str, Any] | None, repo: Mapping[str, Any] | None) -> Deployment:
    extensions = {
        "flux.kustomization": str(((kust or repo or {}).get("metadata") or {}).get("name", "")),
        "flux.ref": dict(((repo or {}).get("spec") or {}).get("ref") or {}),
        "flux.lastAppliedRevision": str(((kust or {}).get("status") or {}).get("lastAppliedRevision", "")),
    }
    return deployment_of(kust, repo, phase(kust, repo), extensions)


def to_status(kust: Mapping[str, Any] | None, repo: Mapping[str, Any] | None) -> DeploymentStatus:
    details = {
        "sourceRevision": str((((repo or {}).get("status") or {}).get("artifact") or {}).get("revision", "")),
        "lastAppliedRevision": str(((kust or {}).get("status") or {}).get("lastAppliedRevision", "")),
    }
    return status_of(kust, repo, phase(kust, repo), details)


def _time(value: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def to_revisions(kust: Mapping[str, Any], repo: Mapping[str, Any] | None) -> list[DeploymentRevision]:
    def describe(e: Mapping[str, Any]) -> tuple[str, str]:
        parts = (*(e.get("ref") or {}).items(), ("applied", e.get("commit", "")))
        return "", " ".join(f"{k} {v}" for k, v in parts if v)

    return revisions_of(kust, phase(kust, repo), describe)
