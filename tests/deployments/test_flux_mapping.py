"""The Flux plugin's pure mapping (unit stage): refs from versions, substitutions, phases from both objects'
conditions, history pinned to applied commits, rollback targets and the JSON patches of a move."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugins.dms.flux import mapping
from plugins.sdk.dms import DeploymentPhase
from plugins.sdk.errors import InvalidRequest

REF = {"repoURL": "https://git.example.com/r.git", "path": "apps/web", "targetRevision": "release-1"}
CONFIG = {"interval": "5m", "prune": True}
COMMIT = "a" * 40


def objects(
    *, ready: str = "True", source_ready: str = "True", applied: str = f"release-1@sha1:{COMMIT}", seen: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    source_ref = mapping.git_ref(REF["targetRevision"])
    repo = mapping.git_repository("web", "flux-system", "pkg", REF, source_ref, "5m")
    spec = mapping.kustomization_spec("web", REF["path"], {"port": 80}, CONFIG, "ran")
    kust = mapping.kustomization("web", "flux-system", "pkg", spec, mapping.entry(1, "pkg", source_ref, {"port": 80}))
    for obj in (repo, kust):
        obj["metadata"]["generation"] = 1
    repo["status"] = {
        "observedGeneration": 1,
        "artifact": {"revision": f"release-1@sha1:{COMMIT}"},
        "conditions": [{"type": "Ready", "status": source_ready, "message": "fetch failed"}],
    }
    kust["status"] = {
        "observedGeneration": 1 if seen else 0,
        "lastAppliedRevision": applied,
        "conditions": [{"type": "Ready", "status": ready, "reason": "X", "message": "apply failed"}],
    }
    return kust, repo


def test_refs_from_versions() -> None:
    assert mapping.git_ref("") == {"branch": "main"}
    assert mapping.git_ref("release-1") == {"branch": "release-1"}
    assert mapping.git_ref("v1.2.3") == {"tag": "v1.2.3"}
    assert mapping.git_ref(COMMIT) == {"commit": COMMIT}
    assert mapping.git_ref("refs/heads/main") == {"name": "refs/heads/main"}
    for bad in ("a b", "../x", "main.lock", "-x", "x" * 300):
        with pytest.raises(InvalidRequest) as caught:
            mapping.check_version(bad)
        assert caught.value.field == "version"


def test_bodies() -> None:
    kust, repo = objects()
    assert repo["spec"] == {"url": REF["repoURL"], "ref": {"branch": "release-1"}, "interval": "5m"}
    assert kust["spec"] == {
        "interval": "5m",
        "prune": True,
        "sourceRef": {"kind": "GitRepository", "name": "web"},
        "path": "./apps/web",
        "targetNamespace": "ran",
        "postBuild": {"substitute": {"port": "80"}},
    }
    assert mapping.substitutions({"on": True, "ratio": 0.5}) == {"on": "true", "ratio": "0.5"}
    for values in ({"a-b": 1}, {"nested": {"x": 1}}, {"items": [1]}):
        with pytest.raises(InvalidRequest) as caught:
            mapping.substitutions(values)
        assert caught.value.field == "values"


def test_phases() -> None:
    assert mapping.phase(*objects()) == DeploymentPhase.DEPLOYED
    assert mapping.phase(*objects(ready="False")) == DeploymentPhase.FAILED
    assert mapping.phase(*objects(source_ready="False")) == DeploymentPhase.FAILED
    assert mapping.phase(*objects(ready="Unknown")) == DeploymentPhase.PENDING_UPGRADE
    assert mapping.phase(*objects(applied="", ready="Unknown")) == DeploymentPhase.PENDING_INSTALL
    assert mapping.phase(*objects(applied="release-1@sha1:" + "b" * 40)) == DeploymentPhase.PENDING_UPGRADE
    assert mapping.phase(*objects(seen=False)) == DeploymentPhase.PENDING_UPGRADE


@pytest.mark.parametrize(
    ("reason", "message", "phase"),
    [
        ("ArtifactFailed", "Source artifact not found, retrying in 30s", DeploymentPhase.PENDING_INSTALL),
        ("ArtifactFailed", "Source is not ready, artifact not found, retrying in 30s", DeploymentPhase.PENDING_INSTALL),
        ("DependencyNotReady", "dependency 'flux-system/base' is not ready", DeploymentPhase.PENDING_INSTALL),
        ("ArtifactFailed", "kustomization path not found: stat /tmp/x/apps/web: no such file", DeploymentPhase.FAILED),
    ],
)
def test_a_kustomization_waiting_for_its_source_is_pending_not_failed(reason: str, message: str, phase: str) -> None:
    """kustomize-controller says Ready=False while the source has no artifact yet (seen with the real v1.9.0 when
    it reconciled a moment before source-controller's first fetch); it reconciles again once the artifact is
    there, so that is not a verdict. A path missing from the artifact is one."""
    kust, repo = objects(applied="", seen=False)
    kust["status"]["conditions"] = [
        {"type": "Ready", "status": "False", "reason": reason, "message": message, "observedGeneration": 1}
    ]
    assert mapping.phase(kust, repo) == phase


def test_a_failed_apply_of_the_current_generation_fails_though_status_lags() -> None:
    """kustomize-controller leaves status.observedGeneration behind on a failed apply; the Ready condition's own
    observedGeneration says the failure is about the current generation (seen with the real v1.9.0)."""
    kust, repo = objects(seen=False, ready="False")
    assert mapping.phase(kust, repo) == DeploymentPhase.PENDING_UPGRADE
    kust["status"]["conditions"][0]["observedGeneration"] = 1
    assert mapping.phase(kust, repo) == DeploymentPhase.FAILED
    kust["metadata"]["generation"] = 2
    assert mapping.phase(kust, repo) == DeploymentPhase.PENDING_UPGRADE
    kust, repo = objects()
    kust["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert mapping.phase(kust, repo) == DeploymentPhase.UNINSTALLING
    assert mapping.phase(None, repo) == DeploymentPhase.UNINSTALLING
    kust, repo = objects()
    repo["spec"]["suspend"] = True
    status = mapping.to_status(kust, repo)
    assert status.details["suspended"] == "true"
    assert status.message.startswith("Flux reconciliation is suspended")
    assert mapping.to_deployment(kust, repo).extensions["flux.suspended"] is True


def test_history_pins_the_applied_commit_and_rollback_returns_to_it() -> None:
    kust, repo = objects()
    entries = mapping.next_history(kust, mapping.entry(0, "pkg", {"tag": "v2"}, {"port": 90}), 10)
    assert [e["revision"] for e in entries] == [1, 2]
    assert entries[0]["commit"] == COMMIT
    kust["metadata"]["annotations"][mapping.HISTORY_ANNOTATION] = json.dumps(entries)
    deployment = mapping.to_deployment(kust, repo)
    assert (deployment.revision, dict(deployment.values), deployment.native_id) == (2, {"port": 90}, "flux-system/web")
    # Pinned to the commit revision 1 applied, on its branch (Flux combines a commit with a branch only).
    pinned = {"branch": "release-1", "commit": COMMIT}
    assert mapping.rollback_target(kust, 1) == {"packageId": "pkg", "ref": pinned, "values": {"port": 80}}
    assert mapping.rollback_target(kust, 2)["ref"] == {"tag": "v2"}  # never applied: its ref as it was
    assert mapping.pinned_ref({"tag": "v2"}, COMMIT) == {"commit": COMMIT}  # a tag gives way to the commit
    assert mapping.pinned_ref({"name": "refs/pull/1/head"}, COMMIT) == {"commit": COMMIT}
    with pytest.raises(InvalidRequest):
        mapping.rollback_target(kust, 9)
    revisions = mapping.to_revisions(kust, repo)
    assert [(r.revision, r.status) for r in revisions] == [(1, "superseded"), (2, DeploymentPhase.DEPLOYED)]
    assert revisions[0].description == f"branch release-1 applied {COMMIT}"
    assert len(mapping.next_history(kust, mapping.entry(0, "pkg", {}, {}), 2)) == 2


def test_move_patches_touch_only_netweave_fields() -> None:
    kust, _ = objects()
    spec = mapping.kustomization_spec("web", "apps/api", {}, CONFIG, "ran")
    kust_ops, repo_ops = mapping.move_patches(kust, spec, [], "https://g/x.git", {"commit": COMMIT}, "pkg2")
    paths = [op["path"] for op in kust_ops]
    assert "/metadata/annotations/netweave.io~1history" in paths
    assert {"op": "add", "path": "/spec/path", "value": "./apps/api"} in kust_ops
    assert {"op": "remove", "path": "/spec/postBuild"} in kust_ops
    assert not any(p.startswith(("/metadata/finalizers", "/status")) for p in paths)
    assert {"op": "add", "path": "/spec/ref", "value": {"commit": COMMIT}} in repo_ops


def test_sample_config_is_valid() -> None:
    from pathlib import Path

    import yaml

    from plugins.dms.flux.plugin import FluxDMSPlugin

    sample = yaml.safe_load((Path(__file__).resolve().parents[2] / "plugins/dms/flux/sample.yaml").read_text())
    (block,) = sample["plugins"]["dms"]
    assert FluxDMSPlugin("sample").validated_config(block["config"])["namespace"] == "flux-system"
    assert sample["routing"]["dms"]["rules"][0]["conditions"] == {"gitOps": True, "labels": {"gitops.engine": "flux"}}
    for bad in ({"interval": "soon"}, {"timeout": "0s"}, {"serverUrl": "https://flux"}):
        with pytest.raises(InvalidRequest):
            FluxDMSPlugin("sample").validated_config(bad)
