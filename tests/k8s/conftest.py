"""Fixtures for the Kubernetes/OpenShift IMS tests: API objects on the harness's server, plugin instances."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.k8s.objects import KubeObjects
from tests.k8s_harness import KubeCluster


@pytest.fixture
def kube(kube_cluster: KubeCluster) -> Iterator[KubeObjects]:
    """Create API objects; everything created is removed afterwards (the server is shared by the session)."""
    objects = KubeObjects(kube_cluster)
    objects.ensure_namespace("openshift-machine-api")
    try:
        yield objects
    finally:
        objects.cleanup()
        objects.delete_all_machines("default")
        objects.delete_all_machines("openshift-machine-api")


def plugin_config(cluster: KubeCluster, **overrides: Any) -> dict[str, Any]:
    """A plugin config with the kubeconfig inline (for plugin objects made by the test itself)."""
    return {"kubeconfig": cluster.kubeconfig_text(), "resyncPeriod": "30s", **overrides}


@pytest.fixture
def make_k8s_instance(db: None, kube_cluster: KubeCluster) -> Callable[..., Any]:
    """A saved PluginInstance whose kubeconfig is a Secret (provider file) pointing at the harness's kubeconfig."""
    from plugins.models import PluginInstance, Secret

    def make(name: str = "k8s", plugin_type: str = "kubernetes", **config: Any) -> PluginInstance:
        secret, _ = Secret.objects.get_or_create(
            name=f"{name}-kubeconfig",
            defaults={"provider": Secret.Provider.FILE, "reference": str(kube_cluster.kubeconfig)},
        )
        return PluginInstance.objects.create(
            name=name,
            category="ims",
            plugin_type=plugin_type,
            is_default=True,
            sync_interval=0,
            config={"kubeconfig": {"secretRef": secret.name}, **config},
        )

    return make
