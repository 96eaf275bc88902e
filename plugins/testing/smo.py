"""The SMO plugin contract kit: one pytest suite every SMO plugin's tests run against their backend.

Use it from a test module::

    from plugins.testing.smo import SMOPluginContract

    class TestMySmoContract(SMOPluginContract):
        @pytest.fixture
        def smo_plugin(self, my_backend):   # initialized, pointed at the backend (or its maintainers' simulator)
            ...

What it checks: health is a HealthStatus and healthy; each capability group is honoured (declared: it works or
answers a PluginError for a bad id, never anything else; undeclared: NotSupported); with `inventory-sync` a
full push of a small inventory returns a SyncedObject for the objects the plugin keeps, a second identical push
returns the same SMO ids (idempotent), and a removal is accepted; events, when published, take a batch;
`render_northbound` is pure (no push).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import NotSupported, PluginError
from plugins.sdk.smo import (
    InfrastructureEvent,
    InfrastructureInventory,
    Policy,
    RemovedObject,
    ServiceModel,
    SMOPlugin,
    WorkflowRequest,
)

OCLOUD = {"oCloudId": "7d5f6c1e-9a8b-4c3d-8e2f-0a1b2c3d4e5f", "name": "contract-cloud", "serviceUri": "http://x"}
POOL: dict[str, Any] = {
    "resourcePoolId": "2a8e4f00-1c1d-4b6e-9d55-0c6f8a3b1e01",
    "name": "contract-pool",
    "globalLocationId": "contract-site",
    "location": "Contract City",
    "oCloudId": OCLOUD["oCloudId"],
}
RESOURCE: dict[str, Any] = {
    "resourceId": "2a8e4f00-1c1d-4b6e-9d55-0c6f8a3b1e02",
    "resourcePoolId": POOL["resourcePoolId"],
    "resourceTypeId": "2a8e4f00-1c1d-4b6e-9d55-0c6f8a3b1e03",
    "description": "contract server",
    "globalAssetId": "SN-CONTRACT",
    "extensions": {},
}


def inventory(**overrides: Any) -> InfrastructureInventory:
    values: dict[str, Any] = {"ocloud": OCLOUD, "resource_pools": [POOL], "resources": [RESOURCE], "complete": True}
    values.update(overrides)
    return InfrastructureInventory(**values)


class SMOPluginContract:
    @pytest.fixture
    def smo_plugin(self) -> SMOPlugin:
        raise NotImplementedError("override smo_plugin")

    def test_health(self, smo_plugin: SMOPlugin) -> None:
        status = smo_plugin.health()
        assert isinstance(status, HealthStatus)
        assert status.healthy, status.message

    def test_inventory_sync(self, smo_plugin: SMOPlugin) -> None:
        if Capability.INVENTORY_SYNC not in smo_plugin.capabilities():
            with pytest.raises(NotSupported):
                smo_plugin.sync_infrastructure_inventory(inventory())
            return
        first = list(smo_plugin.sync_infrastructure_inventory(inventory()) or [])
        known = {s.object_id: s for s in first}
        again = list(smo_plugin.sync_infrastructure_inventory(inventory(known=known)) or [])
        assert {(s.object_id, s.smo_id) for s in again} == {(s.object_id, s.smo_id) for s in first}
        removal = inventory(
            resource_pools=[],
            resources=[],
            complete=False,
            removed=[RemovedObject("ResourceInfo", RESOURCE["resourceId"], RESOURCE)],
            known={s.object_id: s for s in again},
        )
        smo_plugin.sync_infrastructure_inventory(removal)

    def test_render_is_a_preview(self, smo_plugin: SMOPlugin) -> None:
        if Capability.INVENTORY_SYNC in smo_plugin.capabilities():
            assert smo_plugin.render_northbound("ResourcePoolInfo", POOL) is not None

    def test_events(self, smo_plugin: SMOPlugin) -> None:
        if not smo_plugin.publishes_events():
            return
        assert smo_plugin.event_batch_size() >= 1
        payload = {"priorObjectState": None, "postObjectState": POOL}
        event = InfrastructureEvent("create", "ResourcePoolInfo", POOL["resourcePoolId"], payload, "contract-1", "", 1)
        smo_plugin.publish_events([event])

    def test_capabilities_honoured(self, smo_plugin: SMOPlugin) -> None:
        caps = smo_plugin.capabilities()
        calls: dict[Capability, list[Callable[[], object]]] = {
            Capability.WORKFLOW_ORCHESTRATION: [lambda: smo_plugin.get_workflow_status("contract-no-such-execution")],
            Capability.SERVICE_MODELING: [lambda: smo_plugin.get_service_model("contract-no-such-model")],
            Capability.POLICY_MANAGEMENT: [lambda: smo_plugin.get_policy_status("contract-no-such-policy")],
        }
        for capability, checks in calls.items():
            for check in checks:
                if capability in caps:
                    try:
                        check()
                    except NotSupported:
                        continue  # an optional operation of a declared group (e.g. status) may be absent
                    except PluginError:
                        continue  # an unknown id is the backend's to refuse
                else:
                    with pytest.raises(NotSupported):
                        check()
        if Capability.WORKFLOW_ORCHESTRATION not in caps:
            with pytest.raises(NotSupported):
                smo_plugin.execute_workflow(WorkflowRequest("contract"))
        if Capability.SERVICE_MODELING not in caps:
            with pytest.raises(NotSupported):
                smo_plugin.register_service_model(ServiceModel("m", "m"))
        if Capability.POLICY_MANAGEMENT not in caps:
            with pytest.raises(NotSupported):
                smo_plugin.apply_policy(Policy("p", "t"))
