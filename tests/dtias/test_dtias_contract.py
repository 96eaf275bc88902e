"""The IMS contract kit against the fake DTIAS server."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plugins.ims.dtias.plugin import DTIASIMSPlugin
from plugins.sdk.ims import ResourcePool
from plugins.testing.ims import IMSPluginContract
from tests.dtias.conftest import plugin_config
from tests.dtias.fake_dtias import FakeDTIASServer


class TestDTIASContract(IMSPluginContract):
    @pytest.fixture
    def ims_plugin(self, dtias: FakeDTIASServer) -> Iterator[DTIASIMSPlugin]:
        plugin = DTIASIMSPlugin("contract")
        plugin.initialize(plugin_config(dtias))
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, dtias: FakeDTIASServer, make_dtias_instance: Callable[..., Any]) -> Any:
        return make_dtias_instance(dtias, "contract")

    @pytest.fixture
    def new_pool(self) -> ResourcePool:
        return ResourcePool(
            native_id="",
            name=f"contract-kit-{uuid.uuid4().hex[:8]}",
            description="created by the netweave IMS contract kit",
            extensions={"dtias.resourceSelectors": {"du": {"resourceProfileId": "xr8620t-du", "numResources": 2}}},
        )
