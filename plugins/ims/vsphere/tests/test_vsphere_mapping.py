"""The pure mapping: a snapshot of vCenter's objects -> O2 inventory (no vCenter needed)."""

from __future__ import annotations

from typing import Any

from plugins.ims.vsphere import mapping
from plugins.ims.vsphere.mapping import About
from plugins.sdk.ims import ResourceKind
from plugins.testing.ims import check_o2_fields, check_references, iter_inventory

ABOUT = About(instance_uuid="vc-1", full_name="VMware vCenter Server 8.0", version="8.0", url="https://vc/sdk")
HARDWARE = {"vendor": "Dell Inc.", "model": "PowerEdge R750", "uuid": "hw-1", "numCpuCores": 32, "memorySize": 2**30}


def obj(kind: str, **props: Any) -> dict[str, Any]:
    return {"type": kind, "props": props}


def snapshot() -> mapping.Snapshot:
    return {
        "CustomFieldsManager": obj("CustomFieldsManager", field=[{"key": 101, "name": mapping.ATTR_DESCRIPTION}]),
        "datacenter-1": obj("Datacenter", name="Paris", parent="group-d1"),
        "datacenter-2": obj("Datacenter", name="Lisbon", parent="group-d1"),
        "group-h1": obj("Folder", name="host", parent="datacenter-1"),
        "group-h2": obj("Folder", name="host", parent="datacenter-2"),
        "domain-c1": obj(
            "ClusterComputeResource",
            name="edge",
            parent="group-h1",
            resourcePool="resgroup-1",
            host=["host-1"],
            customValue={"101": "RAN edge"},
        ),
        "domain-c2": obj("ClusterComputeResource", name="core", parent="group-h2", resourcePool="resgroup-2", host=[]),
        "resgroup-1": obj("ResourcePool", name="Resources", parent="domain-c1", owner="domain-c1"),
        "resgroup-2": obj("ResourcePool", name="Resources", parent="domain-c2", owner="domain-c2"),
        "resgroup-3": obj(
            "ResourcePool",
            name="du",
            parent="resgroup-1",
            owner="domain-c1",
            **{
                "config.cpuAllocation": {
                    "reservation": 100,
                    "limit": -1,
                    "expandableReservation": True,
                    "shares": "high",
                }
            },
        ),
        "resgroup-4": obj("ResourcePool", name="du-a", parent="resgroup-3", owner="domain-c1"),
        "host-1": obj("HostSystem", name="esx1", parent="domain-c1", **{"summary.hardware": HARDWARE}),
        "vm-1": obj(
            "VirtualMachine",
            name="vdu",
            resourcePool="resgroup-4",
            **{
                "runtime.host": "host-1",
                "runtime.powerState": "poweredOn",
                "config.hardware.numCPU": 4,
                "config.hardware.memoryMB": 8192,
                "config.template": False,
            },
        ),
        "vm-2": obj(
            "VirtualMachine",
            name="vcu",
            resourcePool="resgroup-1",
            **{
                "runtime.host": "host-1",
                "config.hardware.numCPU": 4,
                "config.hardware.memoryMB": 8192,
            },
        ),
        "vm-9": obj(
            "VirtualMachine",
            name="ubuntu-template",
            **{
                "config.template": True,
                "config.hardware.numCPU": 2,
                "config.hardware.memoryMB": 4096,
                "config.guestId": "ubuntu64Guest",
            },
        ),
    }


def test_clusters_and_pools_below_their_root_pool_are_pools() -> None:
    inventory = mapping.derive(snapshot(), ABOUT)
    pools = {p.native_id: p for p in inventory.resource_pools or ()}
    assert set(pools) == {"domain-c1", "domain-c2", "resgroup-3", "resgroup-4"}  # root pools are their clusters
    assert pools["domain-c1"].description == "RAN edge"
    assert pools["domain-c1"].location == "Paris"
    assert pools["resgroup-3"].extensions["vsphere.parentPool"] == "domain-c1"
    assert pools["resgroup-4"].extensions["vsphere.parentPool"] == "resgroup-3"
    assert pools["resgroup-4"].extensions["vsphere.siteId"] == "domain-c1"
    assert pools["resgroup-3"].extensions["vsphere.cpuAllocation"]["shares"] == "high"


def test_hosts_and_vms_are_resources_vms_children_of_their_host() -> None:
    inventory = mapping.derive(snapshot(), ABOUT)
    resources = {r.native_id: r for r in inventory.resources or ()}
    assert set(resources) == {"host-1", "vm-1", "vm-2"}  # the template is a type, not a resource
    assert resources["vm-1"].parent_id == "host-1"
    assert resources["vm-1"].resource_pool_id == "resgroup-4"
    assert resources["vm-2"].resource_pool_id == "domain-c1"  # the cluster's root pool
    assert resources["vm-1"].resource_type_id == "vm-shape:4vcpu-8192mib"
    assert resources["host-1"].resource_type_id == "host-model:Dell Inc./PowerEdge R750"
    assert resources["host-1"].global_asset_id == "hw-1"
    types = {t.native_id: t for t in inventory.resource_types or ()}
    assert types["host-model:Dell Inc./PowerEdge R750"].resource_kind == ResourceKind.PHYSICAL
    assert types["vm-template:vm-9"].name == "ubuntu-template"
    assert types["vm-template:vm-9"].extensions["vsphere.vcpus"] == 2
    assert not check_references(inventory)
    assert not [e for o in iter_inventory(inventory) for e in check_o2_fields(o)]


def test_datacenters_and_clusters_are_locations_and_sites() -> None:
    (manager,) = mapping.derive(snapshot(), ABOUT).deployment_managers or ()
    assert manager.supported_locations == ("Paris", "Lisbon")  # by datacenter id
    assert manager.extensions["vsphere.locations"] == [
        {"locationId": "datacenter-1", "name": "Paris"},
        {"locationId": "datacenter-2", "name": "Lisbon"},
    ]
    assert {s["siteId"]: s["locationId"] for s in manager.extensions["vsphere.sites"]} == {
        "domain-c1": "datacenter-1",
        "domain-c2": "datacenter-2",
    }


def test_one_datacenter_only() -> None:
    about = About(**{**ABOUT.__dict__, "datacenter": "Lisbon"})
    inventory = mapping.derive(snapshot(), about)
    assert [p.native_id for p in inventory.resource_pools or ()] == ["domain-c2"]
    assert inventory.resources == []
    assert [t.native_id for t in inventory.resource_types or ()] == []


def test_derivation_is_deterministic_and_shapes_parse() -> None:
    assert mapping.derive(snapshot(), ABOUT) == mapping.derive(dict(reversed(list(snapshot().items()))), ABOUT)
    assert mapping.parse_shape(mapping.shape_id(2, 512)) == (2, 512)
    assert mapping.parse_shape("vm-shape:2vcpu") is None
    assert mapping.parse_shape("vm-template:vm-1") is None
