"""mapping.py: rows of the state file <-> SDK data classes, without a state file."""

from __future__ import annotations

import dataclasses

import pytest

from plugins.ims.mock import demo, mapping
from plugins.sdk.ims import (
    DeploymentManager,
    Resource,
    ResourceClass,
    ResourceKind,
    ResourcePool,
)


def _row(columns: tuple[str, ...], values: tuple[object, ...]) -> dict[str, object]:
    return dict(zip(columns, values, strict=True))


@pytest.fixture(scope="module")
def data() -> demo.GeneratedData:
    return demo.generate(demo.GenerationSpec())


def test_deployment_manager_from_row(data: demo.GeneratedData) -> None:
    row = _row(demo.DM_COLUMNS, data.deployment_managers[0])
    dm = mapping.deployment_manager_from_row(row)
    assert dm == DeploymentManager(
        native_id="dm-edge-1",
        name="paris-edge-1-cluster",
        description="Kubernetes cluster of edge site edge-1 (Paris)",
        service_uri="https://api.edge-1.mock.netweave.example:6443",
        supported_locations=("Paris, Ile-de-France, FR",),
        capabilities=dm.capabilities,
        capacity=dm.capacity,
        extensions={"mock.site": "edge-1", "mock.tier": "edge", "mock.distribution": "k3s"},
    )
    assert isinstance(dm.supported_locations, tuple)
    assert dm.capabilities["dmsProfiles"] == ["native_k8sapi"]
    assert set(dm.capacity) == {"nodes", "cpu", "memory"}


def test_deployment_manager_carries_the_ocloud_id_when_configured(data: demo.GeneratedData) -> None:
    row = _row(demo.DM_COLUMNS, data.deployment_managers[0])
    assert mapping.deployment_manager_from_row(row, ocloud_id="ocloud-1").extensions["mock.ocloudId"] == "ocloud-1"
    assert "mock.ocloudId" not in mapping.deployment_manager_from_row(row).extensions


def test_resource_pool_round_trip() -> None:
    pool = ResourcePool(
        native_id="pool-x",
        name="x",
        description="d",
        global_location_id="geo:1.0000,2.0000",
        location="Somewhere",
        extensions={"mock.site": "edge-9", "n": [1, 2]},
    )
    row = mapping.resource_pool_to_row(pool)
    assert row["extensions"] == '{"mock.site":"edge-9","n":[1,2]}'
    assert mapping.resource_pool_from_row(row) == pool


def test_resource_type_from_row_with_and_without_alarm_dictionary(data: demo.GeneratedData) -> None:
    types = {row[0]: _row(demo.TYPE_COLUMNS, row) for row in data.resource_types}
    server = mapping.resource_type_from_row(types["rt-dell-r750"])
    assert server.resource_kind is ResourceKind.PHYSICAL
    assert server.resource_class is ResourceClass.COMPUTE
    assert server.alarm_dictionary is not None
    assert server.alarm_dictionary["managementInterfaceId"] == ["O2IMS"]
    assert server.alarm_dictionary["alarmDefinition"][0]["alarmDefinitionId"] == "r750-temp-high"
    nic = mapping.resource_type_from_row(types["rt-intel-e810"])
    assert nic.alarm_dictionary is None
    assert nic.resource_class is ResourceClass.NETWORKING
    ceph = mapping.resource_type_from_row(types["rt-ceph-rbd"])
    assert (ceph.resource_kind, ceph.resource_class) == (ResourceKind.LOGICAL, ResourceClass.STORAGE)


def test_unknown_enum_value_in_a_row_is_an_error(data: demo.GeneratedData) -> None:
    row = _row(demo.TYPE_COLUMNS, data.resource_types[0]) | {"resource_kind": "VIRTUAL"}
    with pytest.raises(ValueError, match="VIRTUAL"):
        mapping.resource_type_from_row(row)


def test_resource_round_trip_and_parent() -> None:
    child = Resource(
        native_id="res-000100",
        resource_type_id="rt-intel-e810",
        resource_pool_id="pool-edge-1a",
        description="NIC",
        global_asset_id="ABC1234",
        parent_id="res-000013",
        extensions={"mock.ports": 4},
    )
    row = mapping.resource_to_row(child, origin="api")
    assert row["origin"] == "api"
    # R005 tags are derived from the row: how the resource came to be (and its site, when it has one).
    assert mapping.resource_from_row(row) == dataclasses.replace(child, tags=("origin:api",))
    orphan = Resource(native_id="r", resource_type_id="t", resource_pool_id="p", parent_id="")
    assert mapping.resource_to_row(orphan)["parent_id"] is None
    assert mapping.resource_from_row(mapping.resource_to_row(orphan)).parent_id is None


def test_non_json_extensions_are_refused_by_the_row_encoder() -> None:
    pool = ResourcePool(native_id="p", name="p", extensions={"bad": object()})
    with pytest.raises(TypeError):
        mapping.resource_pool_to_row(pool)
    with pytest.raises(ValueError, match="JSON"):
        mapping.resource_pool_to_row(ResourcePool(native_id="p", name="p", extensions={"nan": float("nan")}))
