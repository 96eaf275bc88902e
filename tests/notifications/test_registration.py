"""The O-Cloud registers with the SMO (O2-REFERENCE.md §5) when NETWEAVE_SMO_REGISTRATION_URL is set, and keeps
trying until the SMO accepts."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.models import SmoRegistration
from inventory.notifications import registration, tasks
from inventory.notifications.receiver import Receiver

pytestmark = pytest.mark.django_db


def test_disabled_without_a_url(settings: Any) -> None:
    settings.NETWEAVE_SMO_REGISTRATION_URL = ""
    assert not registration.register().retry
    assert SmoRegistration.objects.count() == 0


def test_registration_is_retried_until_the_smo_accepts(settings: Any, receiver: Receiver) -> None:
    settings.NETWEAVE_SMO_REGISTRATION_URL = receiver.url + "/register"
    receiver.fail_with = 503
    first = registration.register()
    assert first.retry
    row = SmoRegistration.objects.get()
    assert (row.attempts, row.registered) == (1, None)
    assert row.last_error.startswith("HTTP 503")

    receiver.fail_with = None
    assert tasks.register_ocloud.apply().get() == f"registered with {receiver.url}/register"
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.registered is not None
    assert row.last_error == ""
    (body,) = receiver.bodies()
    ocloud = settings.NETWEAVE_OCLOUD
    assert body == {
        "globalCloudId": ocloud["globalCloudId"],
        "oCloudId": ocloud["oCloudId"],
        "IMS_EP": ocloud["serviceUri"].rstrip("/") + "/o2ims-infrastructureInventory/v1",
    }


def test_a_starting_worker_queues_the_registration(settings: Any, monkeypatch: Any) -> None:
    queued: list[bool] = []
    monkeypatch.setattr(tasks.register_ocloud, "delay", lambda: queued.append(True))
    settings.NETWEAVE_SMO_REGISTRATION_URL = ""
    tasks.register_at_start()
    settings.NETWEAVE_SMO_REGISTRATION_URL = "https://smo.example.com/register"
    tasks.register_at_start()
    assert queued == [True]
