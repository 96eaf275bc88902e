"""Fixtures for the monitoring API tests: alarms raised through the lifecycle functions (what the observability
plugins call), alarm subscriptions to a real loopback receiver, and eager delivery."""

from __future__ import annotations

from typing import Any

from tests.o2client import O2Client, json_of

MON = "/o2ims-infrastructureMonitoring/v1"
ALARMS = f"{MON}/alarms"
SUBSCRIPTIONS = f"{MON}/alarmSubscriptions"
CONFIGURATION = f"{MON}/alarmServiceConfiguration"


def alarm_subscribe(o2: O2Client, callback: str, **fields: Any) -> dict[str, Any]:
    response = o2.post(SUBSCRIPTIONS, {"callback": callback, **fields})
    assert response.status_code == 201, response.content
    return json_of(response)
