"""End to end against real Prometheus and Alertmanager (harness.py): a rule firing on a test metric becomes an
O2 alarm on the right resource with the right severity and notifies NEW; acknowledging through the API notifies
ACKNOWLEDGE; the metric going back clears the alarm and notifies CLEAR; the retention purges it. With the webhook
path dead, the per-instance poll alone converges; an unreachable backend raises an alarm against the O-Cloud.

A backend stage (`make test-backends PLUGIN=prometheus`): runs once, on PostgreSQL, not in the unit passes.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from inventory.alarms import ingest
from inventory.alarms.models import AlarmEventRecord
from inventory.alarms.tasks import purge_cleared_alarms, reconcile_alerts
from inventory.models import Resource
from inventory.notifications.receiver import Receiver
from plugins.models import PluginInstance
from tests.alarms.conftest import ALARMS, CONFIGURATION, alarm_subscribe
from tests.alarms.prometheus_harness import RULE, Exporter, PrometheusStack, WebhookRelay, free_port
from tests.o2client import O2Client, json_of

pytestmark = [pytest.mark.django_db, pytest.mark.backend, pytest.mark.prometheus]
TIMEOUT = 60.0


@pytest.fixture
def exporter() -> Iterator[Exporter]:
    server = Exporter()
    yield server
    server.stop()


@pytest.fixture
def relay() -> Iterator[WebhookRelay]:
    server = WebhookRelay()
    yield server
    server.stop()


@pytest.fixture
def resource(synced_mock: Any) -> Resource:
    return Resource.objects.order_by("id").first()


def make_instance(stack: PrometheusStack) -> PluginInstance:
    return PluginInstance.objects.create(
        name="prom",
        category="observability",
        plugin_type="prometheus",
        config={
            "prometheusUrl": stack.prometheus_url,
            "alertmanagerUrl": stack.alertmanager_url,
            "utilisationQueries": {"temperature": 'netweave_test_temperature{node="$node"}'},
        },
        sync_interval=0,
    )


def until(condition: Callable[[], Any], what: str, step: Callable[[], None] = lambda: None) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        step()
        result = condition()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def alarms(o2: O2Client, **query: str) -> list[dict[str, Any]]:
    return json_of(o2.get(ALARMS, data={"all_fields": "", **query}))


def test_rule_to_alarm_to_notifications_by_webhook(
    o2: O2Client,
    client: Any,
    resource: Resource,
    exporter: Exporter,
    relay: WebhookRelay,
    receiver: Receiver,
    deliver: Any,
    make_api_token: Any,
    tmp_path: Path,
) -> None:
    token = make_api_token("maintainer")
    stack = PrometheusStack(tmp_path, exporter.port, f"http://127.0.0.1:{relay.port}/hook", token).start()
    try:
        instance = make_instance(stack)
        alarm_subscribe(o2, receiver.url + "/alarms", consumerSubscriptionId="smo-1")

        def forward() -> None:
            """Forward what Alertmanager posted, with its own Authorization header, to netweave's endpoint."""
            try:
                authorization, body = relay.posts.get_nowait()
            except queue.Empty:
                return
            assert authorization == f"Bearer {token}"
            response = deliver(
                lambda: client.post(
                    f"/netweave-obs-ext/v1/alertmanager/{instance.name}",
                    body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=authorization,
                )
            )
            assert response.status_code == 200, response.content

        exporter.gauges[resource.native_id] = 80
        (alarm,) = until(lambda: alarms(o2), "the alarm", forward)
        assert alarm["resourceId"] == alarm["resourceID"] == str(resource.pk)
        assert alarm["resourceTypeId"] == str(resource.resource_type_id)
        assert alarm["perceivedSeverity"] == 0
        assert alarm["alarmDefinitionId"] == RULE
        assert alarm["extensions"]["labels"]["node"] == resource.native_id
        assert receiver.wait_for(lambda b: len(b) >= 1)[0]["notificationEventType"] == 0

        merge = "application/merge-patch+json"
        acknowledge = {"alarmAcknowledged": True}
        response = deliver(lambda: o2.patch(f"{ALARMS}/{alarm['alarmEventRecordId']}", acknowledge, content_type=merge))
        assert response.status_code == 200
        assert receiver.wait_for(lambda b: len(b) >= 2)[1]["notificationEventType"] == 3

        definitions = json_of(o2.get(f"/netweave-obs-ext/v1/instances/{instance.name}/alarmDefinitions"))
        assert [d["alarmDefinitionId"] for d in definitions] == [RULE]
        assert definitions[0]["proposedSeverity"] == "critical"
        figures = json_of(o2.get(f"/netweave-obs-ext/v1/resources/{resource.pk}/utilisation"))
        assert figures["utilisation"] == {"prom": {"temperature": 80.0}}

        exporter.gauges[resource.native_id] = 20
        until(lambda: alarms(o2, filter="(eq,perceivedSeverity,5)"), "the clear", forward)
        bodies = receiver.wait_for(lambda b: len(b) >= 3)
        assert [b["notificationEventType"] for b in bodies] == [0, 3, 2]
        assert {b["consumerSubscriptionId"] for b in bodies} == {"smo-1"}

        # Retention: 1 day (the minimum) and a clear that happened longer ago than that.
        assert o2.patch(CONFIGURATION, {"retentionPeriod": 1}, content_type=merge).status_code == 200
        AlarmEventRecord.objects.update(cleared_time=timezone.now() - timedelta(days=1, seconds=1))
        assert purge_cleared_alarms() == 1
        assert o2.get(f"{ALARMS}/{alarm['alarmEventRecordId']}").status_code == 404
    finally:
        stack.stop()


def test_polling_alone_converges_and_unreachable_backend_alarms_the_ocloud(
    o2: O2Client, resource: Resource, exporter: Exporter, receiver: Receiver, deliver: Any, tmp_path: Path
) -> None:
    dead_webhook = f"http://127.0.0.1:{free_port()}/nobody-listens"
    stack = PrometheusStack(tmp_path, exporter.port, dead_webhook, "unused")
    instance = make_instance(stack)
    alarm_subscribe(o2, receiver.url + "/alarms")

    # Not started yet: the poll cannot reach the backend, which is an alarm against the O-Cloud itself.
    deliver(lambda: reconcile_alerts(str(instance.pk)))
    (health,) = alarms(o2)
    assert health["resourceId"] == str(uuid.UUID(settings.NETWEAVE_OCLOUD["oCloudId"]))
    assert health["alarmDefinitionId"] == ingest.HEALTH_DEFINITION
    assert health["perceivedSeverity"] == 1

    stack.start()
    try:
        exporter.gauges[resource.native_id] = 99

        def poll() -> None:
            deliver(lambda: reconcile_alerts(str(instance.pk)))

        (alarm,) = until(lambda: alarms(o2, filter=f"(eq,resourceId,{resource.pk})"), "the polled alarm", poll)
        assert alarm["perceivedSeverity"] == 0
        assert alarms(o2, filter=f"(eq,alarmEventRecordId,{health['alarmEventRecordId']})")[0]["perceivedSeverity"] == 5

        exporter.gauges[resource.native_id] = 1
        until(
            lambda: alarms(o2, filter=f"(eq,resourceId,{resource.pk});(eq,perceivedSeverity,5)"),
            "the polled clear",
            poll,
        )
        events = [
            (b["alarmEventRecordId"], b["notificationEventType"]) for b in receiver.wait_for(lambda b: len(b) >= 4)
        ]
        assert events == [
            (health["alarmEventRecordId"], 0),
            (health["alarmEventRecordId"], 2),
            (alarm["alarmEventRecordId"], 0),
            (alarm["alarmEventRecordId"], 2),
        ]

        # Prometheus alone going away (Alertmanager still answers) is an alarm against the O-Cloud too.
        prometheus = stack.processes.pop()
        prometheus.terminate()
        prometheus.wait(10)
        poll()
        (down,) = alarms(o2, filter=f"(eq,alarmDefinitionId,{ingest.HEALTH_DEFINITION});(neq,perceivedSeverity,5)")
        assert "prometheusUrl" in down["extensions"]["message"]
        instance.refresh_from_db()
        assert instance.health_ok is False
    finally:
        stack.stop()
