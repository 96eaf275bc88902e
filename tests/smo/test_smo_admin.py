"""The SMO admin: per instance the northbound sync (lag, last error, counts), "full resync" and "preview what
would be pushed for object X"; workflow executions started through the SMO North API, with their status; the
Prometheus metrics per instance."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import ResourcePool
from smo import northbound
from smo.models import NorthboundCursor
from tests.o2client import json_of

pytestmark = pytest.mark.django_db
V1 = "/netweave-smo-ext/v1"


def test_workflow_started_through_the_api_shows_in_the_admin(o2, admin_client, receiver, make_custom_smo) -> None:
    receiver.respond = (
        lambda item: (201, {"executionId": "x-1", "status": "RUNNING"}) if item.method == "POST" else None
    )
    make_custom_smo()
    execution = json_of(o2.post(f"{V1}/workflowExecutions", {"workflowName": "scale-out-du"}))
    html = admin_client.get(reverse("admin:smo_workflowexecution_changelist")).content.decode()
    assert "scale-out-du" in html
    assert "RUNNING" in html
    assert "x-1" in html
    detail = admin_client.get(reverse("admin:smo_workflowexecution_change", args=[execution["executionId"]]))
    assert detail.status_code == 200
    assert "scale-out-du" in detail.content.decode()


def test_sync_status_full_resync_and_preview(admin_client, synced_mock, receiver, make_custom_smo, run_tasks) -> None:
    instance = make_custom_smo()
    cursor = NorthboundCursor.objects.get(instance=instance)  # exists before any push
    changelist = reverse("admin:smo_northboundcursor_changelist")
    html = admin_client.get(changelist).content.decode()
    assert instance.name in html
    assert str(northbound.lag(cursor)) in html

    from smo.tasks import sweep

    run_tasks(sweep.delay)  # what beat does every NETWEAVE_SMO_PUSH_INTERVAL seconds
    cursor.refresh_from_db()
    assert cursor.last_full_sync is not None
    assert northbound.lag(cursor) == 0
    pushed = cursor.objects_pushed
    receiver.received.clear()

    response = run_tasks(
        lambda: admin_client.post(changelist, {"action": "full_resync", "_selected_action": [cursor.pk]}, follow=True)
    )
    assert "full resync requested" in response.content.decode()
    cursor.refresh_from_db()
    assert cursor.objects_pushed == 2 * pushed
    assert all(r.json()["complete"] for r in receiver.received if r.path == "/inventory")

    pool = ResourcePool.objects.first()
    url = reverse("admin:smo_northboundcursor_preview", args=[cursor.pk])
    page = admin_client.get(url, {"object_type": "ResourcePoolInfo", "object_id": str(pool.pk)}).content.decode()
    assert pool.name in page
    assert "&quot;objects&quot;" in page  # the custom plugin's native body
    assert len(receiver.received) == len([r for r in receiver.received if r.path == "/inventory"])  # nothing sent
    missing = admin_client.get(url, {"object_type": "ResourcePoolInfo", "object_id": "nope"}).content.decode()
    assert "No ResourcePoolInfo with id" in missing


def test_last_error_shown_and_metrics(client, admin_client, synced_mock, receiver, make_custom_smo) -> None:
    instance = make_custom_smo()
    receiver.fail_with = 503
    northbound.step(instance)
    html = admin_client.get(reverse("admin:smo_northboundcursor_changelist")).content.decode()
    assert "inventory: POST http://127.0.0.1" in html
    assert "answered HTTP 503" in html
    metrics = client.get("/metrics").content.decode()
    assert f'netweave_smo_errors_total{{instance="{instance.name}"}} 1.0' in metrics
    lag = [
        line
        for line in metrics.splitlines()
        if line.startswith(f'netweave_smo_lag_entries{{instance="{instance.name}"}}')
    ]
    assert lag
    assert float(lag[0].split()[-1]) > 0
