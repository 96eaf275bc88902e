"""The Helm DMS plugin against the DMS contract kit, with the pinned helm CLI and a real kube-apiserver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.dms.helm.plugin import HelmDMSPlugin
from plugins.testing.dms import DMSPluginContract
from tests.deployments.conftest import helm_config


class TestHelmContract(DMSPluginContract):
    settle_timeout = 60.0

    @pytest.fixture
    def dms_plugin(self, kube_cluster: Any, helm_binary: str, tmp_path: Path) -> Iterator[HelmDMSPlugin]:
        plugin = HelmDMSPlugin("helm-contract")
        plugin.initialize(helm_config(kube_cluster, helm_binary, tmp_path / "charts", namespace="netweave-kit"))
        yield plugin
        plugin.close()
