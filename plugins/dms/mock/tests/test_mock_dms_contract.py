"""The mock DMS plugin against the DMS contract kit (plugins/testing/dms.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from plugins.dms.mock.plugin import MockDMSPlugin
from plugins.testing.dms import DMSPluginContract


class TestMockDMSContract(DMSPluginContract):
    settle_timeout = 10.0

    @pytest.fixture
    def dms_plugin(self, tmp_path: Path) -> Iterator[MockDMSPlugin]:
        plugin = MockDMSPlugin("mock-dms-contract")
        plugin.initialize({"stateFile": str(tmp_path / "mock-dms.sqlite3"), "progressSeconds": 0.2})
        yield plugin
        plugin.close()
