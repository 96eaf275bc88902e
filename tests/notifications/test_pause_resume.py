"""Pausing a subscription's delivery (admin action, change-page button): its notifications are held in the
outbox, not sent and not expired, not queued by commits or the sweeper; resuming delivers the backlog in order.
The O2 representation of the subscription does not change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.models import Notification, Subscription
from inventory.notifications import delivery, tasks
from inventory.notifications.receiver import Receiver
from inventory.sync import reconcile
from plugins.sdk import ims as sdk
from tests.notifications.conftest import SUBSCRIPTIONS, subscribe
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db


def pools(*names: str) -> sdk.Inventory:
    return sdk.Inventory(None, [sdk.ResourcePool(n, f"pool-{n}") for n in names], None, None)


def test_a_paused_subscription_holds_its_notifications_and_resume_delivers_them_in_order(
    o2: O2Client, receiver: Receiver, ims_instance: Any, run_tasks: Any, settings: Any
) -> None:
    sub = subscribe(o2, receiver.url)
    sid = sub["subscriptionId"]
    run_tasks(lambda: reconcile(ims_instance, pools("a")))
    assert [b["postObjectState"]["name"] for b in receiver.bodies()] == ["pool-a"]

    assert delivery.pause(Subscription.objects.filter(pk=sid)) == 1
    run_tasks(lambda: reconcile(ims_instance, pools("a", "b", "c")))  # commits queue nothing for it
    assert delivery.deliver_pending(sid).step is delivery.Step.PAUSED  # nor does a task already queued send
    assert tasks.sweep_outbox() == 0  # nor the sweeper
    assert len(receiver.bodies()) == 1
    held = Notification.objects.filter(subscription_id=sid, status="pending").order_by("id")
    assert [n.payload["postObjectState"]["name"] for n in held] == ["pool-b", "pool-c"]

    # Paused longer than the maximum age: nothing expires, on resume or after.
    settings.NETWEAVE_NOTIFICATION_MAX_AGE = 60
    Notification.objects.filter(status="pending").update(enqueued=timezone.now() - timedelta(hours=2))
    resumed = run_tasks(lambda: delivery.resume(Subscription.objects.all()))
    assert resumed == [sid]
    assert Subscription.objects.get(pk=sid).paused is None
    run_tasks(lambda: tasks.sweep_outbox())
    assert [b["postObjectState"]["name"] for b in receiver.bodies()] == ["pool-a", "pool-b", "pool-c"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"delivered"}


def test_the_admin_pauses_and_resumes_with_actions_buttons_and_shows_it(
    o2: O2Client,
    receiver: Receiver,
    ims_instance: Any,
    admin_client: Client,
    client: Client,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
) -> None:
    sub = subscribe(o2, receiver.url)
    sid = sub["subscriptionId"]
    changelist = reverse("admin:inventory_subscription_changelist")
    response = admin_client.post(changelist, {"action": "pause_delivery", "_selected_action": [sid]}, follow=True)
    assert b"Paused delivery to 1 subscription(s)" in response.content
    assert Subscription.objects.get(pk=sid).paused is not None
    assert LogEntry.objects.filter(object_id=sid, change_message="Paused delivery.").exists()
    listing = admin_client.get(changelist + "?delivery=paused").content.decode()
    assert sid in listing
    assert 'class="delivery-paused"' in listing
    assert sid not in admin_client.get(changelist + "?delivery=active").content.decode()
    label = f'subscription="{sid}"'
    assert f"netweave_subscription_paused{{{label}}} 1.0" in client.get("/metrics").content.decode()

    reconcile(ims_instance, pools("x", "y"))
    page = reverse("admin:inventory_subscription_change", args=[sid])
    assert 'id="resume-delivery"' in admin_client.get(page).content.decode()
    assert admin_client.get(reverse("admin:inventory_subscription_resume", args=[sid])).status_code == 405  # POST only

    settings.CELERY_TASK_ALWAYS_EAGER = True
    from netweave.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(reverse("admin:inventory_subscription_resume", args=[sid]), follow=True)
    finally:
        app.conf.task_always_eager = False
    assert b"2 waiting notification(s) will be delivered in order" in response.content
    assert 'id="pause-delivery"' in response.content.decode()
    assert [b["postObjectState"]["name"] for b in receiver.bodies()] == ["pool-x", "pool-y"]
    assert f"netweave_subscription_paused{{{label}}} 0.0" in client.get("/metrics").content.decode()

    # The O2 representation carries no netweave field for it.
    o2_fields = {"subscriptionId", "callback", "filter", "consumerSubscriptionId"}
    assert set(json_of(o2.get(f"{SUBSCRIPTIONS}/{sid}"))) <= o2_fields
