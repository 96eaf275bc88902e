"""The fake ARM against the SDK's own models: every answer the plugin received in a full cycle (sync, create,
scale, delete) deserializes into the azure-mgmt model of its operation with no key the model does not know, and
the cycle went through both paths the issue names: nextLink paging and Azure-AsyncOperation polling (201, 200 and
202 each seen). The spec schema check runs on every answer in the fake itself (tests/azure/arm_spec.py)."""

from __future__ import annotations

from typing import Any

from azure.mgmt.compute import models as compute
from azure.mgmt.containerservice import models as aks

from plugins.ims.azure.plugin import AzureIMSPlugin
from plugins.sdk.ims import ResourcePool
from tests.azure import arm_spec
from tests.azure.conftest import CLUSTER, GROUP
from tests.azure.fake_arm import World

MODELS: dict[str, type] = {
    "ManagedClusters_List": aks.ManagedCluster,
    "ManagedClusters_ListByResourceGroup": aks.ManagedCluster,
    "ManagedClusters_Get": aks.ManagedCluster,
    "AgentPools_List": aks.AgentPool,
    "AgentPools_Get": aks.AgentPool,
    "AgentPools_CreateOrUpdate": aks.AgentPool,
    "VirtualMachineScaleSets_List": compute.VirtualMachineScaleSet,
    "VirtualMachineScaleSetVMs_List": compute.VirtualMachineScaleSetVM,
    "VirtualMachineSizes_List": compute.VirtualMachineSize,
}


def unknown_keys(model: Any, path: str = "") -> list[str]:
    """Keys of a deserialized SDK model (recursively) that are none of its fields' wire names."""
    fields = {f._rest_name: attr for attr, f in type(model)._attr_to_rest_field.items()}
    found = []
    for key in model:
        if key not in fields:
            found.append(f"{path}{key}")
            continue
        value = getattr(model, fields[key])
        for item in value if isinstance(value, list) else [value]:
            if hasattr(item, "_attr_to_rest_field"):
                found.extend(unknown_keys(item, f"{path}{key}."))
    return found


def test_unknown_keys_finds_what_a_model_does_not_know() -> None:
    pool = aks.AgentPool({"id": "x", "bogus": 1, "properties": {"count": 1, "powerState": {"code": "Running", "z": 1}}})
    assert unknown_keys(pool) == ["bogus", "properties.powerState.z"]


def test_a_full_cycle_is_paged_polled_and_every_answer_fits_the_sdk_models(
    arm: World, azure_config: dict[str, Any]
) -> None:
    arm.add_cluster(GROUP, CLUSTER)
    arm.add_pool(GROUP, CLUSTER, "system", count=1, mode="System", zones=["1", "2", "3"])
    arm.add_pool(GROUP, CLUSTER, "cu", count=3, zones=["1"])
    arm.add_pool(GROUP, CLUSTER, "du", count=2, vm_size="Standard_F16s_v2")
    plugin = AzureIMSPlugin("fake-check")
    plugin.initialize({**azure_config, "resourceGroup": GROUP})
    try:
        assert len(plugin.collect_inventory().resources or ()) == 6
        created = plugin.create_resource_pool(
            ResourcePool(native_id="", name="new", extensions={"azure.cluster": f"{GROUP}/{CLUSTER}", "azure.count": 1})
        )
        plugin.update_resource_pool(
            created.native_id, ResourcePool(**{**created.__dict__, "extensions": {"azure.count": 3}})
        )
        assert arm.node_count(GROUP, CLUSTER, "new") == 3
        plugin.delete_resource_pool(created.native_id)
        assert "new" not in arm.clusters[(GROUP, CLUSTER)]["pools"]
    finally:
        plugin.close()

    # Paging: the lists longer than a page were followed through nextLink.
    assert {"AgentPools_List", "VirtualMachineScaleSets_List", "VirtualMachineScaleSetVMs_List"} <= set(arm.follows)
    # Long-running operations: created (201), scaled (200), deleted (202), each polled until Succeeded.
    statuses = {(op, status) for op, status, _ in arm.answers}
    assert {
        ("AgentPools_CreateOrUpdate", 201),
        ("AgentPools_CreateOrUpdate", 200),
        ("AgentPools_Delete", 202),
    } <= statuses
    polled = [body["status"] for op, _, body in arm.answers if op == "AksOperationStatus_Get"]
    assert polled.count("Succeeded") == 3
    assert "InProgress" in polled
    # Every request used an operation of the spec with the api-version the spec has for it.
    assert {version for _, _, version in arm.requests} == {arm_spec.AKS_API_VERSION, arm_spec.COMPUTE_API_VERSION}
    assert all(
        version == next(o.api_version for o in arm_spec.OPERATIONS if o.operation_id == op)
        for _, op, version in arm.requests
    )

    for op, _, body in arm.answers:
        model = MODELS.get(op)
        if model is None or body is None:
            continue
        items = body.get("value", [body])
        for item in items:
            assert unknown_keys(model(item)) == [], (op, item)
