"""Delivering outbox rows: per subscription strictly in order, one request in flight, retried with exponential
backoff and jitter until delivered or older than the maximum age (then expired, and re-drivable in the admin).

A paused subscription (Subscription.paused, set in the admin) is skipped: its outbox keeps filling, nothing is
sent and nothing expires; `resume` makes its backlog due again, with a fresh maximum age, and it is delivered in
order.

One in flight: a run of attempts (the subscription's oldest rows, sent one after another over one kept-alive
connection, at most NETWEAVE_DELIVERY_BATCH rows or a second) runs in a transaction that holds the subscription's
delivery lock (a PostgreSQL advisory lock, tried without waiting), so another worker skips that subscription
instead of sending its next row; the lock dies with the worker's connection, so a killed worker blocks nothing.
On SQLite the IMMEDIATE transactions serialize the same way. A delivery that succeeded at the SMO but whose
commit was lost (crash, database restart) is sent again: delivery is at least once, and `notificationId` lets an
SMO de-duplicate. One run costs four statements whatever its length (lock, read, one UPDATE of the delivered
rows, commit); a row per transaction cost five per delivery.
"""

from __future__ import annotations

import enum
import logging
import random
import ssl
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from inventory.models import Notification, SmoEndpoint, Subscription
from inventory.notifications import auth, deadline, sender
from inventory.notifications.callbacks import CallbackRefused, check_callback
from plugins.secrets import SecretError

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
ERROR_LIMIT = 2000


class Step(enum.Enum):
    DELIVERED = "delivered"
    FAILED = "failed"  # retry later
    WAITING = "waiting"  # the head row is not due yet
    EMPTY = "empty"
    BUSY = "busy"  # another worker holds the subscription
    GONE = "gone"
    PAUSED = "paused"  # an operator paused the subscription: nothing is sent until it is resumed
    MORE = "more"  # the task's slice is used up: queued again behind the other subscriptions' work


@dataclass
class Outcome:
    step: Step
    retry_in: float | None = None


def backoff(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: exponential, capped, with equal jitter (half fixed, half random)."""
    base = float(getattr(settings, "NETWEAVE_NOTIFICATION_RETRY_BASE", 1.0))
    cap = float(getattr(settings, "NETWEAVE_NOTIFICATION_RETRY_CAP", 300.0))
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def max_age() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "NETWEAVE_NOTIFICATION_MAX_AGE", 86400)))


class DeliveryFailed(Exception):
    pass


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


@dataclass
class Route:
    """What the deliveries of a run to one subscription share, worked out by the first of them: the SMO
    endpoint and its TLS context, the callback URLs that passed the check with the target each goes to (so a
    run of at most a second resolves its callback once), and the delivery task's kept-alive connections."""

    connections: sender.Connections
    endpoint: tuple[SmoEndpoint | None, ssl.SSLContext] | None = None
    targets: dict[str, sender.Target] = field(default_factory=dict)

    def authenticated(self, subscription: Subscription, body: bytes) -> tuple[SmoEndpoint | None, dict[str, str]]:
        """The SMO endpoint and the authentication headers for `body` (a signature is per body)."""
        try:
            if self.endpoint is None:
                endpoint = auth.endpoint_for(subscription)
                self.endpoint = (endpoint, auth.tls_context(endpoint))
            return self.endpoint[0], auth.request_headers(self.endpoint[0], body)
        except (auth.AuthError, SecretError) as exc:
            raise DeliveryFailed(f"authentication: {exc}") from None

    def request(self, method: str, url: str, headers: dict[str, str], body: bytes) -> sender.Answer:
        """One request to a callback URL that passes the callback check, sent to the address that was checked."""
        target = self.targets.get(url)
        if target is None:
            try:
                target = self.targets[url] = sender.Target.of(url, check_callback(url))
            except CallbackRefused as exc:
                raise DeliveryFailed(f"callback refused: {exc}") from None
            except sender.SendError as exc:
                raise DeliveryFailed(str(exc)) from None
        assert self.endpoint is not None  # authenticated() comes first
        try:
            return self.connections.request(method, target, headers, body, self.endpoint[1])
        except sender.SendError as exc:
            raise DeliveryFailed(str(exc)) from None


def send(subscription: Subscription, body: bytes, route: Route | None = None) -> int:
    """POST one notification body to the callback; returns the 2xx status or raises DeliveryFailed.

    The whole attempt (token, connection, request, answer, redirects) takes at most NETWEAVE_NOTIFICATION_TIMEOUT
    seconds, however slowly the receiver answers. Redirects are followed only within the callback's origin
    (307/308, which keep the POST) and only to a URL that passes the callback check; anything else is a failure.
    `route` is what the caller's run shares (the task's connections among it); without it the request has a
    connection of its own.
    """
    with deadline.bounded(auth.attempt_seconds()):
        if route is not None:
            return _send(subscription, body, route)
        with sender.Connections() as connections:
            return _send(subscription, body, Route(connections))


def _send(subscription: Subscription, body: bytes, route: Route) -> int:
    url = subscription.callback
    endpoint, headers = route.authenticated(subscription, body)
    for _ in range(MAX_REDIRECTS + 1):
        answer = route.request("POST", url, headers, body)
        status = answer.status
        if 200 <= status < 300:
            return status
        location = answer.headers.get("location")
        if status in (307, 308) and location:
            target = urljoin(url, location)
            if not _same_origin(target, subscription.callback):
                raise DeliveryFailed(f"HTTP {status}: redirect to another host not followed ({target})")
            url = target
            continue
        if status == 401 and endpoint is not None and endpoint.oauth2_token_url:
            auth.forget_token(endpoint)
        raise DeliveryFailed(f"HTTP {status}: {answer.text()}")
    raise DeliveryFailed(f"more than {MAX_REDIRECTS} redirects")


def probe(callback: str) -> None:
    """The optional reachability check at subscribe time (NETWEAVE_CALLBACK_CHECK_ON_SUBSCRIBE): a GET to the
    callback, authenticated like a delivery, that must answer 2xx (ETSI NFV-SOL 013 expects 204 No Content) without
    a redirect. Raises DeliveryFailed saying what the callback answered."""
    with deadline.bounded(auth.attempt_seconds()), sender.Connections() as connections:
        route = Route(connections)
        _, headers = route.authenticated(Subscription(callback=callback), b"")
        headers.pop("Content-Type", None)
        answer = route.request("GET", callback, headers, b"")
    if not 200 <= answer.status < 300:
        raise DeliveryFailed(f"GET answered HTTP {answer.status}, not 204")


def _expire(row: Notification) -> None:
    row.status = Notification.Status.EXPIRED
    row.last_error = (row.last_error + "\n" if row.last_error else "") + f"expired after {max_age()} without delivery"
    row.save(update_fields=["status", "last_error"])
    logger.warning("Notification %s to subscription %s expired", row.pk, row.subscription_id)


@dataclass
class Tally:
    """Deliveries not yet added to the subscription's metric counters. Flushed while the subscription is held,
    every FLUSH_EVERY deliveries and whenever an attempt ends without a delivery, which saves an UPDATE per
    delivery; a worker killed in between loses at most that many counts (metrics only, never a notification)."""

    delivered: int = 0
    latency: float = 0.0

    def flush(self, subscription_id: str) -> None:
        if self.delivered:
            Subscription.objects.filter(pk=subscription_id).update(
                delivered_count=F("delivered_count") + self.delivered, latency_sum=F("latency_sum") + self.latency
            )
            self.delivered, self.latency = 0, 0.0


FLUSH_EVERY = 20


def _hold(subscription_id: str) -> bool:
    """Take the subscription's delivery lock for the current transaction, without waiting; False if another
    worker holds it. PostgreSQL: a transaction-level advisory lock (pg_try_advisory_xact_lock, 64 bits of the
    subscription's UUID), released at commit, at rollback and when a killed worker's connection drops. It is not
    a lock on the subscription row, so the updates other workers and the API make to that row (the queued-task
    marker, counters, a deletion) never wait behind a delivery in flight. SQLite: the IMMEDIATE transaction
    already runs alone."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return True
    key = int.from_bytes(uuid.UUID(str(subscription_id)).bytes[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        held = cursor.fetchone()
    return bool(held and held[0])


def _locked_run(subscription_id: str, limit: int) -> tuple[list[Notification], Outcome | None]:
    """The oldest `limit` pending rows, in outbox order, read after the subscription's delivery lock is held.

    The lock comes first, in its own statement, and the rows are read by the next one: under READ COMMITTED that
    statement sees everything committed before the lock was granted, and since a subscription's outbox ids
    become visible in id order (outbox.py), what it reads is the head of the subscription's queue. (Locking the
    subscription row "FOR UPDATE OF" in the query that reads the rows tried the lock once per candidate row: a
    lock held for a moment skipped the head and granted the next row, out of order, and a stale head was sent
    twice.)"""
    if not _hold(subscription_id):
        exists = Subscription.objects.filter(pk=subscription_id).exists()
        return [], Outcome(Step.BUSY if exists else Step.GONE)
    rows = list(
        Notification.objects.filter(subscription_id=subscription_id, status=Notification.Status.PENDING)
        .only(*RUN_FIELDS)
        .order_by("id")[:limit]
    )
    if not rows:
        return [], Outcome(Step.EMPTY if Subscription.objects.filter(pk=subscription_id).exists() else Step.GONE)
    return rows, None


# What a run reads of each row (the rest is written, never read).
RUN_FIELDS = ("id", "subscription_id", "payload", "created", "enqueued", "next_attempt", "attempts", "last_error")


def batch_rows() -> int:
    return max(1, int(getattr(settings, "NETWEAVE_DELIVERY_BATCH", 50)))


BATCH_SECONDS = 1.0


def _deliver_run(
    subscription_id: str, tally: Tally, limit: int, until: float, connections: sender.Connections
) -> tuple[Outcome, int]:
    """Attempt a run of the subscription's oldest pending rows, in order, over one kept-alive connection (of
    `connections`, the task's), holding
    the subscription for the run: up to `limit` rows, stopping at the first that fails or is not due, or once
    `until` (monotonic) has passed. The rows sent are marked delivered by one UPDATE when the run ends, in the
    run's transaction: a worker killed in between sends them again (at least once). Returns the outcome and
    how many rows were delivered or expired."""
    with transaction.atomic():
        rows, outcome = _locked_run(subscription_id, limit)
        if outcome is not None:
            if outcome.step is Step.EMPTY:
                tally.flush(subscription_id)
            return outcome, 0
        subscription = Subscription.objects.select_related("endpoint").filter(pk=subscription_id).first()
        if subscription is None:
            return Outcome(Step.GONE), 0
        if subscription.paused is not None:
            return Outcome(Step.PAUSED), 0
        route = Route(connections)
        oldest = timezone.now() - max_age()
        started = timezone.now()
        delivered: list[int] = []
        handled = 0
        outcome = Outcome(Step.DELIVERED)
        for row in rows:
            now = timezone.now()
            if row.next_attempt > now:
                outcome = Outcome(Step.WAITING, (row.next_attempt - now).total_seconds())
                break
            handled += 1
            if row.enqueued < oldest:
                _expire(row)
                continue
            attempts = row.attempts + 1
            try:
                send(subscription, orjson.dumps(row.payload), route)
            except DeliveryFailed as exc:
                handled -= 1
                delay = backoff(attempts)
                Notification.objects.filter(pk=row.pk).update(
                    attempts=attempts,
                    last_attempt=now,
                    last_error=str(exc)[:ERROR_LIMIT],
                    next_attempt=timezone.now() + timedelta(seconds=delay),
                )
                Subscription.objects.filter(pk=subscription.pk).update(failure_count=F("failure_count") + 1)
                logger.info("Notification %s to %s failed (attempt %d): %s", row.pk, subscription.pk, attempts, exc)
                outcome = Outcome(Step.FAILED, delay)
                break
            delivered.append(row.pk)
            tally.delivered += 1
            tally.latency += (timezone.now() - row.created).total_seconds()
            if time.monotonic() >= until:
                break
        if delivered:
            Notification.objects.filter(pk__in=delivered).update(
                attempts=F("attempts") + 1,
                last_attempt=started,
                status=Notification.Status.DELIVERED,
                delivered=timezone.now(),
            )
        if outcome.step is not Step.DELIVERED or tally.delivered >= FLUSH_EVERY:
            tally.flush(subscription_id)
        return outcome, handled


def _has_due(subscription_id: str) -> bool:
    return Notification.objects.filter(
        subscription_id=subscription_id, status=Notification.Status.PENDING, next_attempt__lte=timezone.now()
    ).exists()


def slice_seconds() -> float:
    return float(getattr(settings, "NETWEAVE_DELIVERY_SLICE", 5.0))


def deliver_pending(subscription_id: str, *, limit: int = 200, budget: float | None = None) -> Outcome:
    """Deliver one subscription's due rows in order, run by run (see _deliver_run: up to NETWEAVE_DELIVERY_BATCH
    rows or a second each), until it is empty, waiting, failing, or held elsewhere, or until `limit` rows or
    `budget` seconds (NETWEAVE_DELIVERY_SLICE) are used up: then it answers MORE, and the task queues itself
    again behind the other subscriptions' tasks, so that a subscription with a long backlog or a slow receiver
    takes its turn like the others instead of keeping a worker.

    After finding nothing under the lock it looks once more without it: a row committed while this worker held
    the subscription (whose own task saw it busy and left) is then picked up here rather than by the sweeper.
    """
    tally = Tally()
    ends = time.monotonic() + (slice_seconds() if budget is None else budget)
    left = limit
    try:
        with sender.Connections() as connections:  # kept alive from run to run
            return _deliver_runs(subscription_id, tally, left, ends, connections)
    finally:
        tally.flush(subscription_id)


def _deliver_runs(
    subscription_id: str, tally: Tally, left: int, ends: float, connections: sender.Connections
) -> Outcome:
    while left > 0:
        until = min(ends, time.monotonic() + BATCH_SECONDS)
        outcome, handled = _deliver_run(subscription_id, tally, min(left, batch_rows()), until, connections)
        left -= handled
        if outcome.step is Step.DELIVERED:
            if time.monotonic() >= ends:
                break
            continue
        if outcome.step is Step.EMPTY and _has_due(subscription_id):
            continue
        return outcome
    return Outcome(Step.MORE, 0.0)


def due_subscriptions() -> list[str]:
    """Subscriptions, not paused, with a pending row that is due: what the sweeper queues. One per subscription,
    however many rows are due (an EXISTS per subscription, so no ordering of the outbox can make it one per row)."""
    due = Notification.objects.filter(
        subscription=OuterRef("pk"), status=Notification.Status.PENDING, next_attempt__lte=timezone.now()
    )
    ids = Subscription.objects.order_by().filter(Exists(due), paused__isnull=True).values_list("pk", flat=True)
    return sorted(str(i) for i in ids)


def purge_delivered(batch: int = 5000) -> int:
    """Delete delivered rows older than NETWEAVE_NOTIFICATION_RETENTION seconds (kept meanwhile for the admin),
    a batch at a time so that the sweeper stays short."""
    keep = timedelta(seconds=float(getattr(settings, "NETWEAVE_NOTIFICATION_RETENTION", 7 * 86400)))
    old = Notification.objects.filter(status=Notification.Status.DELIVERED, delivered__lt=timezone.now() - keep)
    deleted, _ = Notification.objects.filter(pk__in=list(old.values_list("pk", flat=True)[:batch])).delete()
    return deleted


def redrive(queryset: QuerySet[Notification]) -> list[str]:
    """Make the expired rows among `queryset` pending again, due now and with a fresh maximum age; returns the
    subscriptions to queue. A re-driven row is delivered before the subscription's later pending rows."""
    now = timezone.now()
    rows = queryset.filter(status=Notification.Status.EXPIRED)
    subscription_ids = sorted({str(i) for i in rows.values_list("subscription_id", flat=True)})
    rows.update(status=Notification.Status.PENDING, enqueued=now, next_attempt=now, attempts=0)
    return subscription_ids


def pause(queryset: QuerySet[Subscription]) -> int:
    """Stop delivering to the subscriptions in `queryset` (already paused ones keep their time); returns how many
    were paused now. A delivery in flight finishes; the next attempt sees the pause (under the subscription's
    delivery lock) and stops. Changes keep going into the outbox."""
    return queryset.filter(paused__isnull=True).update(paused=timezone.now())


def resume(queryset: QuerySet[Subscription]) -> list[str]:
    """Deliver again to the paused subscriptions in `queryset`; returns them, to queue. Their pending rows become
    due now with a fresh maximum age (the time spent paused does not expire them), keeping their order."""
    now = timezone.now()
    subscription_ids = sorted(str(pk) for pk in queryset.filter(paused__isnull=False).values_list("pk", flat=True))
    with transaction.atomic():
        Notification.objects.filter(subscription_id__in=subscription_ids, status=Notification.Status.PENDING).update(
            enqueued=now, next_attempt=now
        )
        Subscription.objects.filter(pk__in=subscription_ids).update(paused=None)
    return subscription_ids
