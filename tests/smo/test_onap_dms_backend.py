"""The seed's DMS-backend mode of the ONAP SMO plugin: plugins.yaml (the plugin's sample.yaml) enables an ONAP SMO
instance with a `dmsBackend` block and an SMO routing rule `mode: dms-backend, packageType: onap-service`; DMS
routing (and the admin's routing simulator) then sends onap-service descriptors to that SMO instance, whose
deployments run through the fake SO and report SO's progress over O2dms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from tests.o2client import check_problem, json_of

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
LIFECYCLE = "O2dms_DeploymentLifecycle"


@pytest.fixture
def onap_from_yaml(tmp_path, monkeypatch, settings, fake_aai, fake_so) -> Any:
    settings.NETWEAVE_DMS_POLL_SECONDS = 0.05
    monkeypatch.setenv("ONAP_AAI_PASSWORD", "onap-password")
    config = yaml.safe_load((ROOT / "plugins/smo/onap/sample.yaml").read_text())
    config["plugins"]["smo"][0]["config"].update(aaiUrl=fake_aai.url, soUrl=fake_so.url, dmaapUrl="")
    path = tmp_path / "plugins.yaml"
    path.write_text(yaml.safe_dump(config))
    call_command("netweave_config", "import", str(path))


def test_onap_service_runs_through_the_smo_instance(
    o2, admin_client, synced_mock, onap_from_yaml, fake_so, run_tasks
) -> None:
    from inventory.models import DeploymentManager

    simulated = admin_client.get(
        reverse("admin:plugins_routingrule_simulate"),
        {"category": "dms", "match_type": "onap-service", "labels": "", "attributes": ""},
    )
    assert simulated.context["outcome"]["instance"].name == "onap-integration"
    assert "(mode dms-backend, priority 100)" in simulated.context["outcome"]["explanation"]

    manager = DeploymentManager.objects.order_by("name").first()
    base = f"/o2dms/v1/{manager.id}/{LIFECYCLE}"
    model = fake_so.add_model("du-service", "2.0")
    descriptor = json_of(o2.post(f"{base}/NfDeploymentDescriptor", fake_so.descriptor(model, "2.0")))
    assert descriptor["extensions"]["netweave.pluginInstance"] == "onap-integration"

    accepted = run_tasks(lambda: o2.post(f"{base}/NfDeployment", {"name": "du-west", "descriptorId": descriptor["id"]}))
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    status = json_of(o2.get(f"{item}/status"))
    assert status["details"]["onap.requestState"] == "COMPLETE"
    assert status["details"]["onap.percentProgress"] == "100"
    [(_, _, body)] = fake_so.bodies
    assert body["requestDetails"]["cloudConfiguration"]["lcpCloudRegionId"] == "RegionOne"  # from dmsBackend

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404


def test_other_package_types_are_not_caught(synced_mock, onap_from_yaml) -> None:
    from plugins.routing import NoRoute, route

    with pytest.raises(NoRoute, match="package type 'helm-chart'"):
        route("dms", match_type="helm-chart")


def test_dms_backend_rule_needs_a_dms_capable_smo(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VENDOR_SMO_HMAC_KEY", "k")
    config = yaml.safe_load((ROOT / "plugins/smo/custom/sample.yaml").read_text())
    config["routing"] = {
        "smo": {"rules": [{"name": "x", "plugin": "vendor-smo", "mode": "dms-backend", "packageType": "cnf"}]}
    }
    path = tmp_path / "plugins.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(Exception, match="'custom' of 'vendor-smo' is not a DMS backend"):
        call_command("netweave_config", "import", str(path))


def test_dms_backend_without_its_config_is_501(o2, synced_mock, make_onap_smo, fake_so) -> None:
    from inventory.models import DeploymentManager
    from plugins.models import RoutingRule

    instance = make_onap_smo("onap-no-dms", soUrl=fake_so.url)
    RoutingRule.objects.create(
        name="onap", category="smo", mode="dms-backend", plugin_instance=instance, match_type="onap-service"
    )
    manager = DeploymentManager.objects.order_by("name").first()
    answer = o2.post(
        f"/o2dms/v1/{manager.id}/{LIFECYCLE}/NfDeploymentDescriptor",
        {"artifactRepoUrl": fake_so.url, "artifactName": "m", "packageType": "onap-service"},
    )
    problem = check_problem(answer)
    assert problem["status"] == 501
    assert "no dmsBackend config" in problem["detail"]


def test_so_health_is_the_dms_backend_health(o2, onap_from_yaml, fake_so, run_tasks) -> None:
    """In DMS-backend mode SO's global health check is part of the ONAP instance's health: a DOWN SO subsystem
    makes the deployment refresh's health check fail, which the operator API, the readiness counts and the
    O-Cloud's backend alarm show; SO back UP clears them."""
    from deployments.tasks import refresh_deployments
    from tests.alarms.conftest import ALARMS

    definition = "netweave-smo-backend-unreachable"
    detail = "/netweave-admin-ext/v1/pluginInstances/onap-integration"

    def alarms() -> list[dict[str, Any]]:
        return json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{definition})&all_fields"))

    run_tasks(refresh_deployments.delay)
    health = json_of(o2.get(detail))["health"]
    assert health["healthy"] is True, health
    assert "SO global health check: 6 subsystems UP" in health["message"]
    assert alarms() == []

    fake_so.down = {"BPMN", "REQUESTDB"}
    run_tasks(refresh_deployments.delay)
    health = json_of(o2.get(detail))["health"]
    assert health["healthy"] is False
    assert "BPMN, REQUESTDB DOWN" in health["message"]
    assert json_of(o2.get("/health/ready"))["plugins"]["unhealthy"] == 1
    (alarm,) = alarms()
    assert alarm["perceivedSeverity"] == 1
    assert alarm["extensions"]["pluginInstance"] == "onap-integration"

    fake_so.down = set()
    run_tasks(refresh_deployments.delay)
    assert json_of(o2.get(detail))["health"]["healthy"] is True
    assert json_of(o2.get("/health/ready"))["plugins"]["unhealthy"] == 0
    (cleared,) = alarms()
    assert cleared["perceivedSeverity"] == 5
