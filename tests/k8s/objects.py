"""Test-side helpers that create and remove real API objects (Nodes with status, MachineSets, Machines,
StorageClasses, MachineConfigPools, an SMO's ServiceAccount with its Role) on the harness's kube-apiserver, with
the test's own client."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from tests.k8s_harness import KubeCluster

MACHINE = ("machine.openshift.io", "v1beta1")
MCP = ("machineconfiguration.openshift.io", "v1", "machineconfigpools")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


class KubeObjects:
    """Creates objects and remembers them, so `cleanup()` leaves the shared API server as it found it."""

    def __init__(self, cluster: KubeCluster) -> None:
        self.cluster = cluster
        self.api = cluster.api_client()
        self.core = client.CoreV1Api(self.api)
        self.storage = client.StorageV1Api(self.api)
        self.custom = client.CustomObjectsApi(self.api)
        self.rbac = client.RbacAuthorizationV1Api(self.api)
        self._created: list[tuple[str, str, str]] = []  # (kind, namespace, name)

    def ensure_namespace(self, name: str) -> None:
        with contextlib.suppress(ApiException):
            self.core.create_namespace({"metadata": {"name": name}})

    def node_body(
        self,
        name: str,
        *,
        labels: dict[str, str] | None = None,
        cpu: str = "8",
        memory: str = "32Gi",
        ready: bool = True,
    ) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": name, "labels": labels or {}},
            "spec": {"providerID": f"netweave-test://{name}"},
            "status": {
                "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True" if ready else "False",
                        "reason": "KubeletReady",
                        "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                    }
                ],
                "addresses": [{"type": "InternalIP", "address": "10.1.0.7"}, {"type": "Hostname", "address": name}],
                "nodeInfo": {
                    "kubeletVersion": "v1.37.2",
                    "architecture": "amd64",
                    "osImage": "Debian 13",
                    "machineID": "m",
                    "systemUUID": name,
                    "bootID": "b",
                    "kernelVersion": "6.12",
                    "containerRuntimeVersion": "containerd://2.1",
                    "kubeProxyVersion": "",
                    "operatingSystem": "linux",
                },
            },
        }

    def create_node(self, name: str, **kwargs: Any) -> dict[str, Any]:
        """A Node as a kubelet registers it: the object, then its status (the status subresource)."""
        body = self.node_body(name, **kwargs)
        self.core.create_node(body)
        self._created.append(("node", "", name))
        self.core.patch_node_status(name, {"status": body["status"]})
        return body

    def label_node(self, name: str, labels: dict[str, str | None]) -> None:
        self.core.patch_node(name, {"metadata": {"labels": labels}})

    def delete_node(self, name: str) -> None:
        self.core.delete_node(name)

    def create_storage_class(self, name: str, provisioner: str = "csi.netweave.test") -> None:
        self.storage.create_storage_class(
            {"metadata": {"name": name}, "provisioner": provisioner, "parameters": {"tier": "gold"}}
        )
        self._created.append(("storageclass", "", name))

    def create_machine_set(
        self, name: str, namespace: str = "default", replicas: int = 1, instance_type: str = "m5.xlarge"
    ) -> dict[str, Any]:
        selector = {"machine.openshift.io/cluster-api-machineset": name}
        body = {
            "apiVersion": "machine.openshift.io/v1beta1",
            "kind": "MachineSet",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": selector},
                "template": {
                    "metadata": {"labels": {**selector, "machine.openshift.io/instance-type": instance_type}},
                    "spec": {"providerSpec": {"value": {"instanceType": instance_type}}},
                },
            },
        }
        created = self.custom.create_namespaced_custom_object(*MACHINE, namespace, "machinesets", body)
        self._created.append(("machineset", namespace, name))
        return dict(created)

    def get_machine_set(self, name: str, namespace: str = "default") -> dict[str, Any]:
        return dict(self.custom.get_namespaced_custom_object(*MACHINE, namespace, "machinesets", name))

    def machine_set_exists(self, name: str, namespace: str = "default") -> bool:
        try:
            self.get_machine_set(name, namespace)
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create_machine(
        self, name: str, machine_set: str, node: str | None = None, namespace: str = "default"
    ) -> dict[str, Any]:
        """A Machine owned by `machine_set`, linked to `node` as the machine-api controller would link it."""
        ms = self.get_machine_set(machine_set, namespace)
        body = {
            "apiVersion": "machine.openshift.io/v1beta1",
            "kind": "Machine",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": ms["spec"]["template"]["metadata"]["labels"],
                "ownerReferences": [
                    {
                        "apiVersion": "machine.openshift.io/v1beta1",
                        "kind": "MachineSet",
                        "name": machine_set,
                        "uid": ms["metadata"]["uid"],
                        "controller": True,
                    }
                ],
            },
            "spec": {"providerSpec": ms["spec"]["template"]["spec"]["providerSpec"]},
        }
        self.custom.create_namespaced_custom_object(*MACHINE, namespace, "machines", body)
        self._created.append(("machine", namespace, name))
        if node:
            status = {"status": {"phase": "Running", "nodeRef": {"kind": "Node", "name": node}}}
            self.custom.patch_namespaced_custom_object_status(*MACHINE, namespace, "machines", name, status)
        return body

    def create_machine_config_pool(self, name: str, rendered: str) -> None:
        body = {
            "apiVersion": "machineconfiguration.openshift.io/v1",
            "kind": "MachineConfigPool",
            "metadata": {"name": name},
            "spec": {
                "machineConfigSelector": {"matchLabels": {"machineconfiguration.openshift.io/role": name}},
                "nodeSelector": {"matchLabels": {f"node-role.kubernetes.io/{name}": ""}},
                "configuration": {"name": rendered, "source": [{"kind": "MachineConfig", "name": f"00-{name}"}]},
            },
        }
        self.custom.create_cluster_custom_object(*MCP, body)
        self._created.append(("machineconfigpool", "", name))

    def create_service_account_with_role(self, namespace: str, name: str, rules: list[dict[str, Any]]) -> None:
        """A namespace holding ServiceAccount `name`, bound to a Role with `rules` in that namespace: what an
        operator sets up for the SMO before naming it in profileServiceAccount."""
        self.core.create_namespace({"metadata": {"name": namespace}})
        self._created.append(("namespace", "", namespace))
        self.core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
        self.rbac.create_namespaced_role(namespace, {"metadata": {"name": name}, "rules": rules})
        self.rbac.create_namespaced_role_binding(
            namespace,
            {
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}],
            },
        )

    def cleanup(self) -> None:
        for kind, namespace, name in reversed(self._created):
            with contextlib.suppress(ApiException):
                if kind == "node":
                    self.core.delete_node(name)
                elif kind == "storageclass":
                    self.storage.delete_storage_class(name)
                elif kind in ("machineset", "machine"):
                    self.custom.delete_namespaced_custom_object(*MACHINE, namespace, f"{kind}s", name)
                elif kind == "machineconfigpool":
                    self.custom.delete_cluster_custom_object(*MCP, name)
                elif kind == "namespace":
                    # Without a controller-manager the namespace stays Terminating, but what it holds is gone.
                    for account in self.core.list_namespaced_service_account(name).items:
                        self.core.delete_namespaced_service_account(account.metadata.name, name)
                    for role in self.rbac.list_namespaced_role(name).items:
                        self.rbac.delete_namespaced_role(role.metadata.name, name)
                    for binding in self.rbac.list_namespaced_role_binding(name).items:
                        self.rbac.delete_namespaced_role_binding(binding.metadata.name, name)
                    self.core.delete_namespace(name)
        self._created.clear()

    def delete_all_machines(self, namespace: str) -> None:
        """Machines the plugin created (their names are generated) go too."""
        for plural in ("machines", "machinesets"):
            for item in self.custom.list_namespaced_custom_object(*MACHINE, namespace, plural)["items"]:
                with contextlib.suppress(ApiException):
                    self.custom.delete_namespaced_custom_object(*MACHINE, namespace, plural, item["metadata"]["name"])
