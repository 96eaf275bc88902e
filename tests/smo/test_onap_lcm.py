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


def lcm_instance(so_url: str, **config: Any) -> Any:
    """An onap-lcm DMS instance for `so_url`, routed packageType onap-service."""
    from plugins.models import PluginInstance, RoutingRule

    instance = PluginInstance.objects.create(
        name="onap-so",
        category="dms",
        plugin_type="onap-lcm",
        config={
            "soUrl": so_url,
            "lcpCloudRegionId": "RegionOne",
            "tenantId": "tenant-1",
            "globalSubscriberId": "netweave-subscriber",
            "subscriptionServiceType": "o-ran",
            **config,
        },
    )
    RoutingRule.objects.create(
        name="onap-services", category="dms", priority=10, plugin_instance=instance, match_type="onap-service"
    )
    return instance


@pytest.fixture
def onap_lcm(db: None, fake_so: FakeSo, settings: Any) -> Any:
    settings.NETWEAVE_DMS_POLL_SECONDS = 0.05
    return lcm_instance(fake_so.url)


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


def test_sdnc_preload_precedes_instantiation(o2, synced_mock, fake_onap, run_tasks, settings) -> None:
    from inventory.models import DeploymentManager

    settings.NETWEAVE_DMS_POLL_SECONDS = 0.05
    lcm_instance(fake_onap.url, sdncUrl=fake_onap.url, preloadVnfType="du-vnf")
    manager = DeploymentManager.objects.order_by("name").first()
    base = f"/o2dms/v1/{manager.id}/{LIFECYCLE}"
    model = fake_onap.add_model("du-service", "1.0")
    descriptor = json_of(o2.post(f"{base}/NfDeploymentDescriptor", fake_onap.descriptor(model)))
    body = {"name": "du-pre", "descriptorId": descriptor["id"], "values": {"cells": 3, "band": "n78"}}
    accepted = run_tasks(lambda: o2.post(f"{base}/NfDeployment", body))
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    [(_, first, _), (_, second, created)] = fake_onap.bodies
    assert first.endswith("GENERIC-RESOURCE-API:preload-vf-module-topology-operation")
    assert second == "/onap/so/infra/serviceInstantiation/v7/serviceInstances"
    assert created["requestDetails"]["requestParameters"]["usePreload"] is True
    [preload] = fake_onap.preloads
    assert preload["vnf-topology-identifier-structure"] == {"vnf-name": "du-pre", "vnf-type": "du-vnf"}
    params = preload["vf-module-topology"]["vf-module-parameters"]["param"]
    assert params == [{"name": "band", "value": "n78"}, {"name": "cells", "value": "3"}]

    fake_onap.vnf_types.clear()  # SDNC refuses: SO is not asked, the operation fails saying why
    refused = run_tasks(lambda: o2.post(f"{base}/NfDeployment", {**body, "name": "du-refused"}))
    operation = json_of(o2.get(refused["Location"]))
    assert operation["state"] == "FAILED"
    assert "SDNC refused the preload" in str(operation)
    assert len(fake_onap.bodies) == 3


def test_preload_needs_sdnc() -> None:
    from plugins.smo.onap.config import OnapConfig
    from plugins.smo.onap.lcm import OnapLcmConfig

    target = {"lcpCloudRegionId": "r", "tenantId": "t", "globalSubscriberId": "g", "subscriptionServiceType": "s"}
    lcm = OnapLcmConfig(data={"soUrl": "http://so", **target, "preloadVnfType": "du-vnf"})
    assert not lcm.is_valid()
    assert "sdncUrl" in lcm.errors
    smo = OnapConfig(
        data={"aaiUrl": "http://aai", "soUrl": "http://so", "dmsBackend": {**target, "preloadVnfType": "v"}}
    )
    assert not smo.is_valid()
    assert "sdncUrl" in smo.errors
