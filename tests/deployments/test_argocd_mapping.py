"""The Argo CD plugin's pure mapping (unit stage): Application bodies, phases from .status, history, rollback."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.dms.argocd import mapping
from plugins.sdk.dms import DeploymentPhase
from plugins.sdk.errors import InvalidRequest

REF = {"repoURL": "https://git.example.com/r.git", "path": "apps/web", "targetRevision": "v1"}


def app(status: dict[str, Any] | None = None, **meta: Any) -> dict[str, Any]:
    source = mapping.source(REF, {"replicaCount": 2})
    body = mapping.application("web", "argocd", "pkg", source, {"destinationServer": "https://k"}, "ran")
    body["metadata"].update(meta)
    if status is not None:
        body["status"] = status
    return body


def synced(source: dict[str, Any], *, health: str = "Healthy", ids: tuple[int, ...] = (1,)) -> dict[str, Any]:
    return {
        "sync": {"status": "Synced", "revision": "abc", "comparedTo": {"source": source}},
        "health": {"status": health},
        "history": [{"id": i, "revision": f"sha{i}", "source": {**source, "targetRevision": f"v{i}"}} for i in ids],
        "operationState": {"phase": "Succeeded", "message": "synced"},
    }


def test_application_body_follows_the_seed() -> None:
    body = app()
    assert body["spec"]["syncPolicy"] == {
        "syncOptions": ["CreateNamespace=true"],
        "automated": {"prune": True, "selfHeal": True},
    }
    assert body["metadata"]["finalizers"] == [mapping.FINALIZER]
    assert body["spec"]["source"]["helm"] == {"valuesObject": {"replicaCount": 2}}
    manual = mapping.sync_policy({"automated": False})
    assert "automated" not in manual


def test_phases() -> None:
    fresh = app()
    assert mapping.phase(fresh) == DeploymentPhase.PENDING_INSTALL
    source = fresh["spec"]["source"]
    assert mapping.phase(app(synced(source))) == DeploymentPhase.DEPLOYED
    assert mapping.phase(app(synced({**source, "targetRevision": "v0"}))) == DeploymentPhase.PENDING_UPGRADE
    assert mapping.phase(app(synced(source, health="Degraded"))) == DeploymentPhase.FAILED
    failed = synced(source)
    failed["operationState"]["phase"] = "Failed"
    assert mapping.phase(app(failed)) == DeploymentPhase.FAILED
    assert mapping.phase(app(synced(source), deletionTimestamp="2026-01-01T00:00:00Z")) == DeploymentPhase.UNINSTALLING


def test_deployment_status_history_and_rollback() -> None:
    source = app()["spec"]["source"]
    current = app(synced(source, ids=(1, 2, 3)))
    deployment = mapping.to_deployment(current)
    assert (deployment.native_id, deployment.revision, deployment.values) == ("argocd/web", 3, {"replicaCount": 2})
    assert mapping.to_status(current).details["health"] == "Healthy"
    assert [(r.revision, r.status) for r in mapping.to_revisions(current)] == [
        (1, "superseded"),
        (2, "superseded"),
        (3, "deployed"),
    ]
    assert mapping.rollback_source(current, 1)["targetRevision"] == "sha1"
    with pytest.raises(InvalidRequest) as refused:
        mapping.rollback_source(current, 9)
    assert refused.value.field == "revision"


@pytest.mark.parametrize(
    ("url", "path", "field"),
    [
        ("ftp://x", "apps", "artifactRepoUrl"),
        ("https://g/r.git", "../etc", "artifactName"),
        ("https://g", "", "artifactName"),
    ],
)
def test_bad_references(url: str, path: str, field: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        mapping.reference(url, path, "")
    assert refused.value.field == field


def test_package_ids_are_file_safe_and_distinct() -> None:
    one = mapping.package_native_id("https://g/r.git", "apps/web", "v1")
    assert one.startswith("web-v1-")
    assert "/" not in mapping.package_native_id("https://g/r.git", "a/b c/../d", "refs/tags/x")
    assert one != mapping.package_native_id("https://g/other.git", "apps/web", "v1")
