"""The O2ims monitoring API end to end through HTTP (O2-REFERENCE.md §6): alarms listed and filtered in both
id spellings, acknowledged and cleared by merge-patch with notifications, alarm subscriptions, the alarm
service configuration, retention purge, and the 4xx answers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from inventory.alarms import lifecycle
from inventory.alarms.models import AlarmEventRecord
from inventory.alarms.tasks import purge_cleared_alarms
from inventory.models import ChangeLogEntry, Resource, Subscription
from inventory.notifications.receiver import Receiver
from tests.alarms.conftest import ALARMS, CONFIGURATION, MON, SUBSCRIPTIONS, alarm_subscribe
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db
MERGE = "application/merge-patch+json"


def raise_on(resource: Resource, key: str = "k1", severity: int = 1, name: str = "") -> AlarmEventRecord:
    definition, cause = lifecycle.definition_for(resource.resource_type_id, name)
    record, state = lifecycle.upsert(
        resource.plugin_instance,
        lifecycle.RaisedAlarm(
            source_key=key,
            severity=severity,
            resource_id=resource.pk,
            resource_type_id=resource.resource_type_id,
            alarm_definition_id=definition,
            probable_cause_id=cause,
            extensions={"summary": "too hot"},
        ),
    )
    assert state == "raised"
    return record


@pytest.fixture
def resource(synced_mock: Any) -> Resource:
    return Resource.objects.exclude(resource_type__alarm_dictionary=None).order_by("id").first()


def test_api_versions(o2: O2Client) -> None:
    for path in ("/o2ims-infrastructureMonitoring/api_versions", f"{MON}/api_versions"):
        body = json_of(o2.get(path))
        assert body["uriPrefix"] == MON


def test_alarm_listed_with_both_spellings_and_filtered(o2: O2Client, resource: Resource) -> None:
    name = resource.resource_type.alarm_dictionary["alarmDefinition"][0]["alarmName"]
    record = raise_on(resource, name=name)
    raise_on(resource, key="k2", severity=3)
    body = json_of(o2.get(ALARMS))
    assert len(body) == 2
    one = next(a for a in body if a["alarmEventRecordId"] == str(record.pk))
    assert one["resourceId"] == one["resourceID"] == str(resource.pk)
    assert one["resourceTypeId"] == one["resourceTypeID"] == str(resource.resource_type_id)
    assert (
        one["alarmDefinitionId"] == resource.resource_type.alarm_dictionary["alarmDefinition"][0]["alarmDefinitionId"]
    )
    assert one["perceivedSeverity"] == 1
    assert one["alarmAcknowledged"] is False
    assert "extensions" not in one
    for spelling in ("resourceId", "resourceID"):
        found = json_of(o2.get(ALARMS, data={"filter": f"(eq,perceivedSeverity,1);(eq,{spelling},{resource.pk})"}))
        assert [a["alarmEventRecordId"] for a in found] == [str(record.pk)]
    single = json_of(o2.get(f"{ALARMS}/{record.pk}", data={"all_fields": ""}))
    assert single["extensions"] == {"summary": "too hot"}
    assert ChangeLogEntry.objects.filter(object_type="AlarmEventRecord", action="create").count() == 2


def test_acknowledge_and_clear_notify(o2: O2Client, resource: Resource, receiver: Receiver, deliver: Any) -> None:
    sub = alarm_subscribe(o2, receiver.url + "/alarms", consumerSubscriptionId="smo-7")
    record = deliver(lambda: raise_on(resource))
    response = deliver(lambda: o2.patch(f"{ALARMS}/{record.pk}", {"alarmAcknowledged": True}, content_type=MERGE))
    assert response.status_code == 200
    assert json_of(response) == {"alarmAcknowledged": True}
    # Acknowledging again changes nothing and notifies nobody.
    deliver(lambda: o2.patch(f"{ALARMS}/{record.pk}", {"alarmAcknowledged": True}, content_type=MERGE))
    response = deliver(lambda: o2.patch(f"{ALARMS}/{record.pk}", {"perceivedSeverity": 5}, content_type=MERGE))
    assert json_of(response) == {"perceivedSeverity": 5}
    bodies = receiver.wait_for(lambda b: len(b) >= 3)
    assert [b["notificationEventType"] for b in bodies] == [0, 3, 2]
    for body in bodies:
        assert body["consumerSubscriptionId"] == "smo-7"
        assert body["alarmEventRecordId"] == str(record.pk)
        assert body["objectRef"].endswith(f"{ALARMS}/{record.pk}")
        assert uuid.UUID(body["globalCloudID"])
    assert bodies[1]["alarmAcknowledged"] is True
    assert bodies[1]["alarmAcknowledgeTime"]
    assert bodies[2]["perceivedSeverity"] == 5
    assert Subscription.objects.get(pk=sub["alarmSubscriptionId"]).kind == "alarm"


def test_subscription_filter_selects_alarms(o2: O2Client, resource: Resource, receiver: Receiver, deliver: Any) -> None:
    alarm_subscribe(o2, receiver.url + "/critical", filter="(eq,perceivedSeverity,0)")
    deliver(lambda: raise_on(resource, key="minor", severity=2))
    deliver(lambda: raise_on(resource, key="critical", severity=0))
    bodies = receiver.wait_for(lambda b: len(b) >= 1)
    assert [b["perceivedSeverity"] for b in bodies] == [0]


def test_alarms_do_not_reach_inventory_subscribers(
    o2: O2Client, resource: Resource, receiver: Receiver, deliver: Any
) -> None:
    response = o2.post("/o2ims-infrastructureInventory/v1/subscriptions", {"callback": receiver.url + "/inv"})
    assert response.status_code == 201
    deliver(lambda: raise_on(resource))
    assert receiver.bodies() == []
    assert json_of(o2.get(SUBSCRIPTIONS)) == []


def test_alarm_subscriptions_crud(o2: O2Client, receiver: Receiver) -> None:
    callback = receiver.url + "/a"
    created = alarm_subscribe(o2, callback, filter="(eq,alarmAcknowledged,false)")
    response = o2.post(SUBSCRIPTIONS, {"callback": callback, "filter": "(eq,alarmAcknowledged,false)"})
    assert response.status_code == 409
    location = f"{SUBSCRIPTIONS}/{created['alarmSubscriptionId']}"
    assert json_of(o2.get(location)) == created
    assert json_of(o2.get(SUBSCRIPTIONS)) == [created]
    # The same callback may hold an inventory subscription: another kind, no duplicate.
    inv = o2.post("/o2ims-infrastructureInventory/v1/subscriptions", {"callback": callback, "filter": ""})
    assert inv.status_code == 201
    assert len(json_of(o2.get("/o2ims-infrastructureInventory/v1/subscriptions"))) == 1
    assert (
        o2.delete(f"/o2ims-infrastructureInventory/v1/subscriptions/{created['alarmSubscriptionId']}").status_code
        == 404
    )
    assert o2.delete(location).status_code == 204
    assert o2.get(location).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filter": "(eq,nosuch,1)", "callback": "http://127.0.0.1:9/n"}, "filter"),
        ({"filter": "(eq,perceivedSeverity,high)", "callback": "http://127.0.0.1:9/n"}, "filter"),
        ({"callback": "ftp://smo.example.com/n"}, "callback"),
        ({"callback": "https://smo.example.com/n", "colour": "red"}, "colour"),
    ],
)
def test_bad_alarm_subscriptions(o2: O2Client, settings: Any, body: dict[str, Any], field: str) -> None:
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]
    response = o2.post(SUBSCRIPTIONS, body)
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"]["field"] == field


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"alarmAcknowledged": False},
        {"perceivedSeverity": 3},
        {"perceivedSeverity": True},
        {"alarmAcknowledged": True, "perceivedSeverity": 5},
        {"alarmAcknowledged": "true"},
        [{"alarmAcknowledged": True}],
        {"extensions": {}},
    ],
)
def test_bad_patch_bodies(o2: O2Client, resource: Resource, body: Any) -> None:
    record = raise_on(resource)
    response = o2.patch(f"{ALARMS}/{record.pk}", body, content_type=MERGE)
    assert response.status_code == 400
    assert AlarmEventRecord.objects.get(pk=record.pk).acknowledged is False


def test_bad_patch_syntax_and_media_type(o2: O2Client, resource: Resource) -> None:
    record = raise_on(resource)
    assert o2.patch(f"{ALARMS}/{record.pk}", b"{nope", content_type=MERGE).status_code == 400
    assert o2.patch(f"{ALARMS}/{record.pk}", b"x", content_type="text/plain").status_code == 415


def test_unknown_alarms_and_bad_filters(o2: O2Client) -> None:
    assert o2.get(f"{ALARMS}/{uuid.uuid4()}").status_code == 404
    assert o2.get(f"{ALARMS}/not-a-uuid").status_code == 404
    assert o2.patch(f"{ALARMS}/{uuid.uuid4()}", {"alarmAcknowledged": True}, content_type=MERGE).status_code == 404
    for bad in ("(eq,nosuch,1)", "(eq,perceivedSeverity,high)", "(eq,resourceID,not-a-uuid)", "(eq,perceivedSeverity"):
        response = o2.get(ALARMS, data={"filter": bad})
        assert response.status_code == 400, bad
        assert json_of(response)["additionalAttributes"]["parameter"] == "filter"
    assert o2.get(ALARMS, data={"filters": "x"}).status_code == 400


def test_service_configuration_and_retention(o2: O2Client, resource: Resource) -> None:
    assert json_of(o2.get(CONFIGURATION)) == {"retentionPeriod": 14, "extensions": {}}
    assert o2.put(CONFIGURATION, {"retentionPeriod": 0}).status_code == 400
    assert o2.put(CONFIGURATION, {"retentionPeriod": 2, "colour": 1}).status_code == 400
    assert o2.patch(CONFIGURATION, {"retentionPeriod": "x"}, content_type=MERGE).status_code == 400
    body = json_of(o2.put(CONFIGURATION, {"retentionPeriod": 2, "extensions": {"site": "lab"}}))
    assert body == {"retentionPeriod": 2, "extensions": {"site": "lab"}}
    body = json_of(o2.patch(CONFIGURATION, {"retentionPeriod": 1}, content_type=MERGE))
    assert body == {"retentionPeriod": 1, "extensions": {"site": "lab"}}

    old, recent, active = raise_on(resource, "old"), raise_on(resource, "recent"), raise_on(resource, "active")
    lifecycle.clear(old.pk)
    lifecycle.clear(recent.pk)
    AlarmEventRecord.objects.filter(pk=old.pk).update(cleared_time=timezone.now() - timedelta(days=1, minutes=1))
    assert purge_cleared_alarms() == 1
    remaining = {a["alarmEventRecordId"] for a in json_of(o2.get(ALARMS))}
    assert remaining == {str(recent.pk), str(active.pk)}
    assert ChangeLogEntry.objects.filter(object_type="AlarmEventRecord", action="delete", object_id=old.pk).exists()


def test_list_query_count(o2: O2Client, resource: Resource, django_assert_max_num_queries: Any) -> None:
    for n in range(5):
        raise_on(resource, f"k{n}")
    with django_assert_max_num_queries(4):
        assert len(json_of(o2.get(ALARMS))) == 5
