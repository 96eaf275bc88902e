"""Pure functions between helm's JSON output (and its error messages) and the SDK's DMS objects."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from plugins.dms.charts import ChartInfo
from plugins.sdk.dms import Deployment, DeploymentPackage, DeploymentRevision, DeploymentStatus
from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    PluginError,
)

PACKAGE_TYPE = "helm-chart"


class HelmFailed(PluginError):
    """helm failed for a reason none of the SDK's errors describes; the detail is helm's own message."""

    status = 502
    title = "Helm failed"


def package_native_id(name: str, version: str) -> str:
    """A package is a chart version, named as helm names it in release listings: `<name>-<version>`."""
    return f"{name}-{version}"


def release_native_id(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def split_release_id(native_id: str) -> tuple[str, str]:
    namespace, sep, name = native_id.partition("/")
    if not sep or not namespace or not name:
        raise NotFound(f"No Helm release '{native_id}' (release ids are <namespace>/<name>).")
    return namespace, name


def to_package(chart: ChartInfo, *, size: int, sha256: str, repository_url: str) -> DeploymentPackage:
    return DeploymentPackage(
        native_id=package_native_id(chart.name, chart.version),
        name=chart.name,
        version=chart.version,
        package_type=PACKAGE_TYPE,
        description=chart.description,
        input_params=chart.default_values,
        artifact_repo_url=repository_url,
        artifact_name=f"{chart.name}-{chart.version}.tgz",
        extensions={
            "helm.chartName": chart.name,
            "helm.chartVersion": chart.version,
            "helm.appVersion": chart.app_version,
            "helm.sha256": sha256,
            "helm.size": size,
        },
    )


def parse_time(value: Any) -> dt.datetime | None:
    """helm's timestamps: RFC 3339 with nanoseconds (JSON output)."""
    if not value or not isinstance(value, str):
        return None
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", value)
    if match is None:
        return None
    fraction = (match.group(2) or ".0")[:7]
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    return dt.datetime.fromisoformat(f"{match.group(1)}{fraction}{zone}")


def to_deployment(release: Mapping[str, Any], chart: str) -> Deployment:
    """A release (`helm status -o json` / `helm install -o json`) and its chart (`<name>-<version>`)."""
    info = release.get("info") or {}
    return Deployment(
        native_id=release_native_id(release["namespace"], release["name"]),
        name=release["name"],
        package_id=chart,
        namespace=release["namespace"],
        status=str(info.get("status", "unknown")),
        revision=int(release.get("version", 0)),
        values=dict(release.get("config") or {}),
        extensions={
            "helm.releaseName": release["name"],
            "helm.revision": int(release.get("version", 0)),
            "helm.chart": chart,
        },
    )


def chart_of(release: Mapping[str, Any]) -> str:
    """The `<name>-<version>` of a release's chart, when the JSON carries it (install/upgrade output)."""
    metadata = (release.get("chart") or {}).get("metadata") or {}
    if metadata.get("name") and metadata.get("version"):
        return package_native_id(str(metadata["name"]), str(metadata["version"]))
    return ""


def to_status(release: Mapping[str, Any], chart: str) -> DeploymentStatus:
    info = release.get("info") or {}
    return DeploymentStatus(
        status=str(info.get("status", "unknown")),
        message=str(info.get("description", "")),
        revision=int(release.get("version", 0)),
        details={
            "namespace": str(release.get("namespace", "")),
            "chart": chart,
            "lastDeployed": str(info.get("last_deployed", "")),
        },
    )


def to_revision(entry: Mapping[str, Any]) -> DeploymentRevision:
    """One entry of `helm history -o json`."""
    return DeploymentRevision(
        revision=int(entry["revision"]),
        status=str(entry.get("status", "unknown")),
        updated=parse_time(entry.get("updated")),
        package_id=str(entry.get("chart", "")),
        app_version=str(entry.get("app_version", "")),
        description=str(entry.get("description", "")),
    )


def helm_message(stderr: str) -> str:
    """helm's error, without its `Error: ` prefix, warnings and the `--debug` hint."""
    lines = [
        line.strip()
        for line in stderr.splitlines()
        if line.strip() and not line.startswith("Use --debug") and "warning:" not in line.lower()
    ]
    text = " ".join(lines) or "helm failed without a message"
    return re.sub(r"^Error:\s*", "", text)


def error_for(stderr: str, *, operation: str) -> PluginError:
    """The SDK error for a failed helm command: what the caller got wrong (4xx) versus the backend (5xx)."""
    message = helm_message(stderr)
    lowered = message.lower()
    detail = f"helm {operation}: {message}"
    if "cannot re-use a name that is still in use" in lowered:
        return Conflict(detail, field="name")
    if re.search(r"release has no \d+ version", lowered):
        return InvalidRequest(detail, field="revision")
    if "parse error" in lowered or "chart.yaml file is missing" in lowered or "validation: chart" in lowered:
        return InvalidRequest(detail, field="chart")
    if "execution error at" in lowered or "nil pointer evaluating" in lowered or "error converting yaml" in lowered:
        return InvalidRequest(detail, field="values")
    if "is not a valid chart repository" in lowered or re.search(r"chart \S+ .*not found in", lowered):
        return InvalidRequest(detail, field="artifactRepoUrl")
    if "release: not found" in lowered or ("not found" in lowered and "release" in lowered):
        return NotFound(detail)
    if "unauthorized" in lowered or "you must be logged in" in lowered:
        return AuthenticationFailed(detail)
    if "cluster unreachable" in lowered or "connection refused" in lowered or "i/o timeout" in lowered:
        return BackendUnavailable(detail)
    if "another operation" in lowered and "in progress" in lowered:
        return Conflict(detail)
    return HelmFailed(detail)
