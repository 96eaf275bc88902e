"""The custom SMO as a DMS backend (dms.custom-smo) end to end through the O2dms API: a DMS routing rule sends
packageType smo-service to it; the receiver plays the SMO's deployment endpoints (HMAC-checked), reporting
RUNNING then DONE; a delete makes the deployment disappear."""

from __future__ import annotations

from typing import Any

import pytest

from tests.o2client import check_problem, json_of

pytestmark = pytest.mark.django_db
LIFECYCLE = "O2dms_DeploymentLifecycle"
OPERATIONS = {
    "getPackage": {"method": "GET", "path": "/packages/{{ name }}/{{ version }}"},
    "createDeployment": {"method": "POST", "path": "/deployments", "idField": "deployment.id"},
    "getDeployment": {"method": "GET", "path": "/deployments/{{ deploymentId }}", "statusField": "state"},
    "deleteDeployment": {"method": "DELETE", "path": "/deployments/{{ deploymentId }}"},
}


class SmoDeployments:
    """The SMO side: one deployment that is RUNNING on its first read and DONE after; gone once deleted."""

    def __init__(self) -> None:
        self.reads = 0
        self.deleted = False

    def __call__(self, item: Any) -> tuple[int, Any] | None:
        if item.method == "GET" and item.path == "/packages/du-app/3.1":
            return 200, {"name": "du-app"}
        if item.method == "GET" and item.path.startswith("/packages/"):
            return 404, None
        if item.method == "POST" and item.path == "/deployments":
            return 201, {"deployment": {"id": "smo-dep-1"}}
        if item.method == "GET" and item.path == "/deployments/smo-dep-1":
            if self.deleted:
                return 404, None
            self.reads += 1
            state = "RUNNING" if self.reads == 1 else "DONE"
            return 200, {"name": "du-west", "state": state, "package": {"name": "du-app", "version": "3.1"}}
        if item.method == "DELETE" and item.path == "/deployments/smo-dep-1":
            self.deleted = True
            return 202, None
        return None


@pytest.fixture
def custom_dms(db: None, receiver: Any, make_custom_smo: Any, settings: Any) -> Any:
    from plugins.models import PluginInstance, RoutingRule

    settings.NETWEAVE_DMS_POLL_SECONDS = 0.05
    smo = make_custom_smo(operations=OPERATIONS, statusMap={"RUNNING": "pending-install", "DONE": "deployed"})
    instance = PluginInstance.objects.create(
        name="smo-dms", category="dms", plugin_type="custom-smo", config=smo.config, sync_interval=0
    )
    instance.secrets.set(smo.secrets.all())
    RoutingRule.objects.create(
        name="smo", category="dms", priority=5, plugin_instance=instance, match_type="smo-service"
    )
    return instance


def test_deployment_through_the_smo(o2, synced_mock, custom_dms, receiver, run_tasks) -> None:
    from inventory.models import DeploymentManager

    receiver.respond = SmoDeployments()
    manager = DeploymentManager.objects.order_by("name").first()
    base = f"/o2dms/v1/{manager.id}/{LIFECYCLE}"
    reference = {
        "artifactRepoUrl": f"{receiver.url}/packages",
        "artifactName": "du-app",
        "version": "3.1",
        "packageType": "smo-service",
    }
    created = o2.post(f"{base}/NfDeploymentDescriptor", reference)
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    assert descriptor["extensions"]["netweave.pluginInstance"] == "smo-dms"
    missing = check_problem(o2.post(f"{base}/NfDeploymentDescriptor", {**reference, "version": "9"}))
    assert missing["additionalAttributes"]["field"] == "artifactName"

    body = {"name": "du-west", "descriptorId": descriptor["id"], "values": {"cells": 2}}
    accepted = run_tasks(lambda: o2.post(f"{base}/NfDeployment", body))
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    assert json_of(o2.get(item))["status"] == 3
    posted = [r for r in receiver.received if r.method == "POST" and r.path == "/deployments"]
    assert posted[0].json()["values"] == {"cells": 2}
    assert receiver.rejected == 0  # HMAC-signed like every other call

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
