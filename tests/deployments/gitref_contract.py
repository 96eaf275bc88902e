"""The DMS contract kit for the GitOps plugins (argocd, flux), whose packages are references: the kit's "chart"
is the path of an app in a git repository (or a chart's name in a Helm repository), and the plugin runs
against the real kube-apiserver with the project's own CRDs while the test plays its controller
(`controller_fixture`)."""

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
    reference_prefix = "apps/"  # what the kit's "chart" starts with: the path of an app, or a chart's name
    repository_url = REPO_URL

    @pytest.fixture
    def chart_archive(self) -> bytes:
        """Here the package is a reference: `reference_prefix` and a unique name."""
        return f"{self.reference_prefix}cnf-{uuid.uuid4().hex[:8]}".encode()

    def upload(self, plugin: DMSPlugin, content: bytes) -> Any:
        if not content.startswith(self.reference_prefix.encode()):  # the kit's "not a package": an archive
            return super().upload(plugin, content)
        return plugin.upload_deployment_package(
            DeploymentPackageUpload(
                name=content.decode(),
                version=self.reference_version,
                package_type=self.package_type,
                repository_url=self.repository_url,
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
