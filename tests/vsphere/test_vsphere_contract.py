"""The IMS contract kit against vcsim (VMware's vCenter simulator), on its default model and on a larger one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyVmomi import vim

from plugins.ims.vsphere.plugin import VSphereIMSPlugin
from plugins.sdk.ims import Resource, ResourcePool
from plugins.testing.ims import IMSPluginContract
from tests.vsphere.conftest import Admin
from tests.vsphere.harness import Vcsim


class VSphereContract(IMSPluginContract):
    watch_timeout = 20.0

    @pytest.fixture
    def sim(self) -> Vcsim:
        raise NotImplementedError

    @pytest.fixture
    def ims_plugin(self, sim: Vcsim) -> Iterator[VSphereIMSPlugin]:
        plugin = VSphereIMSPlugin("contract")
        plugin.initialize(sim.plugin_config())
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, sim: Vcsim, make_vsphere_instance: Callable[..., Any]) -> Any:
        return make_vsphere_instance(sim, "contract")

    @pytest.fixture
    def new_pool(self, ims_plugin: VSphereIMSPlugin) -> ResourcePool:
        cluster = next(p for p in ims_plugin.list_resource_pools() if p.extensions["vsphere.kind"] == "cluster")
        return ResourcePool(
            native_id="",
            name=f"contract-kit-{uuid.uuid4().hex[:8]}",
            description="created by the netweave IMS contract kit",
            global_location_id="geo:0.0000,0.0000",
            location="Contract kit",
            extensions={
                "vsphere.parentPool": cluster.native_id,
                "vsphere.cpuAllocation": {"reservation": 100, "limit": 2000},
                "vsphere.memoryAllocation": {"reservation": 128},
            },
        )

    @pytest.fixture
    def new_resource(self, ims_plugin: VSphereIMSPlugin) -> Resource:
        cluster = next(p for p in ims_plugin.list_resource_pools() if p.extensions["vsphere.kind"] == "cluster")
        return Resource(
            native_id="",
            resource_type_id="vm-shape:2vcpu-256mib",
            resource_pool_id=cluster.native_id,
            description="created by the netweave IMS contract kit",
            extensions={"vsphere.name": f"contract-kit-{uuid.uuid4().hex[:8]}"},
        )

    @pytest.fixture
    def trigger_change(self, sim: Vcsim) -> Iterator[Callable[[], set[str]]]:
        """Toggle one VM's power in vCenter: one change per call. (The kit's default, a pool created and deleted
        at once, falls into one PropertyCollector batch whose net difference is nothing, so nothing is reported.)"""
        admin = Admin(sim)
        vm = next(v for v in admin.all(vim.VirtualMachine) if not v.config.template)
        initially_on = vm.runtime.powerState == "poweredOn"

        def trigger() -> set[str]:
            on = vm.runtime.powerState == "poweredOn"
            admin.wait(vm.PowerOffVM_Task() if on else vm.PowerOnVM_Task())
            return {vm._moId}

        yield trigger
        if (vm.runtime.powerState == "poweredOn") != initially_on:
            trigger()
        admin.close()


class TestVSphereContractDefaultModel(VSphereContract):
    @pytest.fixture
    def sim(self, vcsim: Vcsim) -> Vcsim:
        return vcsim


class TestVSphereContractLargeModel(VSphereContract):
    @pytest.fixture
    def sim(self, vcsim_large: Vcsim) -> Vcsim:
        return vcsim_large
