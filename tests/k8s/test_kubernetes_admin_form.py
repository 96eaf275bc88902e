"""Issue 15's done-criterion on the real kube-apiserver: an operator sets up a Kubernetes plugin with a kubeconfig
through the admin form alone (the kubeconfig pasted into the credential box, as a browser sends it), its health
is checked on save, and a sync brings the cluster's inventory in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import DeploymentManager
from inventory.sync import sync_instance
from plugins.models import PluginInstance, Secret
from plugins.secrets import resolve
from tests.k8s_harness import KubeCluster

pytestmark = pytest.mark.django_db


def test_a_kubernetes_plugin_set_up_through_the_admin_form(
    admin_client: Client, kube_cluster: KubeCluster, run_tasks: Any
) -> None:
    kubeconfig = kube_cluster.kubeconfig_text()
    form = {
        "name": "k8s-admin",
        "enabled": "on",
        "is_default": "on",
        "sync_interval": "0",
        "config__namespace": "default",
        "config__poolMode": "auto",
        "config__poolLabel": "netweave.io/pool",
        "config__resyncPeriod": "30s",
        "config__requestTimeoutSeconds": "10",
        "config__profileTokenSeconds": "3600",
        "config__enableInformers": "on",
        "secret__kubeconfig": kubeconfig.replace("\n", "\r\n"),  # a text area's line breaks, as browsers send them
    }
    url = reverse("admin:plugins_plugininstance_add") + "?type=ims.kubernetes"
    response = run_tasks(lambda: admin_client.post(url, form))
    assert response.status_code == 302, response.content.decode()[-3000:]
    instance = PluginInstance.objects.get(name="k8s-admin")
    assert resolve(Secret.objects.get(name="k8s-admin-kubeconfig")) == kubeconfig
    assert instance.health_ok is True, instance.health_message  # checked by the task queued on save
    sync_instance(instance)
    assert DeploymentManager.objects.filter(plugin_instance=instance).exists()
