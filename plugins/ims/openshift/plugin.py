"""The openshift IMS plugin: the kubernetes plugin configured for OpenShift's machine API, plus resource types
derived from MachineConfigPools (the rendered MachineConfig each node role runs). Everything else is inherited."""

from __future__ import annotations

from typing import Any, ClassVar

from plugins.ims.kubernetes.client import Source
from plugins.ims.kubernetes.mapping import Options, Snapshot
from plugins.ims.kubernetes.plugin import KubernetesIMSPlugin
from plugins.ims.openshift import mapping
from plugins.ims.openshift.config import OpenShiftConfig
from plugins.sdk.ims import ResourceType

MACHINE_CONFIG_POOLS = Source(
    "machineconfigpools", "machineconfiguration.openshift.io", "v1", "machineconfigpools", namespaced=False
)


class OpenShiftIMSPlugin(KubernetesIMSPlugin):
    """An OpenShift cluster: MachineSets in openshift-machine-api, Machines, Nodes, MachineConfigPools."""

    name = "openshift"
    version = "1.0.0"
    config_class = OpenShiftConfig
    extra_sources: ClassVar[tuple[Source, ...]] = (MACHINE_CONFIG_POOLS,)

    def extra_types(self, snapshot: Snapshot, options: Options) -> list[ResourceType]:
        pools: dict[str, Any] = snapshot.get(MACHINE_CONFIG_POOLS.key, {})
        return [mapping.type_from_machine_config_pool(mcp, options) for mcp in pools.values()]
