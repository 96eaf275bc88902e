"""The kustomize DMS plugin against the DMS contract kit, with the pinned kustomize CLI and a real kube-apiserver."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.dms.kustomize.plugin import KustomizeDMSPlugin
from plugins.testing.dms import DMSPluginContract, archive
from tests.deployments.conftest import kustomize_config

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.kustomize]


def overlay_archive(name: str) -> bytes:
    """A kustomization with a Deployment and a Service, both named after it (deployments share a namespace)."""
    kustomization = (
        f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: {name}\n"
        "  annotations: {netweave.io/version: 0.1.0}\nresources: [deployment.yaml, service.yaml]\n"
    )
    deployment = f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: main, image: registry.k8s.io/pause:3.10}}]}}
"""
    service = f"""apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80}}]
"""
    return archive({"kustomization.yaml": kustomization, "deployment.yaml": deployment, "service.yaml": service}, name)


class TestKustomizeContract(DMSPluginContract):
    settle_timeout = 60.0
    package_type = "kustomize"

    @pytest.fixture
    def chart_archive(self) -> bytes:
        return overlay_archive(f"kit-overlay-{uuid.uuid4().hex[:8]}")

    @pytest.fixture
    def values_pair(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return {"commonAnnotations": {"netweave.test/port": "8080"}}, {
            "commonAnnotations": {"netweave.test/port": "9090"}
        }

    @pytest.fixture
    def dms_plugin(self, kube_cluster: Any, kustomize_binary: str, tmp_path: Path) -> Iterator[KustomizeDMSPlugin]:
        plugin = KustomizeDMSPlugin("kustomize-contract")
        plugin.initialize(
            kustomize_config(kube_cluster, kustomize_binary, tmp_path / "overlays", namespace="netweave-kit")
        )
        yield plugin
        plugin.close()
