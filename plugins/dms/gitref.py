"""What the GitOps DMS plugins (argocd, flux) share: packages are git references (repository, path in it,
revision) kept as small JSON files, since the GitOps engine fetches the repository itself and netweave never
does; deployments are custom objects written through a kubeconfig.

A subclass sets `engine` (its name in messages), implements `to_package` and may check an upload further in
`check_upload`; its config has `kubeconfig`, `timeout` and `packageDir`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from kubernetes import client
from rest_framework import serializers

from plugins.dms.argocd.mapping import PACKAGE_TYPE, package_native_id, reference
from plugins.dms.helm.config import GO_DURATION, duration_seconds
from plugins.dms.helm.kube import CONNECT_TIMEOUT, _api_client
from plugins.ims.kubernetes.client import translate
from plugins.sdk.dms import DeploymentPackage, DeploymentPackageUpload, DMSPlugin
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound
from plugins.sdk.validation import StrictSerializer


def positive_duration(value: str) -> str:
    if not value or not GO_DURATION.match(value) or duration_seconds(value) == 0:
        raise serializers.ValidationError("Use a positive duration such as 90s, 10m or 1h30m.")
    return value


class GitReferenceConfig(StrictSerializer):
    """The keys every GitOps DMS plugin has: the cluster the engine runs in, the API timeout, the package store."""

    kubeconfig = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Kubeconfig of the cluster the engine runs in. Empty: in-cluster, else ~/.kube/config.",
    )
    timeout = serializers.CharField(default="60s", max_length=20, help_text="Time allowed to each API call.")
    packageDir = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Where package references are kept; shared by web and worker processes. Empty: "
        "<DATA_DIR>/<type>-<instance>/packages; relative: under DATA_DIR.",
    )

    def validate_timeout(self, value: str) -> str:
        return positive_duration(value)


class GitReferenceDMSPlugin(DMSPlugin):
    engine = ""

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._config: dict[str, Any] = {}
        self._api: client.ApiClient | None = None
        self._packages = Path()
        self._timeout = (CONNECT_TIMEOUT, 60.0)

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = self.validated_config(config)
        configured = self._config["packageDir"]
        self._packages = (
            Path(settings.DATA_DIR) / f"{self.name}-{self.instance_name}" / "packages"
            if not configured
            else Path(configured)
            if Path(configured).is_absolute()
            else Path(settings.DATA_DIR) / configured
        )
        self._packages.mkdir(parents=True, exist_ok=True)
        self._timeout = (CONNECT_TIMEOUT, float(duration_seconds(self._config["timeout"])))

    @property
    def objects(self) -> client.CustomObjectsApi:
        if self._api is None:
            if not self._config:
                raise BackendUnavailable(f"{self.name} instance '{self.instance_name}' is not initialized")
            self._api = _api_client(self._config["kubeconfig"])
        return client.CustomObjectsApi(self._api)

    def close(self) -> None:
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.close()
            self._api = None

    def _call(self, what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs, _request_timeout=self._timeout)
        except Exception as exc:
            raise translate(exc, what) from None

    # ------------------------------------------------------------------------------------------ packages

    def to_package(self, native_id: str, ref: Mapping[str, str]) -> DeploymentPackage:
        raise NotImplementedError

    def check_upload(self, upload: DeploymentPackageUpload) -> None:
        """Further checks of a reference before it is kept (InvalidRequest naming the field)."""

    def _package_file(self, native_id: str) -> Path:
        path = self._packages / f"{native_id}.json"
        if "/" in native_id or native_id.startswith(".") or not path.is_file():
            raise NotFound(f"No package '{native_id}' in this {self.engine} instance.")
        return path

    def _reference(self, native_id: str) -> dict[str, str]:
        return dict(json.loads(self._package_file(native_id).read_text()))

    def list_deployment_packages(self) -> list[DeploymentPackage]:
        return [
            self.to_package(path.stem, json.loads(path.read_text())) for path in sorted(self._packages.glob("*.json"))
        ]

    def get_deployment_package(self, native_id: str) -> DeploymentPackage:
        return self.to_package(native_id, self._reference(native_id))

    def upload_deployment_package(self, upload: DeploymentPackageUpload) -> DeploymentPackage:
        if upload.package_type != PACKAGE_TYPE:
            raise InvalidRequest(
                f"{self.engine} deploys '{PACKAGE_TYPE}' references, not '{upload.package_type}'.",
                field="packageType",
            )
        if upload.content:
            raise InvalidRequest(
                f"{self.engine} packages are git references (artifactRepoUrl, artifactName = path, version = "
                "revision), not archives.",
                field="chart",
            )
        self.check_upload(upload)
        ref = reference(upload.repository_url, upload.name, upload.version)
        native_id = package_native_id(ref["repoURL"], ref["path"], ref["targetRevision"])
        target = self._packages / f"{native_id}.json"
        if target.exists():
            raise Conflict(f"{ref['repoURL']} {ref['path']}@{ref['targetRevision']} is already a package here.")
        staged = target.with_suffix(".partial")
        staged.write_text(json.dumps(ref))
        staged.replace(target)
        return self.to_package(native_id, ref)

    def delete_deployment_package(self, native_id: str) -> None:
        path = self._package_file(native_id)
        users = [d.native_id for d in self.list_deployments() if d.package_id == native_id]
        if users:
            raise Conflict(f"Package '{native_id}' is deployed by: {', '.join(sorted(users))}.")
        path.unlink()
