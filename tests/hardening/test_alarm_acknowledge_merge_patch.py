"""Issue 13: PATCH alarms/{alarmEventRecordId} is a JSON merge patch (O2-REFERENCE.md §6, RFC 7396), accepted only
as application/merge-patch+json like alarmServiceConfiguration: application/json and every other content type are
a 415 ProblemDetails, and the alarm is left as it was."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.alarms.models import AlarmEventRecord
from inventory.models import Resource
from tests.alarms.conftest import ALARMS
from tests.alarms.test_alarm_api import raise_on
from tests.o2client import O2Client, check_problem, json_of, published_schema

pytestmark = pytest.mark.django_db
MERGE = "application/merge-patch+json"


@pytest.fixture
def alarm(synced_mock: Any) -> AlarmEventRecord:
    resource = Resource.objects.exclude(resource_type__alarm_dictionary=None).order_by("id").first()
    assert resource is not None
    return raise_on(resource)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/json-patch+json"])
@pytest.mark.parametrize("body", [{"alarmAcknowledged": True}, {"perceivedSeverity": 5}])
def test_other_content_types_are_415(o2: O2Client, alarm: AlarmEventRecord, content_type: str, body: Any) -> None:
    response = o2.patch(f"{ALARMS}/{alarm.pk}", body, content_type=content_type)
    assert response.status_code == 415
    assert content_type in check_problem(response)["detail"]
    alarm.refresh_from_db()
    assert (alarm.acknowledged, alarm.perceived_severity) == (False, 1)


def test_a_merge_patch_acknowledges(o2: O2Client, alarm: AlarmEventRecord) -> None:
    response = o2.patch(f"{ALARMS}/{alarm.pk}", {"alarmAcknowledged": True}, content_type=MERGE)
    assert response.status_code == 200
    assert json_of(response) == {"alarmAcknowledged": True}
    assert AlarmEventRecord.objects.get(pk=alarm.pk).acknowledged is True


def test_the_openapi_document_says_merge_patch() -> None:
    operation = published_schema()["paths"][f"{ALARMS}/{{alarmEventRecordId}}"]["patch"]
    assert list(operation["requestBody"]["content"]) == [MERGE]
