"""MachineConfigPools as resource types."""

from __future__ import annotations

from plugins.ims.kubernetes.mapping import Options, derive
from plugins.ims.openshift.mapping import type_from_machine_config_pool
from plugins.ims.openshift.plugin import OpenShiftIMSPlugin
from plugins.sdk.ims import ResourceClass, ResourceKind

MCP = {
    "metadata": {"name": "worker", "labels": {"pools.operator.machineconfiguration.openshift.io/worker": ""}},
    "spec": {"nodeSelector": {"matchLabels": {"node-role.kubernetes.io/worker": ""}}},
    "status": {
        "machineCount": 3,
        "configuration": {
            "name": "rendered-worker-5f1e",
            "source": [{"kind": "MachineConfig", "name": "01-worker-kubelet"}, {"name": "00-worker"}],
        },
    },
}


def test_machine_config_pool_is_a_resource_type() -> None:
    rtype = type_from_machine_config_pool(MCP, Options(prefix="openshift"))
    assert rtype.native_id == "machineconfigpool/worker"
    assert rtype.version == "rendered-worker-5f1e"
    assert (rtype.resource_kind, rtype.resource_class) == (ResourceKind.LOGICAL, ResourceClass.COMPUTE)
    assert rtype.extensions["openshift.machineConfigs"] == ["00-worker", "01-worker-kubelet"]
    assert rtype.extensions["openshift.machineCount"] == 3


def test_the_openshift_plugin_adds_them_to_the_derived_types() -> None:
    plugin = OpenShiftIMSPlugin("ocp")
    options = Options(prefix="openshift", machine_api=True)
    inventory = derive({"machineconfigpools": {"worker": MCP}}, options, plugin.extra_types)
    assert [t.native_id for t in inventory.resource_types or ()] == ["machineconfigpool/worker"]
