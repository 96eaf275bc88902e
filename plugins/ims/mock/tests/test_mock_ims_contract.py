"""The mock IMS plugin against the IMS contract kit (plugins/testing/ims.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.ims.mock.plugin import MockIMSPlugin
from plugins.testing.ims import IMSPluginContract


class TestMockIMSContract(IMSPluginContract):
    """The default demo O-Cloud (3 sites, 6 pools, 60 resources), churn off as the kit requires."""

    @pytest.fixture
    def mock_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "stateFile": str(tmp_path / "mock-contract.sqlite3"),
            "churn": {"enabled": False},
            "pollIntervalSeconds": 0.05,
        }

    @pytest.fixture
    def ims_plugin(self, mock_config: dict[str, Any]) -> Iterator[MockIMSPlugin]:
        plugin = MockIMSPlugin("mock-contract")
        plugin.initialize(mock_config)
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, db: None, mock_config: dict[str, Any]) -> Any:
        from plugins.models import PluginInstance

        return PluginInstance.objects.create(
            name="mock-contract", category="ims", plugin_type="mock", config=mock_config
        )


class TestMockIMSContractLarger(TestMockIMSContract):
    """The same contract on a bigger many-site O-Cloud (7 sites, 28 pools, 3000 resources)."""

    sample_size = 40

    @pytest.fixture
    def mock_config(self, tmp_path: Path) -> dict[str, Any]:
        return {
            "stateFile": str(tmp_path / "mock-contract-larger.sqlite3"),
            "churn": {"enabled": False},
            "pollIntervalSeconds": 0.05,
            "sites": 7,
            "poolsPerSite": 4,
            "resources": 3000,
        }
