"""The pure OpenStack -> O2 mapping, on objects shaped as openstacksdk's to_dict() gives them (no backend)."""

from __future__ import annotations

from plugins.ims.openstack import mapping
from plugins.sdk.ims import ResourceClass, ResourceKind

AGGREGATES = [
    {
        "id": 7,
        "uuid": "agg-b",
        "name": "edge-b",
        "availability_zone": "az-edge",
        "hosts": ["compute-2", "compute-1"],
        "metadata": {
            "availability_zone": "az-edge",
            "tier": "edge",
            mapping.META_DESCRIPTION: "far edge",
            mapping.META_GLOBAL_LOCATION: "geo:1,2",
        },
    },
    {"id": 3, "uuid": "agg-a", "name": "edge-a", "availability_zone": None, "hosts": ["compute-1"], "metadata": {}},
]


def server(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "srv-1",
        "name": "vdu-1",
        "status": "ACTIVE",
        "compute_host": "compute-1",
        "hypervisor_hostname": "compute-1",
        "availability_zone": "az-edge",
        "flavor": {"original_name": "m1.small", "vcpus": 1, "ram": 512, "disk": 1, "extra_specs": {}},
        "image": {"id": "img-1"},
        "addresses": {"net": [{"addr": "10.0.0.5"}, {"addr": "10.0.0.4"}]},
        "metadata": {"owner": "ran", mapping.META_ASSET: "SN-9"},
        "project_id": "p1",
        "description": None,
    }
    base.update(fields)
    return base


def test_aggregate_becomes_a_pool_with_zone_hosts_and_metadata() -> None:
    pool = mapping.resource_pool_from_aggregate(AGGREGATES[0])
    assert (pool.native_id, pool.name, pool.location) == ("agg-b", "edge-b", "az-edge")
    assert (pool.description, pool.global_location_id) == ("far edge", "geo:1,2")
    assert pool.extensions == {
        "openstack.aggregateId": 7,
        "openstack.availabilityZone": "az-edge",
        "openstack.hosts": ["compute-1", "compute-2"],
        "openstack.hostCount": 2,
        "openstack.metadata": {"tier": "edge"},
    }
    assert mapping.resource_pool_from_aggregate(AGGREGATES[1]).location == ""


def test_pool_of_server_prefers_the_booted_into_aggregate_then_the_lowest_id() -> None:
    assert mapping.pool_of_server(server(), AGGREGATES) == "agg-a"  # compute-1 is in both; id 3 < 7
    hinted = server(metadata={mapping.META_POOL: "agg-b"})
    assert mapping.pool_of_server(hinted, AGGREGATES) == "agg-b"
    moved = server(compute_host="compute-9", metadata={mapping.META_POOL: "agg-b"})
    assert mapping.pool_of_server(moved, AGGREGATES) == mapping.UNASSIGNED_POOL
    assert mapping.pool_of_server(server(compute_host=None), AGGREGATES) == mapping.UNASSIGNED_POOL


def test_flavor_id_comes_from_the_name_nova_embeds() -> None:
    assert mapping.flavor_id_of_server(server(), {"m1.small": "f-1"}) == "f-1"
    assert mapping.flavor_id_of_server(server(), {}) == f"{mapping.DELETED_FLAVOR_PREFIX}m1.small"
    assert mapping.flavor_id_of_server(server(flavor={"id": "f-2"}), {}) == "f-2"  # before microversion 2.47


def test_server_becomes_a_resource() -> None:
    resource = mapping.resource_from_server(server(), pool_id="agg-a", flavor_id="f-1")
    assert (resource.native_id, resource.resource_type_id, resource.resource_pool_id) == ("srv-1", "f-1", "agg-a")
    assert resource.description == "vdu-1"
    assert resource.global_asset_id == "SN-9"
    assert resource.parent_id is None
    assert resource.extensions["openstack.addresses"] == {"net": ["10.0.0.4", "10.0.0.5"]}
    assert resource.extensions["openstack.metadata"] == {"owner": "ran"}
    assert resource.extensions["openstack.imageId"] == "img-1"
    assert (
        mapping.resource_from_server(server(image=""), pool_id="p", flavor_id="f").extensions["openstack.imageId"] == ""
    )


def test_flavor_becomes_a_resource_type() -> None:
    rtype = mapping.resource_type_from_flavor(
        {"id": "f-1", "name": "m1.large", "vcpus": 4, "ram": 8192, "disk": 40, "extra_specs": {"hw:numa_nodes": 1}}
    )
    assert (rtype.native_id, rtype.name, rtype.model) == ("f-1", "m1.large", "m1.large")
    assert rtype.description == "4 vCPU, 8192 MiB RAM, 40 GiB disk"
    assert (rtype.resource_kind, rtype.resource_class) == (ResourceKind.LOGICAL, ResourceClass.COMPUTE)
    assert rtype.extensions["openstack.extraSpecs"] == {"hw:numa_nodes": "1"}
    deleted = mapping.resource_type_from_deleted_flavor(server())
    assert deleted.native_id == f"{mapping.DELETED_FLAVOR_PREFIX}m1.small"
    assert deleted.extensions["openstack.deleted"] is True


def test_region_becomes_the_deployment_manager() -> None:
    manager = mapping.deployment_manager_from_region(
        "RegionOne",
        compute_endpoint="http://nova/v2.1",
        availability_zones=["b", "a", "a"],
        compute_hosts=["c1", "c2"],
        ocloud_id="oc-1",
    )
    assert (manager.native_id, manager.service_uri, manager.supported_locations) == (
        "RegionOne",
        "http://nova/v2.1",
        ("a", "b"),
    )
    assert manager.capacity == {"computeHosts": 2}
    assert manager.extensions["openstack.ocloudId"] == "oc-1"
