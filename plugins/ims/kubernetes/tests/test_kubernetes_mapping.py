"""The pure mapping: API server JSON -> O2 objects, joins, pools, types and the cluster's capacity."""

from __future__ import annotations

from typing import Any

from plugins.ims.kubernetes import mapping
from plugins.ims.kubernetes.informer import differences, flatten
from plugins.sdk.ims import ResourceClass, ResourceKind

OPTIONS = mapping.Options(server="https://127.0.0.1:6443", version={"gitVersion": "v1.37.2"}, cluster_name="edge")


def node(name: str, *, labels: dict[str, str] | None = None, cpu: str = "4", memory: str = "16Gi") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"providerID": f"aws:///eu-west-3a/i-{name}"},
        "status": {
            "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
            "allocatable": {"cpu": "3800m", "memory": memory, "pods": "110"},
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "lastHeartbeatTime": "2026-01-01T00:00:00Z",
                }
            ],
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
            "nodeInfo": {"kubeletVersion": "v1.37.2", "architecture": "amd64", "systemUUID": "abc"},
        },
    }


def machine(name: str, *, node_name: str | None = None, machine_set: str | None = None) -> dict[str, Any]:
    owners = [{"kind": "MachineSet", "name": machine_set}] if machine_set else []
    status = {"phase": "Running", "nodeRef": {"name": node_name}} if node_name else {"phase": "Provisioning"}
    return {
        "metadata": {"name": name, "ownerReferences": owners, "labels": {mapping.LABEL_MACHINE_INSTANCE_TYPE: "m5.xl"}},
        "spec": {},
        "status": status,
    }


def machine_set(name: str, replicas: int = 2) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default", "annotations": {mapping.ANNOTATION_DESCRIPTION: "workers"}},
        "spec": {"replicas": replicas, "template": {"metadata": {"labels": {"a": "b"}}}},
        "status": {"readyReplicas": 1},
    }


def test_node_joined_with_its_machine_is_one_resource_in_the_machine_set_pool() -> None:
    snapshot = {
        "nodes": {"n1": node("n1", labels={"node.kubernetes.io/instance-type": "m5.xl"}), "n2": node("n2")},
        "machines": {"m1": machine("m1", node_name="n1", machine_set="workers")},
        "machinesets": {"workers": machine_set("workers")},
        "storageclasses": {},
    }
    inventory = mapping.derive(snapshot, OPTIONS)
    resources = {r.native_id: r for r in inventory.resources or ()}
    assert set(resources) == {"machine/m1", "node/n2"}
    joined = resources["machine/m1"]
    assert joined.resource_pool_id == "machineset/workers"
    assert joined.resource_type_id == "instancetype/m5.xl"
    assert joined.extensions["kubernetes.nodeName"] == "n1"
    assert joined.extensions["kubernetes.machinePhase"] == "Running"
    assert joined.extensions["kubernetes.cpu"] == 4
    assert joined.extensions["kubernetes.memoryBytes"] == 16 * 2**30
    assert joined.extensions["kubernetes.conditions"] == {"Ready": {"status": "True", "reason": "KubeletReady"}}
    assert joined.global_asset_id == "aws:///eu-west-3a/i-n1"
    assert resources["node/n2"].resource_pool_id == mapping.UNASSIGNED_POOL
    assert resources["node/n2"].resource_type_id == "instancetype/unspecified"
    pools = {p.native_id: p for p in inventory.resource_pools or ()}
    assert set(pools) == {"machineset/workers", "unassigned"}
    assert pools["machineset/workers"].description == "workers"
    assert pools["machineset/workers"].extensions["kubernetes.replicas"] == 2


def test_provisioning_machine_keeps_its_id_when_its_node_appears() -> None:
    before = mapping.derive(
        {"nodes": {}, "machines": {"m1": machine("m1", machine_set="w")}, "machinesets": {"w": machine_set("w")}},
        OPTIONS,
    )
    after = mapping.derive(
        {
            "nodes": {"n1": node("n1")},
            "machines": {"m1": machine("m1", node_name="n1", machine_set="w")},
            "machinesets": {"w": machine_set("w")},
        },
        OPTIONS,
    )
    assert (
        [r.native_id for r in before.resources or ()] == ["machine/m1"] == [r.native_id for r in after.resources or ()]
    )


def test_label_pools_group_nodes_by_the_configured_label() -> None:
    options = mapping.Options(pool_label="agentpool", machine_api=False)
    snapshot = {"nodes": {"a": node("a", labels={"agentpool": "gpu"}), "b": node("b", labels={"agentpool": "gpu"})}}
    inventory = mapping.derive(snapshot, options)
    assert [(p.native_id, p.extensions["kubernetes.nodes"]) for p in inventory.resource_pools or ()] == [
        ("nodepool/gpu", 2)
    ]


def test_storage_classes_and_flavours_are_resource_types() -> None:
    sc = {
        "metadata": {"name": "fast", "annotations": {mapping.ANNOTATION_DEFAULT_STORAGE_CLASS: "true"}},
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3"},
    }
    inventory = mapping.derive({"nodes": {"n": node("n")}, "storageclasses": {"fast": sc}}, OPTIONS)
    types = {t.native_id: t for t in inventory.resource_types or ()}
    assert set(types) == {"storageclass/fast", "instancetype/unspecified"}
    assert types["storageclass/fast"].resource_class == ResourceClass.STORAGE
    assert types["storageclass/fast"].resource_kind == ResourceKind.LOGICAL
    assert types["storageclass/fast"].extensions["kubernetes.default"] is True
    assert types["instancetype/unspecified"].resource_class == ResourceClass.COMPUTE


def test_the_cluster_is_the_deployment_manager_with_summed_capacity() -> None:
    nodes = [node("a", labels={mapping.LABEL_REGION: "eu-west-3"}), node("b")]
    dm = mapping.deployment_manager(nodes, OPTIONS)
    assert dm.native_id == "cluster"
    assert dm.name == "edge"
    assert dm.service_uri == "https://127.0.0.1:6443"
    assert dm.capacity == {"nodes": 2, "cpu": 7.6, "memory": 2 * 16 * 2**30, "pods": 220}
    assert dm.supported_locations == ("eu-west-3",)
    assert dm.capabilities["kubernetesVersion"] == "v1.37.2"


def test_differences_report_creations_modifications_and_deletions() -> None:
    one = flatten(mapping.derive({"nodes": {"a": node("a"), "b": node("b")}}, OPTIONS))
    two = flatten(mapping.derive({"nodes": {"a": node("a", cpu="8")}}, OPTIONS))
    events = {(e.kind, e.native_id): e.obj for e in differences(one, two)}
    assert events[("resource", "node/b")] is None
    assert events[("resource", "node/a")] is not None
    assert ("resourcePool", "unassigned") in events  # its member count changed
    assert not differences(two, two)


def test_memo_reuses_unchanged_objects_and_maps_changed_ones_again() -> None:
    nodes = {f"n{i}": node(f"n{i}", labels={"netweave.io/pool": "a"}) for i in range(5)}
    memo = mapping.Memo()
    first = mapping.derive({"nodes": dict(nodes)}, OPTIONS, None, memo)
    nodes["n2"] = node("n2", cpu="32", labels={"netweave.io/pool": "b"})
    del nodes["n4"]
    again = mapping.derive({"nodes": dict(nodes)}, OPTIONS, None, memo)
    assert flatten(again) == flatten(mapping.derive({"nodes": dict(nodes)}, OPTIONS))
    unchanged = {r.native_id: r for r in first.resources or ()}["node/n0"]
    assert {r.native_id: r for r in again.resources or ()}["node/n0"] is unchanged


def test_differences_come_in_an_order_reconcile_accepts_one_by_one() -> None:
    """A node leaving the last unassigned slot: the resource goes before its pool; a new pool before its node."""
    alone = flatten(mapping.derive({"nodes": {"a": node("a")}}, OPTIONS))
    moved = flatten(mapping.derive({"nodes": {"a": node("a", labels={"netweave.io/pool": "gpu"})}}, OPTIONS))
    empty = flatten(mapping.derive({"nodes": {}}, OPTIONS))
    kinds = [(e.kind, e.obj is None) for e in differences(alone, empty)]
    assert kinds.index(("resource", True)) < kinds.index(("resourcePool", True))
    steps = [(e.kind, e.native_id, e.obj is None) for e in differences(alone, moved)]
    assert steps.index(("resourcePool", "nodepool/gpu", False)) < steps.index(("resource", "node/a", False))
    assert steps.index(("resource", "node/a", False)) < steps.index(("resourcePool", "unassigned", True))


def test_regions_and_zones_become_locations_and_sites() -> None:
    """R005: topology.kubernetes.io/region labels are locations, .../zone labels sites; a pool whose nodes are all
    in one zone is at that site."""
    top = {mapping.LABEL_REGION: "eu-west-3"}
    snapshot = {
        "nodes": {
            "a": node("a", labels={**top, mapping.LABEL_ZONE: "eu-west-3a", OPTIONS.pool_label: "ran"}),
            "b": node("b", labels={**top, mapping.LABEL_ZONE: "eu-west-3a", OPTIONS.pool_label: "ran"}),
            "c": node("c", labels={**top, mapping.LABEL_ZONE: "eu-west-3b", OPTIONS.pool_label: "core"}),
            "d": node("d", labels={**top, mapping.LABEL_ZONE: "eu-west-3a", OPTIONS.pool_label: "core"}),
            "e": node("e"),
        }
    }
    inventory = mapping.derive(snapshot, OPTIONS)
    (location,) = inventory.locations or ()
    assert location.global_location_id == "eu-west-3"
    assert [(s.native_id, s.global_location_id) for s in inventory.sites or ()] == [
        ("eu-west-3a", "eu-west-3"),
        ("eu-west-3b", "eu-west-3"),
    ]
    sites = {p.name: p.site_id for p in inventory.resource_pools or ()}
    assert sites == {"ran": "eu-west-3a", "core": None, mapping.UNASSIGNED_POOL: None}
    assert mapping.derive({"nodes": {"e": node("e")}}, OPTIONS).sites == []


def test_watch_differences_carry_sites_before_pools() -> None:
    labels = {mapping.LABEL_REGION: "r1", mapping.LABEL_ZONE: "z1", OPTIONS.pool_label: "p"}
    after = flatten(mapping.derive({"nodes": {"a": node("a", labels=labels)}}, OPTIONS))
    kinds = [event.kind for event in differences({}, after)]
    assert kinds.index("location") < kinds.index("oCloudSite") < kinds.index("resourcePool")
