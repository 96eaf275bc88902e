"""The DMS plugin contract (the seed's `DMSPlugin`). The O2dms app and the Helm plugin fill it in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from plugins.sdk.base import Capability, Plugin, PluginCategory
from plugins.sdk.errors import NotSupported


class DeploymentPhase(StrEnum):
    """The phases a DMS backend reports for a deployment (Helm's release statuses, which the other engines map
    onto). netweave turns them into O2dms NfDeployment states (deployments/states.py)."""

    PENDING_INSTALL = "pending-install"
    DEPLOYED = "deployed"
    PENDING_UPGRADE = "pending-upgrade"
    PENDING_ROLLBACK = "pending-rollback"
    UNINSTALLING = "uninstalling"
    SUPERSEDED = "superseded"
    FAILED = "failed"
    UNKNOWN = "unknown"


TRANSITIONAL_PHASES = frozenset(
    {
        DeploymentPhase.PENDING_INSTALL,
        DeploymentPhase.PENDING_UPGRADE,
        DeploymentPhase.PENDING_ROLLBACK,
        DeploymentPhase.UNINSTALLING,
    }
)


@dataclass(frozen=True)
class DeploymentPackage:
    native_id: str
    name: str
    version: str = ""
    package_type: str = "helm-chart"
    description: str = ""
    input_params: Mapping[str, Any] = field(default_factory=dict)
    output_params: Mapping[str, Any] = field(default_factory=dict)
    artifact_repo_url: str = ""
    artifact_name: str = ""
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentPackageUpload:
    name: str
    version: str
    package_type: str
    content: bytes = b""
    repository_url: str = ""


@dataclass(frozen=True)
class DeploymentRequest:
    name: str
    package_id: str
    namespace: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentUpdate:
    values: Mapping[str, Any] = field(default_factory=dict)
    package_id: str | None = None


@dataclass(frozen=True)
class DeploymentStatus:
    status: str
    message: str = ""
    revision: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Deployment:
    native_id: str
    name: str
    package_id: str
    namespace: str = ""
    status: str = ""
    revision: int = 0
    values: Mapping[str, Any] = field(default_factory=dict)
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentRevision:
    """One entry of a deployment's history: what revision `revision` deployed, and how it went."""

    revision: int
    status: str
    updated: dt.datetime | None = None
    package_id: str = ""
    app_version: str = ""
    description: str = ""


@dataclass(frozen=True)
class LogOptions:
    """What part of a deployment's logs to return: the last `tail_lines` lines, of one `container` (all when
    empty), written in the last `since_seconds` seconds (no limit when None)."""

    tail_lines: int = 100
    container: str = ""
    since_seconds: int | None = None


class DMSPlugin(Plugin):
    """Deployment management. Every operation defaults to NotSupported."""

    category = PluginCategory.DMS

    def list_deployment_packages(self) -> list[DeploymentPackage]:
        raise NotSupported(f"{self.name} does not manage packages")

    def get_deployment_package(self, native_id: str) -> DeploymentPackage:
        raise NotSupported(f"{self.name} does not manage packages")

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        raise NotSupported(f"{self.name} does not manage packages")

    def delete_deployment_package(self, native_id: str) -> None:
        raise NotSupported(f"{self.name} does not manage packages")

    def list_deployments(self) -> list[Deployment]:
        raise NotSupported(f"{self.name} does not list deployments")

    def get_deployment(self, native_id: str) -> Deployment:
        raise NotSupported(f"{self.name} does not read deployments")

    def create_deployment(self, request: DeploymentRequest) -> Deployment:
        raise NotSupported(f"{self.name} cannot deploy")

    def update_deployment(self, native_id: str, update: DeploymentUpdate) -> Deployment:
        raise NotSupported(f"{self.name} cannot update deployments")

    def delete_deployment(self, native_id: str) -> None:
        raise NotSupported(f"{self.name} cannot delete deployments")

    def check_deployment(self, request: DeploymentRequest) -> None:
        """Reject, before anything is changed, a deployment the backend would refuse (a values key the package
        does not accept, a template that does not render, a name already taken). Raises InvalidRequest or
        Conflict. netweave calls it synchronously so the caller gets a 4xx instead of a failed operation."""

    def check_update(self, native_id: str, update: DeploymentUpdate) -> None:
        """As check_deployment, for an upgrade of an existing deployment."""

    def get_deployment_history(self, native_id: str) -> list[DeploymentRevision]:
        raise NotSupported(f"{self.name} does not keep deployment history")

    def scale_deployment(self, native_id: str, replicas: int) -> None:
        raise NotSupported(f"{self.name} cannot scale deployments")

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        raise NotSupported(f"{self.name} cannot roll back deployments")

    def suspend_deployment(self, native_id: str) -> None:
        """Stop the engine reconciling the deployment (what it applied stays as it is) until resumed. Plugins
        that can declare Capability.SUSPEND."""
        raise NotSupported(f"{self.name} cannot suspend deployments")

    def resume_deployment(self, native_id: str) -> None:
        raise NotSupported(f"{self.name} cannot resume deployments")

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        raise NotSupported(f"{self.name} does not report deployment status")

    def get_deployment_logs(self, native_id: str, options: LogOptions | None = None) -> bytes:
        raise NotSupported(f"{self.name} does not return deployment logs")

    def supports_rollback(self) -> bool:
        return Capability.ROLLBACK in self.capabilities()

    def supports_scaling(self) -> bool:
        return Capability.SCALING in self.capabilities()

    def supports_suspend(self) -> bool:
        return Capability.SUSPEND in self.capabilities()

    def supports_gitops(self) -> bool:
        return Capability.GITOPS in self.capabilities()
