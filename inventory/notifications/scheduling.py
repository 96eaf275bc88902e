"""Queueing delivery work: at most one queued delivery task per subscription, whatever the number of rows.

`Subscription.delivery_queued` is the time a queued task for the subscription is due to run (NULL: none queued).
A request queues a task only when none is queued, so a burst of commits, the sweeper and the retries of a dead
receiver add one task per subscription, not one per row or per commit: the broker's queue stays bounded by the
number of subscriptions and a healthy subscription's task is never stuck behind thousands of others. A task
clears the marker when it starts (so a row committed while it runs queues the next one); a marker whose task
was lost (broker restart, failed publish) is queued again by the sweeper: at once when the broker's queue is
empty, else once the marker is NETWEAVE_DELIVERY_REQUEUE_AFTER seconds old.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from inventory.models import Subscription

logger = logging.getLogger(__name__)

# A countdown task may start a little early by the broker host's clock.
EARLY = timedelta(seconds=1)


def requeue_after() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "NETWEAVE_DELIVERY_REQUEUE_AFTER", 300.0)))


def broker_backlog() -> int | None:
    """Messages waiting in the broker's default queue, or None when the broker cannot say (or is away)."""
    from celery import current_app

    if current_app.conf.task_always_eager:
        return None
    try:
        with current_app.connection_for_read() as connection:
            declared = connection.default_channel.queue_declare(queue=current_app.conf.task_default_queue, passive=True)
            return int(declared.message_count)
    except Exception as exc:  # kombu raises several types when the broker is away
        if str(getattr(exc, "reply_code", "")) == "404":
            return 0  # the queue does not exist (a restarted Redis forgets it until the next publish): empty
        logger.info("Could not read the broker's queue length: %s", exc)
        return None


def lost_after() -> timedelta:
    """How old a marker must be to count as lost. With the broker's queue empty (what a broker restart without
    persistence leaves): older than a worker's longest turn (a slice plus one attempt's timeout, plus 2 s), since
    a worker holds a due countdown task until its current task ends. Otherwise NETWEAVE_DELIVERY_REQUEUE_AFTER:
    tasks are waiting their turn, and this only guards against a message lost some other way."""
    if broker_backlog() != 0:
        return requeue_after()
    from inventory.notifications.delivery import slice_seconds

    timeout = float(getattr(settings, "NETWEAVE_NOTIFICATION_TIMEOUT", 10.0))
    return timedelta(seconds=slice_seconds() + timeout + 2.0)


def request(
    subscription_ids: Iterable[str], *, delay: float = 0.0, force: bool = False, lost: timedelta | None = None
) -> list[str]:
    """Queue a delivery task `delay` seconds from now for each subscription that is not paused and has none queued
    (or only one queued later, with `force`: a re-drive; or one whose marker is older than `lost`). Returns the
    subscriptions queued."""
    from celery import current_app

    from inventory.notifications.tasks import deliver_subscription

    wanted = sorted(set(subscription_ids))
    if not wanted:
        return []
    eager = bool(current_app.conf.task_always_eager)
    if eager and delay > 0:
        return []  # an eager "later" would run now, forever: the sweeper picks it up when it is due
    now = timezone.now()
    at = now + timedelta(seconds=max(delay, 0.0))
    free = Q(delivery_queued__isnull=True) | Q(delivery_queued__lt=now - (lost or requeue_after()))
    if force:
        free |= Q(delivery_queued__gt=at)
    candidates = Subscription.objects.filter(pk__in=wanted, paused__isnull=True).filter(free)
    ids = [str(pk) for pk in candidates.values_list("pk", flat=True)]
    if not ids:
        return []
    if not eager:
        Subscription.objects.filter(pk__in=ids).update(delivery_queued=at)
    for position, subscription_id in enumerate(ids):
        try:
            deliver_subscription.apply_async((subscription_id,), countdown=delay if delay > 0 else None)
        except Exception as exc:  # kombu raises several types when the broker is away; the sweeper covers it
            logger.warning("Could not queue delivery for subscription %s (%s); the sweeper will", subscription_id, exc)
            Subscription.objects.filter(pk__in=ids[position:], delivery_queued=at).update(delivery_queued=None)
            return ids[:position]
    return ids


def started(subscription_id: str) -> None:
    """A delivery task starts: the subscription has no task queued any more (unless one is queued for later)."""
    Subscription.objects.filter(pk=subscription_id, delivery_queued__lte=timezone.now() + EARLY).update(
        delivery_queued=None
    )
