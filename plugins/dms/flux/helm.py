"""Pure mapping for the Helm half of the Flux plugin: a chart in a Helm repository deployed as a
`source.toolkit.fluxcd.io/v1` HelmRepository plus a `helm.toolkit.fluxcd.io/v2` HelmRelease of the same name.

A package is a chart reference (repository URL, chart name, an exact SemVer 2 version or none for the newest,
checked as the O2dms core checks chart versions, before anything is stored); a deployment's values
are the HelmRelease's `spec.values` as given (Helm values nest, unlike Kustomization substitutions). As for
Kustomizations, netweave keeps the numbered history in an annotation of the HelmRelease; the revision being
replaced is pinned to the chart version helm-controller resolved for it (`status.lastAttemptedRevision`), and
a rollback moves `spec.chart.spec.version` back to that version with that revision's values: what Flux users
do (helm-controller's own remediation rollback is an automatic reaction to a failed upgrade, not an operation
one can ask for). The phase comes from both objects' Ready conditions and their observedGeneration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from plugins.dms.argocd.mapping import package_native_id
from plugins.dms.charts import check_chart_name, check_chart_version
from plugins.dms.flux.mapping import (
    _metadata,
    _observed,
    applier,
    applier_patch,
    condition,
    deployment_of,
    history,
    revisions_of,
    source_patch,
    source_phase,
    status_of,
)
from plugins.sdk.dms import Deployment, DeploymentPackage, DeploymentPhase, DeploymentRevision, DeploymentStatus
from plugins.sdk.errors import InvalidRequest

SOURCE_PLURAL = "helmrepositories"
HELM_GROUP, HELM_VERSION, HELM_PLURAL = "helm.toolkit.fluxcd.io", "v2", "helmreleases"
PACKAGE_TYPE = "helm-chart"
URL_SCHEMES = ("https://", "http://", "oci://")  # the HelmRepository CRD's url pattern


def reference(repo_url: str, chart: str, version: str) -> dict[str, str]:
    """The stored form of a chart package (`kind` tells it from a git reference)."""
    if not repo_url.startswith(URL_SCHEMES):
        raise InvalidRequest(
            "Flux fetches charts from http(s):// and oci:// Helm repositories.", field="artifactRepoUrl"
        )
    check_chart_name(chart, "artifactName")
    if version:  # exact, as Helm versions charts: a range would let the chart move under a pinned revision
        check_chart_version(version, "version")
    return {"kind": PACKAGE_TYPE, "repoURL": repo_url, "chart": chart, "version": version}


def is_chart(stored: Mapping[str, Any]) -> bool:
    return stored.get("kind") == PACKAGE_TYPE


def chart_native_id(ref: Mapping[str, str]) -> str:
    return package_native_id(ref["repoURL"], ref["chart"], ref["version"] or "latest")


def to_package(native: str, ref: Mapping[str, str]) -> DeploymentPackage:
    return DeploymentPackage(
        native_id=native,
        name=ref["chart"],
        version=ref["version"],
        package_type=PACKAGE_TYPE,
        artifact_repo_url=ref["repoURL"],
        artifact_name=ref["chart"],
        extensions={"flux.helmRepository": ref["repoURL"], "flux.chart": ref["chart"]},
    )


def helm_repository(name: str, namespace: str, package_id: str, repo_url: str, interval: str) -> dict[str, Any]:
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": _metadata(name, namespace, package_id),
        "spec": repository_spec(repo_url, interval),
    }


def repository_spec(repo_url: str, interval: str) -> dict[str, Any]:
    return {"url": repo_url, "type": "oci" if repo_url.startswith("oci://") else "default", "interval": interval}


def release_spec(
    name: str, chart: str, version: str, values: Mapping[str, Any], config: Mapping[str, Any], target_namespace: str
) -> dict[str, Any]:
    """The HelmRelease spec: the chart from the HelmRepository of the same name (`version` empty: the
    latest), released as `name` in the target namespace, with `values`."""
    chart_spec: dict[str, Any] = {"chart": chart, "sourceRef": {"kind": "HelmRepository", "name": name}}
    if version:
        chart_spec["version"] = version
    spec: dict[str, Any] = {
        "interval": config.get("interval", "5m"),
        "chart": {"spec": chart_spec},
        "releaseName": name,
        "targetNamespace": target_namespace,
        "install": {"createNamespace": True},
    }
    if values:
        spec["values"] = json.loads(json.dumps(dict(values)))
    return spec


def helm_release(
    name: str, namespace: str, package_id: str, spec: Mapping[str, Any], first: Mapping[str, Any]
) -> dict[str, Any]:
    return applier(f"{HELM_GROUP}/{HELM_VERSION}", "HelmRelease", name, namespace, package_id, spec, first)


def resolved_version(release: Mapping[str, Any]) -> str:
    """The chart version helm-controller last resolved and released (no version in the spec pins to this)."""
    return str((release.get("status") or {}).get("lastAttemptedRevision") or "")


def move_patches(
    release: Mapping[str, Any],
    spec: Mapping[str, Any],
    entries: list[dict[str, Any]],
    repo_url: str,
    interval: str,
    package_id: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """JSON patches (HelmRelease, HelmRepository) of the fields netweave owns only."""
    return (
        applier_patch(release, spec, entries, package_id, "values"),
        source_patch(package_id, repository_spec(repo_url, interval)),
    )


def rollback_target(release: Mapping[str, Any], revision: int) -> dict[str, Any]:
    """What revision `revision` deployed, its chart version pinned to the one helm-controller resolved."""
    found = next((e for e in history(release) if int(e.get("revision", 0)) == revision), None)
    if found is None:
        raise InvalidRequest(f"This Flux deployment keeps no revision {revision}.", field="revision")
    version = str(found.get("chartVersion") or (found.get("ref") or {}).get("version") or "")
    return {"packageId": found.get("packageId", ""), "version": version, "values": dict(found.get("values") or {})}


def static(repo: Mapping[str, Any]) -> bool:
    """An OCI HelmRepository is a static object: source-controller writes it no status (helm-controller
    fetches the chart itself, and reports a source failure in the HelmRelease's Ready condition)."""
    return (repo.get("spec") or {}).get("type") == "oci"


def phase(release: Mapping[str, Any] | None, repo: Mapping[str, Any] | None) -> str:
    if release is None or (release.get("metadata") or {}).get("deletionTimestamp"):
        return DeploymentPhase.UNINSTALLING
    installed = len(history(release)) > 1 or bool((release.get("status") or {}).get("history"))
    pending = DeploymentPhase.PENDING_UPGRADE if installed else DeploymentPhase.PENDING_INSTALL
    if repo is None:
        return DeploymentPhase.FAILED
    unready = None if static(repo) else source_phase(repo, pending)
    if unready:
        return unready
    if not _observed(release):
        return pending
    ready = condition(release).get("status")
    if ready == "False":
        return DeploymentPhase.FAILED
    return DeploymentPhase.DEPLOYED if ready == "True" else pending


def to_deployment(release: Mapping[str, Any] | None, repo: Mapping[str, Any] | None) -> Deployment:
    chart = (((release or {}).get("spec") or {}).get("chart") or {}).get("spec") or {}
    extensions = {
        "flux.helmRelease": str(((release or repo or {}).get("metadata") or {}).get("name", "")),
        "flux.chart": str(chart.get("chart", "")),
        "flux.chartVersion": str(chart.get("version", "")),
        "flux.lastAttemptedRevision": resolved_version(release or {}),
    }
    return deployment_of(release, repo, phase(release, repo), extensions)


def to_status(release: Mapping[str, Any] | None, repo: Mapping[str, Any] | None) -> DeploymentStatus:
    status = (release or {}).get("status") or {}
    details = {
        "lastAttemptedRevision": str(status.get("lastAttemptedRevision", "")),
        "helmReleaseRevision": str(((status.get("history") or [{}])[0]).get("version", "")),
    }
    return status_of(release, repo, phase(release, repo), details)


def to_revisions(release: Mapping[str, Any], repo: Mapping[str, Any] | None) -> list[DeploymentRevision]:
    def describe(e: Mapping[str, Any]) -> tuple[str, str]:
        version = str(e.get("chartVersion") or (e.get("ref") or {}).get("version") or "")
        return version, f"chart {(e.get('ref') or {}).get('chart', '')} {version}".strip()

    return revisions_of(release, phase(release, repo), describe)
