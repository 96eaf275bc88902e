"""The OpenStack IMS plugin against the IMS contract kit (plugins/testing/ims.py), on the real control plane."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openstack.connection import Connection

from plugins.ims.openstack.plugin import OpenStackIMSPlugin
from plugins.sdk.ims import Resource, ResourcePool
from plugins.testing.ims import IMSPluginContract
from tests.openstack.conftest import clean_cloud


class TestOpenStackIMSContract(IMSPluginContract):
    """Two aggregates (one per compute host), a server in each, the seeded flavors: a small, real cloud."""

    @pytest.fixture(scope="class")
    def populated(self, os_admin: Connection, os_catalogue: dict[str, Any], openstack_cloud: dict[str, str]) -> Any:
        """Arranged once for the class: the kit's own writes undo themselves, so the cloud stays as made here."""
        clean_cloud(os_admin)
        hosts = openstack_cloud["NETWEAVE_OPENSTACK_COMPUTE_HOSTS"].split()
        for index, host in enumerate(hosts):
            aggregate = os_admin.compute.create_aggregate(name=f"contract-{index}", availability_zone=f"az-{index}")
            os_admin.compute.add_host_to_aggregate(aggregate, host)
            os_admin.compute.set_aggregate_metadata(aggregate, tier="edge" if index else "regional")
            server = os_admin.compute.create_server(
                name=f"contract-vm-{index}",
                flavor_id=os_catalogue["flavors"]["nw.small"],
                image_id=os_catalogue["image"],
                networks="none",
                availability_zone=f"az-{index}",
            )
            os_admin.compute.wait_for_server(server, interval=0.25, wait=120)
        yield os_catalogue
        clean_cloud(os_admin)

    @pytest.fixture
    def ims_plugin(self, populated: Any, plugin_config: dict[str, Any]) -> Iterator[OpenStackIMSPlugin]:
        plugin = OpenStackIMSPlugin("openstack-contract")
        plugin.initialize(plugin_config)
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, populated: Any, make_openstack_instance: Any) -> Any:
        return make_openstack_instance("openstack-contract")

    @pytest.fixture
    def new_pool(self, openstack_cloud: dict[str, str]) -> ResourcePool:
        return ResourcePool(
            native_id="",
            name="contract-kit-pool",
            description="created by the netweave IMS contract kit",
            global_location_id="geo:38.7223,-9.1393",
            location="az-contract",
            extensions={"openstack.metadata": {"purpose": "contract"}},
        )

    @pytest.fixture
    def new_resource(self, ims_plugin: OpenStackIMSPlugin, populated: Any) -> Resource:
        pool = next(p for p in ims_plugin.list_resource_pools() if p.extensions.get("openstack.hosts"))
        return Resource(
            native_id="",
            resource_type_id=populated["flavors"]["nw.large"],
            resource_pool_id=pool.native_id,
            description="booted by the contract kit",
            global_asset_id="ASSET-1",
            extensions={"openstack.imageId": populated["image"], "openstack.name": "contract-kit-vm"},
        )
