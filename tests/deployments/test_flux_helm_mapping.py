"""The Flux plugin's Helm half, pure mapping (unit stage): chart references, the HelmRelease spec, phases from
both objects (an OCI HelmRepository has no status), history pinned to the released chart version, rollback
targets and the JSON patches of a move."""

from __future__ import annotations

import json
from typing import Any

import pytest

from plugins.dms.flux import helm, mapping
from plugins.sdk.dms import DeploymentPhase
from plugins.sdk.errors import InvalidRequest

CONFIG = {"interval": "5m"}
VALUES = {"replicaCount": 2, "image": {"tag": "1.0"}}


def objects(
    url: str = "https://charts.example.com/ran", *, ready: str = "True", seen: bool = True, version: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    repo = helm.helm_repository("web", "flux-system", "pkg", url, "5m")
    spec = helm.release_spec("web", "cnf", version, VALUES, CONFIG, "ran")
    first = mapping.entry(1, "pkg", {"chart": "cnf", "version": version}, VALUES)
    release = helm.helm_release("web", "flux-system", "pkg", spec, first)
    for obj in (repo, release):
        obj["metadata"]["generation"] = 1
    if not helm.static(repo):
        repo["status"] = {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "True"}]}
    release["status"] = {
        "observedGeneration": 1 if seen else 0,
        "lastAttemptedRevision": "1.4.2",
        "history": [{"version": 1, "chartVersion": "1.4.2"}],
        "conditions": [{"type": "Ready", "status": ready, "reason": "InstallFailed", "message": "boom"}],
    }
    return release, repo


def test_references_check_the_helm_repository_schemes() -> None:
    assert helm.reference("oci://ghcr.io/ran/charts", "cnf", "1.0.0")["kind"] == helm.PACKAGE_TYPE
    with pytest.raises(InvalidRequest) as refused:
        helm.reference("ssh://git.example.com/r.git", "cnf", "")
    assert refused.value.field == "artifactRepoUrl"


@pytest.mark.parametrize("version", [">=1.0.0", "1.x", "*", "1.2", "v1.2.3", "1.0.0 || 2.0.0", "01.2.3"])
def test_a_chart_version_must_be_exact_semver(version: str) -> None:
    """A revision pins one chart: a range (which Flux would take) is refused before anything is stored, with
    the O2dms core's SemVer 2 check, naming the field."""
    with pytest.raises(InvalidRequest) as refused:
        helm.reference("https://charts.example.com/ran", "cnf", version)
    assert refused.value.field == "version"


def test_exact_and_absent_chart_versions_are_kept() -> None:
    exact = "1.2.3-rc.1+build.5"
    assert helm.reference("https://charts.example.com/ran", "cnf", exact)["version"] == exact
    assert helm.reference("https://charts.example.com/ran", "cnf", "")["version"] == ""  # the newest


def test_the_release_spec_takes_nested_values_and_an_oci_repository_is_typed() -> None:
    release, repo = objects("oci://ghcr.io/ran/charts")
    assert repo["spec"]["type"] == "oci"
    assert release["spec"]["values"] == VALUES
    assert release["spec"]["chart"]["spec"] == {"chart": "cnf", "sourceRef": {"kind": "HelmRepository", "name": "web"}}
    assert helm.phase(release, repo) == DeploymentPhase.DEPLOYED  # no source status to wait for


@pytest.mark.parametrize(
    ("ready", "seen", "phase"),
    [
        ("True", True, DeploymentPhase.DEPLOYED),
        ("False", True, DeploymentPhase.FAILED),
        ("Unknown", True, DeploymentPhase.PENDING_UPGRADE),
        ("True", False, DeploymentPhase.PENDING_UPGRADE),
    ],
)
def test_phase_from_the_ready_condition_and_generation(ready: str, seen: bool, phase: str) -> None:
    release, repo = objects(ready=ready, seen=seen)
    assert helm.phase(release, repo) == phase
    assert helm.phase(release, None) == DeploymentPhase.FAILED
    assert helm.phase(None, repo) == DeploymentPhase.UNINSTALLING


def test_history_pins_the_released_chart_version_and_rollback_returns_to_it() -> None:
    release, _ = objects()
    pin = {"chartVersion": helm.resolved_version(release)}
    entries = mapping.next_history(release, mapping.entry(0, "pkg2", {"chart": "cnf", "version": "2.0.0"}, {}), 10, pin)
    assert [e["revision"] for e in entries] == [1, 2]
    assert entries[0]["chartVersion"] == "1.4.2"
    release["metadata"]["annotations"][mapping.HISTORY_ANNOTATION] = json.dumps(entries)
    assert helm.rollback_target(release, 1) == {"packageId": "pkg", "version": "1.4.2", "values": VALUES}
    assert helm.rollback_target(release, 2)["version"] == "2.0.0"
    with pytest.raises(InvalidRequest):
        helm.rollback_target(release, 9)
    assert [r.app_version for r in helm.to_revisions(release, None)] == ["1.4.2", "2.0.0"]


def test_a_move_patches_only_netweaves_fields_and_drops_values_no_longer_given() -> None:
    release, _ = objects()
    spec = helm.release_spec("web", "cnf", "2.0.0", {}, CONFIG, "ran")
    release_ops, repo_ops = helm.move_patches(release, spec, [], "https://other.example.com/c", "5m", "pkg2")
    assert {"op": "remove", "path": "/spec/values"} in release_ops
    assert {"op": "add", "path": "/spec/url", "value": "https://other.example.com/c"} in repo_ops
    assert all(op["path"].startswith(("/metadata/annotations/", "/spec/")) for op in release_ops + repo_ops)


def test_suspension_is_reported() -> None:
    release, repo = objects()
    release["spec"]["suspend"] = True
    assert helm.to_deployment(release, repo).extensions["flux.suspended"] is True
    status = helm.to_status(release, repo)
    assert status.details["suspended"] == "true"
    assert status.message.startswith("Flux reconciliation is suspended.")
