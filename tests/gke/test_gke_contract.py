"""The GKE IMS plugin against the IMS contract kit, on the fake ClusterManager (gRPC) and Compute (REST)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plugins.ims.gke.plugin import GKEIMSPlugin
from plugins.sdk.errors import InvalidRequest, NotFound
from plugins.sdk.ims import ResourcePool
from plugins.testing.ims import IMSPluginContract, check_o2_fields
from tests.gke.conftest import LOCATION, ZONES
from tests.gke.fake_gcp import FakeGcp


@pytest.fixture
def populated(gcp: FakeGcp) -> FakeGcp:
    gcp.world.add_cluster(LOCATION, "ran-core", ZONES)
    gcp.world.add_cluster("europe-west1-b", "ran-edge", ZONES[:1])
    gcp.world.add_node_pool(LOCATION, "ran-core", "cu", nodes=1, zones=ZONES[:2])
    gcp.world.add_node_pool("europe-west1-b", "ran-edge", "du", nodes=3, machine_type="c3-standard-22")
    return gcp


class TestGKEContract(IMSPluginContract):
    @pytest.fixture
    def ims_plugin(self, populated: FakeGcp, gke_config: dict[str, Any]) -> Iterator[GKEIMSPlugin]:
        plugin = GKEIMSPlugin("contract")
        plugin.initialize(gke_config)
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, make_gke_instance: Callable[..., Any], forget_plugin_objects: None) -> Any:
        return make_gke_instance("gke-contract")

    @pytest.fixture
    def new_pool(self) -> ResourcePool:
        return ResourcePool(
            native_id="",
            name=f"contract-{uuid.uuid4().hex[:8]}",
            extensions={"gke.cluster": f"{LOCATION}/ran-core", "gke.nodeCountPerZone": 1, "gke.zones": ZONES[:1]},
        )

    def test_resource_pool_management(self, ims_plugin: GKEIMSPlugin, new_pool: ResourcePool) -> None:
        """The kit's lifecycle, with the resize as the update: GKE node pools have no description to change
        (the kit's generic update), and the plugin says so instead of pretending."""
        created = ims_plugin.create_resource_pool(new_pool)
        try:
            assert created.native_id == f"{LOCATION}/ran-core/{new_pool.name}"
            assert created.site_id == ZONES[0]  # R005: a node pool in one zone is at that zone's site
            assert not check_o2_fields(created)
            assert {p.native_id: p for p in ims_plugin.list_resource_pools()}[created.native_id] == created
            assert ims_plugin.get_resource_pool(created.native_id) == created
            with pytest.raises(InvalidRequest) as refused:
                ims_plugin.update_resource_pool(
                    created.native_id, ResourcePool(**{**created.__dict__, "description": "x"})
                )
            assert refused.value.field == "description"
            grown = ResourcePool(**{**created.__dict__, "extensions": {"gke.nodeCountPerZone": 2}})
            updated = ims_plugin.update_resource_pool(created.native_id, grown)
            assert updated.extensions["gke.nodeCount"] == 2
            assert ims_plugin.get_resource_pool(created.native_id) == updated
            ims_plugin.delete_resource_pool(created.native_id)
            assert created.native_id not in {p.native_id for p in ims_plugin.list_resource_pools()}
            with pytest.raises(NotFound):
                ims_plugin.get_resource_pool(created.native_id)
        finally:
            with contextlib.suppress(NotFound):
                ims_plugin.delete_resource_pool(created.native_id)
