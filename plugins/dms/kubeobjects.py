"""What the DMS plugins that write custom objects through a kubeconfig and keep their packages as small JSON
files (argocd in CRD mode, crossplane, flux) share: the package folder, the package files, the API client, the
check of their duration settings, and the base class that puts them together (CustomObjectsDMSPlugin)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from kubernetes import client
from rest_framework import serializers

from plugins.dms.helm.config import GO_DURATION, duration_seconds
from plugins.dms.helm.kube import CONNECT_TIMEOUT, _api_client
from plugins.ims.kubernetes.client import translate
from plugins.sdk.dms import DeploymentPackage, DMSPlugin
from plugins.sdk.errors import BackendUnavailable, Conflict, NotFound


def positive_duration(value: str) -> str:
    """A config duration (`timeout`, Flux's `interval`) as a Go duration greater than zero."""
    if not value or not GO_DURATION.match(value) or duration_seconds(value) == 0:
        raise serializers.ValidationError("Use a positive duration such as 90s, 10m or 1h30m.")
    return value


def package_dir(configured: str, default_name: str) -> Path:
    """`packageDir`: empty is <DATA_DIR>/<default_name>/packages, a relative path is under DATA_DIR."""
    if not configured:
        return Path(settings.DATA_DIR) / default_name / "packages"
    return Path(configured) if Path(configured).is_absolute() else Path(settings.DATA_DIR) / configured


class JsonPackageFiles:
    """One JSON file per package, named by its native id, in a folder shared by web and worker processes."""

    def __init__(self, directory: Path, what: str, where: str) -> None:
        """`what` a package is and `where` it is kept, for messages: "No <what> '<id>' in this <where>."."""
        self.directory = directory
        self.what = what
        self.where = where
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, native_id: str) -> Path:
        path = self.directory / f"{native_id}.json"
        if "/" in native_id or native_id.startswith(".") or not path.is_file():
            raise NotFound(f"No {self.what} '{native_id}' in this {self.where}.")
        return path

    def read(self, native_id: str) -> dict[str, Any]:
        return dict(json.loads(self.path(native_id).read_text()))

    def all(self) -> list[tuple[str, dict[str, Any]]]:
        return [(path.stem, json.loads(path.read_text())) for path in sorted(self.directory.glob("*.json"))]

    def add(self, native_id: str, body: Mapping[str, Any], taken: str) -> None:
        """Write atomically; Conflict(`taken`) when the package is already there."""
        target = self.directory / f"{native_id}.json"
        if target.exists():
            raise Conflict(taken)
        staged = target.with_suffix(".partial")
        staged.write_text(json.dumps(dict(body)))
        staged.replace(target)

    def remove(self, native_id: str) -> None:
        self.path(native_id).unlink()


class CustomObjects:
    """A CustomObjectsApi on a kubeconfig, opened on first use; each call bounded and its errors translated."""

    def __init__(self, kubeconfig: str, timeout_seconds: float) -> None:
        self._kubeconfig = kubeconfig
        self._api: client.ApiClient | None = None
        self.timeout = (CONNECT_TIMEOUT, float(timeout_seconds))

    @property
    def api(self) -> client.CustomObjectsApi:
        if self._api is None:
            self._api = _api_client(self._kubeconfig)
        return client.CustomObjectsApi(self._api)

    def call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.api, method)(*args, **kwargs, _request_timeout=self.timeout)
        except BackendUnavailable:
            raise
        except Exception as exc:
            raise translate(exc, what) from None

    def close(self) -> None:
        if self._api is not None:
            with contextlib.suppress(Exception):
                self._api.close()
            self._api = None


class CustomObjectsDMSPlugin(DMSPlugin):
    """A DMS plugin whose config has `kubeconfig`, `timeout` and `packageDir`: `kube` and `packages` once
    initialized, and the package calls but upload. A subclass names its packages (`package_what`, `where`) and
    implements `to_package`."""

    package_what = "package"
    where = ""  # e.g. "Argo CD instance", as in "No package 'x' in this Argo CD instance."

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._config: dict[str, Any] = {}
        self._kube: CustomObjects | None = None
        self._packages: JsonPackageFiles | None = None

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = self.validated_config(config)
        folder = package_dir(self._config["packageDir"], f"{self.name}-{self.instance_name}")
        self._packages = JsonPackageFiles(folder, self.package_what, self.where)
        self._kube = CustomObjects(self._config["kubeconfig"], duration_seconds(self._config["timeout"]))

    def _not_initialized(self) -> BackendUnavailable:
        return BackendUnavailable(f"{self.name} instance '{self.instance_name}' is not initialized")

    @property
    def kube(self) -> CustomObjects:
        if self._kube is None:
            raise self._not_initialized()
        return self._kube

    @property
    def packages(self) -> JsonPackageFiles:
        if self._packages is None:
            raise self._not_initialized()
        return self._packages

    def close(self) -> None:
        if self._kube is not None:
            self._kube.close()

    def to_package(self, native_id: str, stored: Mapping[str, Any]) -> DeploymentPackage:
        raise NotImplementedError

    def list_deployment_packages(self) -> list[DeploymentPackage]:
        return [self.to_package(native_id, stored) for native_id, stored in self.packages.all()]

    def get_deployment_package(self, native_id: str) -> DeploymentPackage:
        return self.to_package(native_id, self.packages.read(native_id))

    def delete_deployment_package(self, native_id: str) -> None:
        self.packages.path(native_id)
        users = [d.native_id for d in self.list_deployments() if d.package_id == native_id]
        if users:
            raise Conflict(f"Package '{native_id}' is deployed by: {', '.join(sorted(users))}.")
        self.packages.remove(native_id)
