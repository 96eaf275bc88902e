"""The Kubernetes O-Cloud northbound: nodes and MachineSets on a real kube-apiserver, synced into netweave, reach
the (schema-checked, resource-version enforcing) fake A&AI as pservers and cloud-regions through the ONAP SMO
plugin, and their changes arrive as VES events at DMaaP Message Router (the receiver); a deleted MachineSet
removes its cloud-region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inventory.models import Resource, ResourcePool
from inventory.sync import sync_instance
from plugins import registry
from smo import northbound
from tests.k8s.objects import KubeObjects, unique
from tests.smo import conftest as smo_fixtures

fake_aai = smo_fixtures.fake_aai  # the SMO tests' fixtures, here beside the Kubernetes ones
make_onap_smo = smo_fixtures.make_onap_smo
pytestmark = [pytest.mark.django_db, pytest.mark.backend, pytest.mark.kubernetes]
REGION = "/cloud-infrastructure/cloud-regions/cloud-region/netweave"
TOPIC = "unauthenticated.VES_INFRASTRUCTURE_EVENTS"


def test_kubernetes_inventory_reaches_aai(
    kube: KubeObjects, make_k8s_instance: Callable[..., Any], make_onap_smo: Any, fake_aai: Any, receiver: Any
) -> None:
    workers, node, machine = unique("workers"), unique("node"), unique("machine")
    kube.create_machine_set(workers, replicas=1, instance_type="m5.large")
    kube.create_node(node, labels={"node.kubernetes.io/instance-type": "m5.large"}, cpu="8", memory="32Gi")
    kube.create_machine(machine, workers, node=node)
    k8s = make_k8s_instance("k8s-smo")
    try:
        sync_instance(k8s)
        onap = make_onap_smo(dmaapUrl=receiver.url)
        assert not northbound.step(onap).errors
        pool = ResourcePool.objects.get(name=workers)
        resource = Resource.objects.get(resource_pool=pool)
        assert f"{REGION}/{pool.pk}" in fake_aai.of_type("cloud-region")
        pserver = fake_aai.of_type("pserver")[f"/cloud-infrastructure/pservers/pserver/{resource.pk}"]
        assert pserver["serial-number"] == f"netweave-test://{node}"

        kube.delete_all_machines("default")  # the MachineSet and its Machine
        sync_instance(k8s)
        assert not northbound.step(onap).errors
        assert f"{REGION}/{pool.pk}" not in fake_aai.of_type("cloud-region")
        events = [e for r in receiver.received if r.path == f"/events/{TOPIC}" for e in r.json()]
        fields = [e["event"]["notificationFields"] for e in events]
        changes = {(f["changeIdentifier"], f["changeType"]) for f in fields}
        assert (f"ResourcePoolInfo/{pool.pk}", "delete") in changes
    finally:
        registry.forget(k8s.pk)
