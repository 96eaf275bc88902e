"""The admin pages for subscriptions and deliveries (re-drive of expired rows), and the /metrics exposition."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.models import Notification, Subscription
from inventory.notifications import delivery
from inventory.notifications.receiver import Receiver
from inventory.sync import reconcile
from plugins.sdk import ims as sdk
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(db: None) -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client = Client()
    client.force_login(user)
    return client


def test_expired_notification_is_visible_and_redriven_from_the_admin(
    o2: O2Client, receiver: Receiver, ims_instance: Any, admin_client_logged_in: Client, settings: Any
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from netweave.celery import app

    app.conf.task_always_eager = True
    try:
        sub = subscribe(o2, receiver.url)
        reconcile(ims_instance, sdk.Inventory(None, [sdk.ResourcePool("p", "pool-p")], None, None))
        receiver.fail_with = 500
        delivery.deliver_pending(sub["subscriptionId"])
        Notification.objects.update(status="expired")

        listing = admin_client_logged_in.get(reverse("admin:inventory_notification_changelist") + "?status=expired")
        assert listing.status_code == 200
        assert b"HTTP 500" in listing.content
        subs = admin_client_logged_in.get(reverse("admin:inventory_subscription_changelist"))
        assert subs.status_code == 200
        assert sub["subscriptionId"].encode() in subs.content
        detail = admin_client_logged_in.get(
            reverse("admin:inventory_subscription_change", args=[sub["subscriptionId"]])
        )
        assert detail.status_code == 200

        receiver.fail_with = None
        row = Notification.objects.get()
        response = admin_client_logged_in.post(
            reverse("admin:inventory_notification_changelist"),
            {"action": "redrive", "_selected_action": [row.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert b"Re-driven" in response.content
    finally:
        app.conf.task_always_eager = False
    assert Notification.objects.get().status == "delivered"
    assert [b["postObjectState"]["name"] for b in receiver.bodies()] == ["pool-p"]


def test_smo_endpoint_admin_pages_render(admin_client_logged_in: Client) -> None:
    assert admin_client_logged_in.get(reverse("admin:inventory_smoendpoint_add")).status_code == 200
    assert admin_client_logged_in.get(reverse("admin:inventory_smoregistration_changelist")).status_code == 200


def test_metrics_expose_depth_failures_and_latency(
    o2: O2Client, receiver: Receiver, ims_instance: Any, client: Client
) -> None:
    sub = subscribe(o2, receiver.url)
    reconcile(ims_instance, sdk.Inventory(None, [sdk.ResourcePool(n, n) for n in "abc"], None, None))
    receiver.fail_with = 500
    delivery.deliver_pending(sub["subscriptionId"])
    text = client.get("/metrics").content.decode()
    label = f'subscription="{sub["subscriptionId"]}"'
    assert f"netweave_outbox_depth{{{label}}} 3.0" in text
    assert f"netweave_notification_delivery_failures_total{{{label}}} 1.0" in text
    receiver.fail_with = None
    Notification.objects.update(next_attempt=timezone.now())
    delivery.deliver_pending(sub["subscriptionId"])
    text = client.get("/metrics").content.decode()
    assert f"netweave_outbox_depth{{{label}}} 0.0" in text
    assert f"netweave_notification_deliveries_total{{{label}}} 3.0" in text
    assert f"netweave_notification_delivery_latency_seconds_count{{{label}}} 3.0" in text
    assert Subscription.objects.get().latency_sum > 0


def test_subscription_list_shows_the_last_error_and_redeliver_from_here_sends_again(
    o2: O2Client,
    receiver: Receiver,
    ims_instance: Any,
    admin_client_logged_in: Client,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from netweave.celery import app

    app.conf.task_always_eager = True
    try:
        sub = subscribe(o2, receiver.url)
        reconcile(ims_instance, sdk.Inventory(None, [sdk.ResourcePool(n, f"pool-{n}") for n in "ab"], None, None))
        receiver.fail_with = 500
        delivery.deliver_pending(sub["subscriptionId"])
        subs = admin_client_logged_in.get(reverse("admin:inventory_subscription_changelist"))
        assert b"HTTP 500" in subs.content  # the subscription's last error, on the list
        receiver.fail_with = None
        Notification.objects.update(next_attempt=timezone.now())
        delivery.deliver_pending(sub["subscriptionId"])
        assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}
        first = Notification.objects.order_by("id").first()
        assert first is not None
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client_logged_in.post(
                reverse("admin:inventory_notification_changelist"),
                {"action": "redeliver_from_here", "_selected_action": [first.pk]},
                follow=True,
            )
        assert b"2 notification(s) of 1 subscription(s) will be delivered again" in response.content
    finally:
        app.conf.task_always_eager = False
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}
    names = [b["postObjectState"]["name"] for b in receiver.bodies()]
    assert names == ["pool-a", "pool-b", "pool-a", "pool-b"]


def test_send_a_test_notification_from_the_admin(
    o2: O2Client, receiver: Receiver, ims_instance: Any, admin_client_logged_in: Client
) -> None:
    sub = subscribe(o2, receiver.url)
    response = admin_client_logged_in.post(
        reverse("admin:inventory_subscription_changelist"),
        {"action": "send_test_notification", "_selected_action": [sub["subscriptionId"]]},
        follow=True,
    )
    texts = [str(m) for m in response.context["messages"]]
    assert any("answered HTTP 2" in t for t in texts), texts
    bodies = [b for b in receiver.bodies() if b["notificationEventType"] == 1 and "oCloudId" in b["postObjectState"]]
    assert len(bodies) == 1
    assert bodies[0]["priorObjectState"] == bodies[0]["postObjectState"]
    receiver.fail_with = 500
    failed = admin_client_logged_in.post(
        reverse("admin:inventory_subscription_changelist"),
        {"action": "send_test_notification", "_selected_action": [sub["subscriptionId"]]},
        follow=True,
    )
    assert b"test notification failed: HTTP 500" in failed.content
