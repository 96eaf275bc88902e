"""The Argo CD DMS plugin (CRD mode) against the DMS contract kit, on the real kube-apiserver with Argo CD's own
CRDs; the test plays Argo CD's controller (tests/argocd_harness.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.dms.argocd.plugin import ArgoCDDMSPlugin
from plugins.sdk.dms import DeploymentPackageUpload, DMSPlugin
from plugins.testing.dms import DMSPluginContract
from tests.argocd_harness import ArgoController

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.argocd]

REPO_URL = "https://git.example.com/ran/cnfs.git"


class TestArgoCDContract(DMSPluginContract):
    settle_timeout = 30.0
    package_type = "git-repo"

    @pytest.fixture
    def chart_archive(self) -> bytes:
        """Here the package is a git reference: the path of an app in the repository, at a tag."""
        return f"apps/cnf-{uuid.uuid4().hex[:8]}".encode()

    def upload(self, plugin: DMSPlugin, content: bytes) -> Any:
        if not content.startswith(b"apps/"):  # the kit's "not a package" case: an archive is refused
            return super().upload(plugin, content)
        return plugin.upload_deployment_package(
            DeploymentPackageUpload(
                name=content.decode(), version="v1.0.0", package_type=self.package_type, repository_url=REPO_URL
            )
        )

    @pytest.fixture
    def dms_plugin(
        self, argo_controller: ArgoController, kube_cluster: Any, tmp_path: Path
    ) -> Iterator[ArgoCDDMSPlugin]:
        plugin = ArgoCDDMSPlugin("argocd-contract")
        plugin.initialize(
            {
                "kubeconfig": str(kube_cluster.kubeconfig),
                "packageDir": str(tmp_path / "refs"),
                "destinationNamespace": "netweave-kit",
            }
        )
        yield plugin
        plugin.close()
