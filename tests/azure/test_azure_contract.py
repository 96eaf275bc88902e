"""The Azure AKS IMS plugin against the IMS contract kit, on the fake ARM (HTTPS, with Entra ID tokens)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plugins.ims.azure.plugin import AzureIMSPlugin
from plugins.sdk.errors import InvalidRequest, NotFound
from plugins.sdk.ims import ResourcePool
from plugins.testing.ims import IMSPluginContract, check_o2_fields
from tests.azure.conftest import CLUSTER, GROUP
from tests.azure.fake_arm import World


@pytest.fixture
def populated(arm: World) -> World:
    arm.add_cluster(GROUP, CLUSTER)
    arm.add_cluster("rg-edge", "aks-edge", "northeurope")
    arm.add_pool(GROUP, CLUSTER, "system", count=1, mode="System", zones=["1", "2", "3"])
    arm.add_pool(GROUP, CLUSTER, "cu", count=3, zones=["1"], vm_size="Standard_D8s_v5")
    arm.add_pool("rg-edge", "aks-edge", "du", count=2, vm_size="Standard_F16s_v2")
    return arm


class TestAzureContract(IMSPluginContract):
    @pytest.fixture
    def ims_plugin(self, populated: World, azure_config: dict[str, Any]) -> Iterator[AzureIMSPlugin]:
        plugin = AzureIMSPlugin("contract")
        plugin.initialize(azure_config)
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, make_azure_instance: Callable[..., Any], forget_plugin_objects: None) -> Any:
        return make_azure_instance("azure-contract")

    @pytest.fixture
    def new_pool(self) -> ResourcePool:
        return ResourcePool(
            native_id="",
            name=f"c{uuid.uuid4().hex[:8]}",
            extensions={"azure.cluster": f"{GROUP}/{CLUSTER}", "azure.count": 1, "azure.zones": ["2"]},
        )

    def test_resource_pool_management(self, ims_plugin: AzureIMSPlugin, new_pool: ResourcePool) -> None:
        """The kit's lifecycle, with the scale as the update: agent pools have no description to change (the
        kit's generic update), and the plugin says so instead of pretending."""
        created = ims_plugin.create_resource_pool(new_pool)
        try:
            assert created.native_id == f"{GROUP}/{CLUSTER}/{new_pool.name}"
            assert created.site_id == "westeurope-2"
            assert not check_o2_fields(created)
            assert {p.native_id: p for p in ims_plugin.list_resource_pools()}[created.native_id] == created
            assert ims_plugin.get_resource_pool(created.native_id) == created
            with pytest.raises(InvalidRequest) as refused:
                ims_plugin.update_resource_pool(
                    created.native_id, ResourcePool(**{**created.__dict__, "description": "x"})
                )
            assert refused.value.field == "description"
            grown = ResourcePool(**{**created.__dict__, "extensions": {"azure.count": 2}})
            updated = ims_plugin.update_resource_pool(created.native_id, grown)
            assert updated.extensions["azure.nodeCount"] == 2
            assert ims_plugin.get_resource_pool(created.native_id) == updated
            ims_plugin.delete_resource_pool(created.native_id)
            assert created.native_id not in {p.native_id for p in ims_plugin.list_resource_pools()}
            with pytest.raises(NotFound):
                ims_plugin.get_resource_pool(created.native_id)
        finally:
            with contextlib.suppress(NotFound):
                ims_plugin.delete_resource_pool(created.native_id)
