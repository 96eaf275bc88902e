"""The kubernetes and openshift IMS plugins pass the IMS contract kit against a real kube-apiserver."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plugins.ims.kubernetes.plugin import KubernetesIMSPlugin
from plugins.ims.openshift.plugin import OpenShiftIMSPlugin
from plugins.sdk.ims import Resource, ResourcePool
from plugins.testing.ims import IMSPluginContract
from tests.k8s.conftest import plugin_config
from tests.k8s.objects import KubeObjects, unique
from tests.k8s_harness import KubeCluster


class _Contract(IMSPluginContract):
    plugin_class: type[KubernetesIMSPlugin] = KubernetesIMSPlugin
    namespace = "default"

    @pytest.fixture
    def backend(self, kube: KubeObjects) -> KubeObjects:
        workers = unique("workers")
        kube.create_machine_set(workers, self.namespace, replicas=1)
        kube.create_node(unique("node"), labels={"node.kubernetes.io/instance-type": "m5.xlarge"})
        kube.create_machine(unique("machine"), workers, node=None, namespace=self.namespace)
        kube.create_storage_class(unique("fast"))
        return kube

    @pytest.fixture
    def ims_plugin(self, backend: KubeObjects, kube_cluster: KubeCluster) -> Iterator[KubernetesIMSPlugin]:
        plugin = self.plugin_class("contract")
        plugin.initialize(plugin_config(kube_cluster, namespace=self.namespace))
        yield plugin
        plugin.close()

    @pytest.fixture
    def plugin_instance(self, backend: KubeObjects, make_k8s_instance: Callable[..., Any]) -> Any:
        return make_k8s_instance("contract", self.plugin_class.name, namespace=self.namespace)

    @pytest.fixture
    def new_pool(self) -> ResourcePool:
        return ResourcePool(
            native_id="",
            name=unique("contract-pool"),
            description="created by the contract kit",
            location="Paris",
            global_location_id="geo:48.8566,2.3522",
            extensions={f"{self.plugin_class.name}.replicas": 2},
        )

    @pytest.fixture
    def new_resource(self, ims_plugin: KubernetesIMSPlugin) -> Resource:
        pool = next(p for p in ims_plugin.list_resource_pools() if p.native_id.startswith("machineset/"))
        return Resource(
            native_id="",
            resource_type_id="instancetype/m5.xlarge",
            resource_pool_id=pool.native_id,
            description="created by the contract kit",
        )

    @pytest.fixture
    def trigger_change(self, ims_plugin: KubernetesIMSPlugin, new_pool: ResourcePool) -> Callable[[], set[str]]:
        """Create a pool and keep it (the `kube` fixture removes it): the informer reports the net effect of a
        batch of events, so a pool created and deleted within ~100 ms may rightly produce no event at all."""

        def trigger() -> set[str]:
            return {ims_plugin.create_resource_pool(dataclasses.replace(new_pool, name=unique("watched"))).native_id}

        return trigger


class TestKubernetesContract(_Contract):
    pass


class TestOpenShiftContract(_Contract):
    plugin_class = OpenShiftIMSPlugin
    namespace = "openshift-machine-api"

    @pytest.fixture
    def backend(self, kube: KubeObjects) -> KubeObjects:
        kube.create_machine_config_pool(unique("worker"), "rendered-worker-1")
        workers = unique("workers")
        kube.create_machine_set(workers, self.namespace, replicas=1)
        kube.create_machine(unique("machine"), workers, node=None, namespace=self.namespace)
        return kube
