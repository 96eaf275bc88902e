"""Delivery behaviour against a real receiver: retries with backoff, expiry and re-drive, ordering, the callback
check at delivery time (DNS rebinding), redirects, and authentication towards the SMO (HMAC, OAuth2)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from inventory.models import Notification, SmoEndpoint, Subscription
from inventory.notifications import callbacks, delivery
from inventory.notifications.receiver import Receiver
from inventory.sync import apply_changes, reconcile
from plugins.models import Secret
from plugins.sdk import ims as sdk
from plugins.secrets import set_secret_value
from tests.loopback import serving, url_of
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db


def pools(*names: str) -> sdk.Inventory:
    return sdk.Inventory(None, [sdk.ResourcePool(n, n) for n in names], None, None)


def make_due() -> None:
    Notification.objects.filter(status="pending").update(next_attempt=timezone.now())


def test_failures_back_off_then_deliver_in_order(o2: O2Client, receiver: Receiver, ims_instance: Any) -> None:
    sub = subscribe(o2, receiver.url)
    reconcile(ims_instance, pools("a", "b", "c"))
    receiver.fail_with = 500
    outcome = delivery.deliver_pending(sub["subscriptionId"])
    assert outcome.step is delivery.Step.FAILED
    assert outcome.retry_in is not None
    assert 0.5 <= outcome.retry_in <= 1.0  # first retry: between half and all of the base delay
    head = Notification.objects.order_by("id").first()
    assert head is not None
    assert head.attempts == 1
    assert head.last_error.startswith("HTTP 500")
    # Not due yet: nothing is sent, the rows behind it wait (in order, one in flight).
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.WAITING
    make_due()
    delivery.deliver_pending(sub["subscriptionId"])
    assert Notification.objects.get(pk=head.pk).attempts == 2
    receiver.fail_with = None
    make_due()
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.EMPTY
    names = [b["postObjectState"]["name"] for b in receiver.bodies()]
    assert sorted(names) == ["a", "b", "c"]
    ids = list(Notification.objects.order_by("id").values_list("payload__postObjectState__name", flat=True))
    assert names == ids
    subscription = Subscription.objects.get(pk=sub["subscriptionId"])
    assert (subscription.delivered_count, subscription.failure_count) == (3, 2)


def test_backoff_grows_exponentially_up_to_the_cap(settings: Any) -> None:
    settings.NETWEAVE_NOTIFICATION_RETRY_BASE = 1.0
    settings.NETWEAVE_NOTIFICATION_RETRY_CAP = 60.0
    for attempts, full in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (30, 60)]:
        delays = [delivery.backoff(attempts) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1  # jitter


def test_rows_older_than_the_maximum_age_expire_and_can_be_redriven(
    o2: O2Client, receiver: Receiver, ims_instance: Any, settings: Any
) -> None:
    settings.NETWEAVE_NOTIFICATION_MAX_AGE = 60
    sub = subscribe(o2, receiver.url)
    reconcile(ims_instance, pools("a"))
    receiver.fail_with = 503
    delivery.deliver_pending(sub["subscriptionId"])
    Notification.objects.update(enqueued=timezone.now() - timedelta(seconds=61), next_attempt=timezone.now())
    reconcile(ims_instance, pools("a", "b"))
    receiver.fail_with = None
    delivery.deliver_pending(sub["subscriptionId"])
    expired = Notification.objects.get(status="expired")
    assert "HTTP 503" in expired.last_error
    assert "expired" in expired.last_error
    assert [b["postObjectState"]["name"] for b in receiver.bodies()] == ["b"]

    assert delivery.redrive(Notification.objects.all()) == [sub["subscriptionId"]]
    delivery.deliver_pending(sub["subscriptionId"])
    assert [b["postObjectState"]["name"] for b in receiver.bodies()] == ["b", "a"]
    assert not Notification.objects.exclude(status="delivered").exists()


def test_callback_is_checked_again_at_delivery_time(o2: O2Client, ims_instance: Any) -> None:
    """DNS rebinding: the name resolved to a public address at subscribe time, to a private one later."""
    callbacks.set_resolver(lambda host, port: ["93.184.215.14"])
    try:
        sub = subscribe(o2, "https://smo.example.com/n")
        reconcile(ims_instance, pools("a"))
        callbacks.set_resolver(lambda host, port: ["169.254.169.254"])
        assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.FAILED
    finally:
        callbacks.set_resolver(None)
    row = Notification.objects.get()
    assert row.last_error.startswith("callback refused")
    assert "169.254.169.254" in row.last_error


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(307)
        self.send_header("Location", self.target if self.path == "/away" else "/here")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def redirector() -> Iterator[ThreadingHTTPServer]:
    with serving(_Redirector) as server:
        yield server


def test_redirects_to_another_host_are_not_followed(
    o2: O2Client, receiver: Receiver, redirector: ThreadingHTTPServer, ims_instance: Any
) -> None:
    _Redirector.target = receiver.url + "/stolen"
    sub = subscribe(o2, url_of(redirector) + "/away")
    reconcile(ims_instance, pools("a"))
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.FAILED
    assert "redirect to another host not followed" in Notification.objects.get().last_error
    assert receiver.received == []


def _secret(name: str, value: str) -> Secret:
    return set_secret_value(Secret(name=name, provider=Secret.Provider.ENCRYPTED), value)


def test_hmac_signature_over_the_body(o2: O2Client, receiver: Receiver, ims_instance: Any) -> None:
    SmoEndpoint.objects.create(name="smo", base_url=receiver.url, hmac_key=_secret("smo-hmac", "k3y"))
    subscribe(o2, receiver.url + "/n")
    reconcile(ims_instance, pools("a"))
    delivery.deliver_pending(str(Subscription.objects.get().pk))
    (item,) = receiver.received
    expected = "sha256=" + hmac.new(b"k3y", item.body, hashlib.sha256).hexdigest()
    assert item.headers["X-Netweave-Signature"] == expected


class _TokenHandler(BaseHTTPRequestHandler):
    requests: list[dict[str, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        _TokenHandler.requests.append({"body": body, "authorization": self.headers.get("Authorization", "")})
        payload = json.dumps({"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_oauth2_client_credentials(o2: O2Client, receiver: Receiver, ims_instance: Any) -> None:
    with serving(_TokenHandler) as server:
        endpoint = SmoEndpoint.objects.create(
            name="smo-oauth",
            oauth2_token_url=url_of(server) + "/token",
            oauth2_client_id="netweave",
            oauth2_client_secret=_secret("smo-client-secret", "s3cret"),
            oauth2_scope="notifications",
        )
        sub = subscribe(o2, receiver.url + "/n")
        Subscription.objects.filter(pk=sub["subscriptionId"]).update(endpoint=endpoint)
        reconcile(ims_instance, pools("a", "b"))
        delivery.deliver_pending(sub["subscriptionId"])
    assert [r.headers["Authorization"] for r in receiver.received] == ["Bearer tok-1", "Bearer tok-1"]
    (token_request,) = _TokenHandler.requests  # cached for the second delivery
    assert "grant_type=client_credentials" in token_request["body"]
    assert "scope=notifications" in token_request["body"]
    assert token_request["authorization"].startswith("Basic ")
    assert "s3cret" not in Notification.objects.values_list("last_error", flat=True)


def test_a_missing_secret_fails_the_delivery_without_leaking(
    o2: O2Client, receiver: Receiver, ims_instance: Any, monkeypatch: Any
) -> None:
    monkeypatch.delenv("SMO_HMAC_KEY", raising=False)
    key = Secret.objects.create(name="smo-env", provider=Secret.Provider.ENV, reference="SMO_HMAC_KEY")
    SmoEndpoint.objects.create(name="smo", base_url=receiver.url, hmac_key=key)
    sub = subscribe(o2, receiver.url)
    reconcile(ims_instance, pools("a"))
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.FAILED
    assert "SMO_HMAC_KEY is not set" in Notification.objects.get().last_error
    assert receiver.received == []


def test_deleting_a_subscription_drops_its_pending_rows(o2: O2Client, receiver: Receiver, ims_instance: Any) -> None:
    sub = subscribe(o2, receiver.url)
    reconcile(ims_instance, pools("a"))
    assert o2.delete(f"/o2ims-infrastructureInventory/v1/subscriptions/{sub['subscriptionId']}").status_code == 204
    assert Notification.objects.count() == 0
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.GONE


def test_sweeper_purges_delivered_rows_after_the_retention(
    o2: O2Client, receiver: Receiver, ims_instance: Any, settings: Any
) -> None:
    from inventory.notifications.tasks import sweep_outbox

    settings.NETWEAVE_NOTIFICATION_RETENTION = 3600
    sub = subscribe(o2, receiver.url)
    reconcile(ims_instance, pools("a", "b"))
    delivery.deliver_pending(sub["subscriptionId"])
    old, recent = Notification.objects.order_by("id")
    Notification.objects.filter(pk=old.pk).update(delivered=timezone.now() - timedelta(seconds=3601))
    assert sweep_outbox.apply().get() == 0  # nothing due, so nothing queued
    assert list(Notification.objects.values_list("pk", flat=True)) == [recent.pk]


def test_delivery_connects_to_the_address_that_was_checked(
    o2: O2Client, receiver: Receiver, ims_instance: Any, settings: Any
) -> None:
    """The HTTP client does not resolve the name again (a rebinding resolver could answer differently): it
    connects to the checked address and keeps the name in the Host header. `receiver.test` resolves nowhere but
    in netweave's resolver, so the delivery can only arrive if it was pinned."""
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["receiver.test"]
    port = receiver.url.rsplit(":", 1)[1]
    callbacks.set_resolver(lambda host, _: ["127.0.0.1"] if host == "receiver.test" else [])
    try:
        sub = subscribe(o2, f"http://receiver.test:{port}/pinned")
        reconcile(ims_instance, pools("a"))
        assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.EMPTY
    finally:
        callbacks.set_resolver(None)
    (item,) = receiver.received
    assert item.path == "/pinned"
    assert item.headers["Host"] == f"receiver.test:{port}"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The delivery tasks sent to the broker (captured, not run)."""
    from inventory.notifications.tasks import deliver_subscription

    sent: list[str] = []
    monkeypatch.setattr(deliver_subscription, "apply_async", lambda args, **_: sent.append(args[0]))
    return sent


def test_the_sweeper_queues_one_task_per_subscription_not_per_row(
    o2: O2Client, receiver: Receiver, ims_instance: Any, published: list[str]
) -> None:
    """Regression (issue 13): the outbox's default ordering turned the sweeper's DISTINCT into one task per
    pending row, so a backlog behind a dead receiver buried every other subscription's task."""
    from inventory.notifications.tasks import sweep_outbox

    subs = {subscribe(o2, f"{receiver.url}/{n}")["subscriptionId"] for n in ("a", "b")}
    for step in range(30):
        apply_changes(ims_instance, upserts={"resourcePool": [sdk.ResourcePool(f"p{step}", "p")]})
    assert Notification.objects.filter(status="pending").count() == 2 * 30
    published.clear()
    assert sweep_outbox.apply().get() == 2
    assert sorted(published) == sorted(subs)
    # Their tasks are queued and not started yet: neither the next sweep nor new changes queue more.
    assert sweep_outbox.apply().get() == 0
    reconcile(ims_instance, pools("late"))
    assert sorted(published) == sorted(subs)


def test_queued_work_stays_bounded_by_subscriptions_while_a_receiver_is_dead(
    o2: O2Client, receiver: Receiver, ims_instance: Any, published: list[str], settings: Any
) -> None:
    """A failing receiver's retries queue one task (for its next attempt), however many changes pile up."""
    from inventory.notifications.tasks import deliver_subscription, sweep_outbox

    settings.NETWEAVE_NOTIFICATION_RETRY_BASE = 600.0
    sub = subscribe(o2, receiver.url)["subscriptionId"]
    receiver.fail_with = 503
    reconcile(ims_instance, pools("a"))
    published.clear()
    assert deliver_subscription.run(sub) == "failed"
    assert published == [sub]  # the retry, queued for later
    for step in range(20):
        apply_changes(ims_instance, upserts={"resourcePool": [sdk.ResourcePool(f"p{step}", "p")]})
    assert sweep_outbox.apply().get() == 0
    assert published == [sub]
    # The retry's task runs: the head is not due yet, nothing more is queued (its wake-up is still pending).
    assert deliver_subscription.run(sub) == "waiting"
    assert published == [sub]


def test_a_long_backlog_is_delivered_in_slices(
    o2: O2Client, receiver: Receiver, ims_instance: Any, published: list[str]
) -> None:
    """A task delivers at most a slice of a backlog, then queues itself again behind the other tasks."""
    from inventory.notifications.tasks import deliver_subscription

    sub = subscribe(o2, receiver.url)["subscriptionId"]
    reconcile(ims_instance, pools(*[f"p{i}" for i in range(5)]))
    published.clear()
    assert delivery.deliver_pending(sub, limit=2).step is delivery.Step.MORE
    assert len(receiver.received) == 2
    assert deliver_subscription.run(sub) == "empty"
    assert len(receiver.received) == 5
    assert published == []


def test_a_lost_task_is_queued_again_when_the_broker_queue_is_empty(
    o2: O2Client, receiver: Receiver, ims_instance: Any, published: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broker restart without persistence loses the queued task but not its marker: with the queue empty the
    sweeper queues again at once; while tasks are waiting, only after NETWEAVE_DELIVERY_REQUEUE_AFTER."""
    from inventory.notifications import scheduling
    from inventory.notifications.tasks import sweep_outbox

    sub = subscribe(o2, receiver.url)["subscriptionId"]
    reconcile(ims_instance, pools("a"))
    # Its task was queued a minute ago, then lost.
    Subscription.objects.filter(pk=sub).update(delivery_queued=timezone.now() - timedelta(seconds=60))
    monkeypatch.setattr(scheduling, "broker_backlog", lambda: 3)
    assert sweep_outbox.apply().get() == 0
    monkeypatch.setattr(scheduling, "broker_backlog", lambda: 0)
    assert sweep_outbox.apply().get() == 1
    assert published == [sub]
