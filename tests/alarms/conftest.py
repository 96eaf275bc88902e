"""Fixtures for the monitoring API tests: alarms raised through the lifecycle functions (what the observability
plugins call), alarm subscriptions to a real loopback receiver, and eager delivery."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.o2client import O2Client, json_of

MON = "/o2ims-infrastructureMonitoring/v1"
ALARMS = f"{MON}/alarms"
SUBSCRIPTIONS = f"{MON}/alarmSubscriptions"
CONFIGURATION = f"{MON}/alarmServiceConfiguration"


@pytest.fixture
def deliver(settings: Any, django_capture_on_commit_callbacks: Any) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Run a change and the after-commit delivery it queues (Celery eager: the task runs in-process)."""
    from netweave.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True

    def run(change: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    yield run
    app.conf.task_always_eager = False


def alarm_subscribe(o2: O2Client, callback: str, **fields: Any) -> dict[str, Any]:
    response = o2.post(SUBSCRIPTIONS, {"callback": callback, **fields})
    assert response.status_code == 201, response.content
    return json_of(response)
