"""End to end through netweave's HTTP API, against a real kube-apiserver: objects made on the API server appear
in the O2 inventory after a sync; pool writes through the IMS write extension change the MachineSet; an API
server outage. The native_k8sapi profile has its own module (test_kubernetes_profile.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from inventory.sync import sync_instance
from plugins import registry
from tests.k8s.objects import KubeObjects, unique
from tests.k8s_harness import KubeCluster
from tests.o2client import O2Client, json_of

INV = "/o2ims-infrastructureInventory/v1"
EXT = "/netweave-ims-ext/v1/resourcePools"

pytestmark = pytest.mark.django_db


@pytest.fixture
def k8s(make_k8s_instance: Callable[..., Any]) -> Any:
    instance = make_k8s_instance("k8s-e2e")
    yield instance
    registry.forget(instance.pk)


def _by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def test_api_objects_appear_in_the_o2_inventory(o2: O2Client, kube: KubeObjects, k8s: Any) -> None:
    workers = unique("workers")
    node, machine, storage = unique("node"), unique("machine"), unique("gold")
    kube.create_machine_set(workers, replicas=1, instance_type="m5.large")
    kube.create_node(node, labels={"node.kubernetes.io/instance-type": "m5.large"}, cpu="16", memory="64Gi")
    kube.create_machine(machine, workers, node=node)
    kube.create_storage_class(storage)

    result = sync_instance(k8s)
    assert result.changed

    pools = _by_name(json_of(o2.get(f"{INV}/resourcePools?all_fields")))
    pool = pools[workers]
    assert pool["extensions"]["kubernetes.replicas"] == 1
    assert pool["extensions"]["kubernetes.kind"] == "MachineSet"

    resources = json_of(o2.get(f"{INV}/resourcePools/{pool['resourcePoolId']}/resources?all_fields"))
    assert len(resources) == 1
    joined = resources[0]
    assert joined["extensions"]["kubernetes.machineName"] == machine
    assert joined["extensions"]["kubernetes.nodeName"] == node
    assert joined["extensions"]["kubernetes.cpu"] == 16
    assert joined["extensions"]["kubernetes.memoryBytes"] == 64 * 2**30
    assert joined["extensions"]["kubernetes.ready"] is True
    assert {"type": "InternalIP", "address": "10.1.0.7"} in joined["extensions"]["kubernetes.addresses"]
    assert joined["globalAssetId"] == f"netweave-test://{node}"

    types = _by_name(json_of(o2.get(f"{INV}/resourceTypes?all_fields")))
    assert types["m5.large"]["resourceTypeId"] == joined["resourceTypeId"]
    assert types[storage]["resourceClass"] == "STORAGE"
    assert types[storage]["vendor"] == "csi.netweave.test"

    managers = json_of(o2.get(f"{INV}/deploymentManagers?all_fields"))
    assert len(managers) == 1
    cluster = managers[0]
    assert cluster["serviceUri"] == kube.cluster.server
    assert cluster["capabilities"]["kubernetesVersion"] == "v1.37.2"
    assert cluster["capacity"]["nodes"] >= 1
    assert cluster["capacity"]["cpu"] >= 16


def test_pool_create_scale_delete_through_the_api_changes_the_machine_set(
    o2: O2Client, kube: KubeObjects, k8s: Any
) -> None:
    name = unique("edge-pool")
    created = o2.post(
        EXT,
        {"name": name, "description": "edge workers", "location": "Lyon", "extensions": {"kubernetes.replicas": 1}},
    )
    assert created.status_code == 201, created.content
    pool = json_of(created)
    ms = kube.get_machine_set(name)
    assert ms["spec"]["replicas"] == 1
    assert ms["metadata"]["annotations"]["netweave.io/description"] == "edge workers"
    assert ms["metadata"]["annotations"]["netweave.io/location"] == "Lyon"

    scaled = o2.patch(f"{EXT}/{pool['resourcePoolId']}", {"extensions": {"kubernetes.replicas": 3}})
    assert scaled.status_code == 200, scaled.content
    assert kube.get_machine_set(name)["spec"]["replicas"] == 3
    o2_pool = json_of(o2.get(f"{INV}/resourcePools/{pool['resourcePoolId']}?all_fields"))
    assert o2_pool["extensions"]["kubernetes.replicas"] == 3

    bad = o2.patch(f"{EXT}/{pool['resourcePoolId']}", {"extensions": {"kubernetes.replicas": -1}})
    assert bad.status_code == 400
    assert "replicas" in json_of(bad)["detail"]

    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}").status_code == 204
    assert not kube.machine_set_exists(name)
    assert o2.get(f"{INV}/resourcePools/{pool['resourcePoolId']}").status_code == 404


def test_machine_create_and_delete_through_the_api(o2: O2Client, kube: KubeObjects, k8s: Any) -> None:
    workers = unique("workers")
    kube.create_machine_set(workers, replicas=0, instance_type="m5.large")
    kube.create_node(unique("node"), labels={"node.kubernetes.io/instance-type": "m5.large"})
    sync_instance(k8s)
    pool = _by_name(json_of(o2.get(f"{INV}/resourcePools")))[workers]
    rtype = _by_name(json_of(o2.get(f"{INV}/resourceTypes")))["m5.large"]
    created = o2.post(f"{EXT}/{pool['resourcePoolId']}/resources", {"resourceTypeId": rtype["resourceTypeId"]})
    assert created.status_code == 201, created.content
    resource = json_of(created)
    machines = kube.custom.list_namespaced_custom_object(
        "machine.openshift.io", "v1beta1", "default", "machines", label_selector=f"netweave.io/pool={workers}"
    )["items"]
    assert len(machines) == 1
    assert machines[0]["spec"]["providerSpec"]["value"] == {"instanceType": "m5.large"}
    assert machines[0]["metadata"]["labels"]["machine.openshift.io/instance-type"] == "m5.large"

    assert o2.delete(f"{EXT}/{pool['resourcePoolId']}/resources/{resource['resourceId']}").status_code == 204
    assert not kube.custom.list_namespaced_custom_object(
        "machine.openshift.io", "v1beta1", "default", "machines", label_selector=f"netweave.io/pool={workers}"
    )["items"]


def test_api_server_outage_health_bad_reads_served_then_recovery(
    o2: O2Client, kube: KubeObjects, kube_cluster: KubeCluster, k8s: Any
) -> None:
    kube.create_node(unique("node"))
    sync_instance(k8s)
    assert registry.check_health(k8s).healthy
    before = json_of(o2.get(f"{INV}/resourcePools"))
    pool_id = before[0]["resourcePoolId"]

    kube_cluster.stop_apiserver()
    try:
        status = registry.check_health(k8s)
        assert not status.healthy
        assert "unreachable" in status.message
        assert json_of(o2.get(f"{INV}/resourcePools")) == before  # reads serve the last sync
        write = o2.patch(f"{EXT}/{pool_id}", {"description": "during the outage"})
        assert write.status_code == 503
    finally:
        kube_cluster.start()
    assert registry.check_health(k8s).healthy
    assert sync_instance(k8s).changed == 0


def test_topology_labels_become_locations_and_sites(o2: O2Client, kube: KubeObjects, k8s: Any) -> None:
    """R005: a node's topology.kubernetes.io/region is a location and its .../zone a site; a label pool whose nodes
    are all in one zone is at that site (served through HTTP, validated against the OpenAPI)."""
    region, zone, pool = unique("region"), unique("zone"), unique("ran")
    labels = {"topology.kubernetes.io/region": region, "topology.kubernetes.io/zone": zone, "netweave.io/pool": pool}
    for _ in range(2):
        kube.create_node(unique("node"), labels=labels)
    sync_instance(k8s)

    (location,) = json_of(o2.get(f"{INV}/locations?filter=(eq,globalLocationId,{region})"))
    (site,) = json_of(o2.get(f"{INV}/oCloudSites?filter=(eq,name,{zone})"))
    assert site["globalLocationId"] == region
    assert location["oCloudSiteIds"] == [site["oCloudSiteId"]]
    (o2_pool,) = json_of(o2.get(f"{INV}/resourcePools?filter=(eq,name,{pool})"))
    assert o2_pool["oCloudSiteId"] == site["oCloudSiteId"]
    assert site["resourcePools"] == [o2_pool["resourcePoolId"]]
