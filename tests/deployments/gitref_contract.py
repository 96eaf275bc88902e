"""The DMS contract kit for the GitOps plugins (argocd, flux), whose packages are git references: the kit's
"chart" is the path of an app in a repository, and the plugin runs against the real kube-apiserver with the
project's own CRDs while the test plays its controller (`controller_fixture`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.sdk.dms import DeploymentPackageUpload, DMSPlugin
from plugins.testing.dms import DMSPluginContract

REPO_URL = "https://git.example.com/ran/cnfs.git"


class GitReferenceContract(DMSPluginContract):
    settle_timeout = 30.0
    package_type = "git-repo"
    plugin_class: type[DMSPlugin]
    controller_fixture = ""
    reference_version = ""

    @pytest.fixture
    def chart_archive(self) -> bytes:
        """Here the package is a git reference: the path of an app in the repository."""
        return f"apps/cnf-{uuid.uuid4().hex[:8]}".encode()

    def upload(self, plugin: DMSPlugin, content: bytes) -> Any:
        if not content.startswith(b"apps/"):  # the kit's "not a package" case: an archive is refused
            return super().upload(plugin, content)
        return plugin.upload_deployment_package(
            DeploymentPackageUpload(
                name=content.decode(),
                version=self.reference_version,
                package_type=self.package_type,
                repository_url=REPO_URL,
            )
        )

    @pytest.fixture
    def dms_plugin(self, request: pytest.FixtureRequest, kube_cluster: Any, tmp_path: Path) -> Iterator[DMSPlugin]:
        request.getfixturevalue(self.controller_fixture)
        plugin = self.plugin_class(f"{self.plugin_class.name}-contract")
        plugin.initialize(
            {
                "kubeconfig": str(kube_cluster.kubeconfig),
                "packageDir": str(tmp_path / "refs"),
                "destinationNamespace": "netweave-kit",
            }
        )
        yield plugin
        plugin.close()
