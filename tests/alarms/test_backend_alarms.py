"""An IMS backend that cannot be synced raises the O-Cloud's backend alarm, seen through the monitoring API and
notified to an alarm subscriber; the next successful sync clears it (DESIGN.md "Bad input and failure").
The DMS side (a helm instance whose cluster is unreachable) is tested in tests/deployments/test_backend_alarms.py."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.notifications.receiver import Receiver
from inventory.sync import SyncFailed, sync_instance
from tests.alarms.conftest import ALARMS, alarm_subscribe
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db
DEFINITION = "netweave-ims-backend-unreachable"


def backend_alarms(o2: O2Client) -> list[dict[str, Any]]:
    return json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{DEFINITION})&all_fields"))


def test_a_failing_sync_raises_and_the_next_good_one_clears(
    o2: O2Client, synced_mock: Any, receiver: Receiver, deliver: Any, settings: Any
) -> None:
    alarm_subscribe(o2, receiver.url + "/backends", filter=f"(eq,alarmDefinitionId,{DEFINITION})")
    assert backend_alarms(o2) == []

    synced_mock.config = {**synced_mock.config, "failHealth": True}
    synced_mock.save()

    def failing_sync() -> None:
        with pytest.raises(SyncFailed):
            sync_instance(synced_mock)

    deliver(failing_sync)
    deliver(failing_sync)  # still down: the same alarm, not a second one
    (alarm,) = backend_alarms(o2)
    assert alarm["resourceId"] == str(settings.NETWEAVE_OCLOUD["oCloudId"])
    assert alarm["perceivedSeverity"] == 1
    assert alarm["extensions"]["pluginInstance"] == synced_mock.name
    assert "sync failed" in alarm["extensions"]["message"]

    synced_mock.config = {**synced_mock.config, "failHealth": False}
    synced_mock.save()
    deliver(lambda: sync_instance(synced_mock))
    (cleared,) = backend_alarms(o2)
    assert cleared["perceivedSeverity"] == 5
    bodies = receiver.wait_for(lambda b: len(b) >= 2)
    assert [b["notificationEventType"] for b in bodies] == [0, 2]  # NEW, then CLEAR
    assert {b["alarmEventRecordId"] for b in bodies} == {alarm["alarmEventRecordId"]}
