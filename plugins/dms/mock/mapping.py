"""Pure functions between the simulated engine's rows and the SDK's DMS objects."""

from __future__ import annotations

import datetime as dt

from plugins.dms.mock.store import PackageRow, ReleaseRow, RevisionRow
from plugins.sdk.dms import Deployment, DeploymentPackage, DeploymentRevision

PACKAGE_TYPE = "helm-chart"


def package_native_id(name: str, version: str) -> str:
    """A package is identified by chart name and version, as in a chart repository."""
    return f"{name}-{version}"


def release_native_id(namespace: str, name: str) -> str:
    """A deployment is identified by its namespace and name, as a Helm release is."""
    return f"{namespace}/{name}"


def to_package(row: PackageRow) -> DeploymentPackage:
    return DeploymentPackage(
        native_id=row.native_id,
        name=row.name,
        version=row.version,
        package_type=row.package_type,
        description=row.description,
        input_params=row.default_values,
        artifact_repo_url=row.repository_url,
        artifact_name=f"{row.name}-{row.version}.tgz",
        extensions={
            "mock.appVersion": row.app_version,
            "mock.sha256": row.sha256,
            "mock.size": row.size,
        },
    )


def to_deployment(row: ReleaseRow) -> Deployment:
    return Deployment(
        native_id=row.native_id,
        name=row.name,
        package_id=row.package_id,
        namespace=row.namespace,
        status=row.phase,
        revision=row.revision,
        values=row.values,
        extensions={"mock.release": row.native_id},
    )


def to_revision(row: RevisionRow) -> DeploymentRevision:
    return DeploymentRevision(
        revision=row.revision,
        status=row.status,
        updated=dt.datetime.fromtimestamp(row.updated, tz=dt.UTC),
        package_id=row.package_id,
        description=row.description,
    )
