"""onap-lcm end to end: an O2dms descriptor of packageType onap-service is routed (DMS routing rule) to the
onap-lcm instance, names a service model in the fake SO's catalog; deploying it runs SO's asynchronous service
instantiation (IN_PROGRESS -> COMPLETE, percentProgress polled), a failure is reported, and a delete removes the
service instance; what SO cannot do is 501."""

from __future__ import annotations

from typing import Any

import pytest

from tests.o2client import check_problem, json_of
from tests.smo.so_fake import FakeSo

pytestmark = pytest.mark.django_db
LIFECYCLE = "O2dms_DeploymentLifecycle"


@pytest.fixture
def onap_lcm(db: None, fake_so: FakeSo, settings: Any) -> Any:
    from plugins.models import PluginInstance, RoutingRule

    settings.NETWEAVE_DMS_POLL_SECONDS = 0.05
    instance = PluginInstance.objects.create(
        name="onap-so",
        category="dms",
        plugin_type="onap-lcm",
        config={
            "soUrl": fake_so.url,
            "lcpCloudRegionId": "RegionOne",
            "tenantId": "tenant-1",
            "globalSubscriberId": "netweave-subscriber",
            "subscriptionServiceType": "o-ran",
        },
    )
    RoutingRule.objects.create(
        name="onap-services", category="dms", priority=10, plugin_instance=instance, match_type="onap-service"
    )
    return instance


def test_service_deployment_through_so(o2, synced_mock, onap_lcm, fake_so, run_tasks) -> None:
    from inventory.models import DeploymentManager

    manager = DeploymentManager.objects.order_by("name").first()
    base = f"/o2dms/v1/{manager.id}/{LIFECYCLE}"
    model = fake_so.add_model("du-service", "2.0")
    created = o2.post(f"{base}/NfDeploymentDescriptor", fake_so.descriptor(model, "2.0"))
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    assert descriptor["name"] == "du-service"
    assert descriptor["extensions"]["netweave.pluginInstance"] == "onap-so"

    accepted = run_tasks(
        lambda: o2.post(
            f"{base}/NfDeployment", {"name": "du-east", "descriptorId": descriptor["id"], "values": {"cells": 3}}
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3  # instantiated
    [(_, _, body)] = fake_so.bodies
    details = body["requestDetails"]
    assert details["modelInfo"]["modelVersionId"] == model["modelUuid"]
    assert details["requestParameters"]["userParams"] == [{"name": "cells", "value": 3}]
    status = json_of(o2.get(f"{item}/status"))
    assert status["details"]["onap.requestState"] == "COMPLETE"
    assert status["details"]["onap.percentProgress"] == "100"

    assert check_problem(run_tasks(lambda: o2.post(f"{item}/scale", {"replicas": 2})))["status"] == 501

    deleted = run_tasks(lambda: o2.delete(item))
    assert deleted.status_code == 202
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert [m for m, _, _ in fake_so.bodies] == ["POST", "DELETE"]


def test_failed_instantiation_is_reported(o2, synced_mock, onap_lcm, fake_so, run_tasks) -> None:
    from inventory.models import DeploymentManager

    manager = DeploymentManager.objects.order_by("name").first()
    base = f"/o2dms/v1/{manager.id}/{LIFECYCLE}"
    model = fake_so.add_model("cu-service", "1.0")
    reference = fake_so.descriptor(model)
    descriptor = json_of(o2.post(f"{base}/NfDeploymentDescriptor", reference))
    body = {"name": "cu-bad", "descriptorId": descriptor["id"], "values": {"simulateFailure": True}}
    accepted = run_tasks(lambda: o2.post(f"{base}/NfDeployment", body))
    assert json_of(o2.get(accepted["Location"]))["state"] == "FAILED"

    unknown = {**reference, "artifactName": "no-such-model"}
    problem = check_problem(o2.post(f"{base}/NfDeploymentDescriptor", unknown))
    assert problem["status"] == 400
    assert problem["additionalAttributes"]["field"] == "artifactName"
