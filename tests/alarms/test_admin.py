"""Alarm admin pages: the list filters by severity, state and resource; acknowledge and clear actions go through
the lifecycle (change log and notifications)."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.alarms.models import AlarmEventRecord
from inventory.models import ChangeLogEntry, Resource
from tests.alarms.test_alarm_api import raise_on

pytestmark = pytest.mark.django_db
URL = "/admin/inventory/alarmeventrecord/"


def test_list_filters_and_actions(admin_client: Any, synced_mock: Any) -> None:
    resource = Resource.objects.order_by("id").first()
    critical = raise_on(resource, "a", severity=0)
    warning = raise_on(resource, "b", severity=3)
    page = admin_client.get(URL, {"perceived_severity__exact": 0})
    assert page.status_code == 200
    assert str(critical.pk) in page.content.decode()
    assert str(warning.pk) not in page.content.decode()
    assert str(warning.pk) in admin_client.get(URL, {"q": str(resource.pk)}).content.decode()

    response = admin_client.post(URL, {"action": "acknowledge", "_selected_action": [str(critical.pk)]})
    assert response.status_code == 302
    assert AlarmEventRecord.objects.get(pk=critical.pk).acknowledged
    admin_client.post(URL, {"action": "clear", "_selected_action": [str(warning.pk)]})
    assert AlarmEventRecord.objects.get(pk=warning.pk).perceived_severity == 5
    cleared = admin_client.get(URL, {"state": "cleared"}).content.decode()
    assert str(warning.pk) in cleared
    assert str(critical.pk) not in cleared
    sources = set(
        ChangeLogEntry.objects.filter(object_type="AlarmEventRecord", action="modify").values_list("source", flat=True)
    )
    assert sources == {"admin"}
    assert admin_client.get(f"{URL}{critical.pk}/change/").status_code == 200


def test_subscription_admin_tells_alarm_from_inventory_subscriptions(admin_client: Any) -> None:
    from inventory.alarms.models import AlarmSubscription
    from inventory.models import Subscription

    alarm = AlarmSubscription.objects.create(callback="https://smo.example.com/a", fingerprint="a")
    inventory = Subscription.objects.create(callback="https://smo.example.com/i", fingerprint="i")
    page = admin_client.get("/admin/inventory/subscription/", {"kind__exact": "alarm"}).content.decode()
    assert str(alarm.pk) in page
    assert str(inventory.pk) not in page
    assert admin_client.get(f"/admin/inventory/subscription/{alarm.pk}/change/").status_code == 200
