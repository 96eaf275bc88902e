"""The DMS plugin contract (the seed's `DMSPlugin`). The O2dms app and the Helm plugin fill it in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plugins.sdk.base import Capability, Plugin, PluginCategory
from plugins.sdk.errors import NotSupported


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
class LogOptions:
    tail_lines: int = 100
    container: str = ""


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

    def scale_deployment(self, native_id: str, replicas: int) -> None:
        raise NotSupported(f"{self.name} cannot scale deployments")

    def rollback_deployment(self, native_id: str, revision: int) -> None:
        raise NotSupported(f"{self.name} cannot roll back deployments")

    def get_deployment_status(self, native_id: str) -> DeploymentStatus:
        raise NotSupported(f"{self.name} does not report deployment status")

    def get_deployment_logs(self, native_id: str, options: LogOptions | None = None) -> bytes:
        raise NotSupported(f"{self.name} does not return deployment logs")

    def supports_rollback(self) -> bool:
        return Capability.ROLLBACK in self.capabilities()

    def supports_scaling(self) -> bool:
        return Capability.SCALING in self.capabilities()

    def supports_gitops(self) -> bool:
        return Capability.GITOPS in self.capabilities()
