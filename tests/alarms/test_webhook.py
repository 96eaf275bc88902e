"""The Alertmanager webhook endpoint without a backend: authentication and authorization (a maintainer's API
token), bad bodies (400), unknown instances (404), and a resolved alert clearing its alarm. The beat schedule
of an observability instance polls its alerts."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from django_celery_beat.models import PeriodicTask

from inventory.models import Resource
from plugins.models import PluginInstance
from tests.alarms.conftest import ALARMS
from tests.o2client import O2Client, check_problem, json_of

pytestmark = pytest.mark.django_db
HOOK = "/netweave-obs-ext/v1/alertmanager/prom"


@pytest.fixture
def instance(db: None) -> PluginInstance:
    return PluginInstance.objects.create(
        name="prom",
        category="observability",
        plugin_type="prometheus",
        config={"prometheusUrl": "http://127.0.0.1:9", "alertmanagerUrl": "http://127.0.0.1:9"},
        sync_interval=15,
    )


def webhook(status: str, node: str, severity: str = "warning") -> dict[str, Any]:
    return {
        "version": "4",
        "status": status,
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "DiskFull", "node": node, "severity": severity},
                "annotations": {"summary": "disk full"},
                "startsAt": "2026-01-01T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": "abc123",
            }
        ],
    }


def post(client: Any, body: Any, token: str | None = None, path: str = HOOK) -> Any:
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(path, data, content_type="application/json", **extra)


def test_webhook_needs_a_maintainer(anonymous_client: Any, make_api_token: Any, instance: PluginInstance) -> None:
    body = webhook("firing", "n1")
    assert post(anonymous_client, body).status_code == 401
    assert post(anonymous_client, body, make_api_token("reader")).status_code == 403
    assert post(anonymous_client, body, make_api_token("maintainer")).status_code == 200


def test_bad_bodies_and_unknown_instance(client: Any, instance: PluginInstance) -> None:
    for body in ({"alerts": "nope"}, [1], {"alerts": [{"labels": {"alertname": "x"}}]}, b"{oops"):
        response = post(client, body)
        assert response.status_code == 400, body
        check_problem(response)
    response = post(client, webhook("firing", "n1"), path="/netweave-obs-ext/v1/alertmanager/nosuch")
    assert response.status_code == 404


def test_firing_then_resolved(o2: O2Client, client: Any, instance: PluginInstance, synced_mock: Any) -> None:
    resource = Resource.objects.order_by("id").first()
    assert json_of(post(client, webhook("firing", resource.native_id))) == {"raised": 1, "changed": 0, "cleared": 0}
    assert json_of(post(client, webhook("firing", resource.native_id, "major")))["changed"] == 1
    (alarm,) = json_of(o2.get(ALARMS))
    assert alarm["resourceId"] == str(resource.pk)
    assert alarm["perceivedSeverity"] == 1
    assert json_of(post(client, webhook("resolved", resource.native_id)))["cleared"] == 1
    assert json_of(o2.get(ALARMS))[0]["perceivedSeverity"] == 5


def test_unmatched_alert_is_raised_against_the_ocloud(o2: O2Client, client: Any, instance: PluginInstance) -> None:
    post(client, webhook("firing", "no-such-node"))
    (alarm,) = json_of(o2.get(ALARMS))
    assert not {"resourceTypeId", "resourceTypeID"} & alarm.keys()  # absent, never null
    assert alarm["resourceId"] is not None


def test_instance_gets_a_polling_schedule(instance: PluginInstance) -> None:
    (task,) = PeriodicTask.objects.filter(task="inventory.reconcile_alerts")
    assert orjson.loads(task.args) == [str(instance.pk)]
    assert task.interval.every == 15
    instance.delete()
    assert not PeriodicTask.objects.filter(task="inventory.reconcile_alerts").exists()
