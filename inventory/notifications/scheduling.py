"""Queueing delivery work: at most one queued delivery task per subscription, whatever the number of rows.

`Subscription.delivery_queued` is the time a queued task for the subscription is due to run (NULL: none queued).
A request queues a task only when none is queued, so a burst of commits, the sweeper and the retries of a dead
receiver add one task per subscription, not one per row or per commit: the broker's queue stays bounded by the
number of subscriptions and a healthy subscription's task is never stuck behind thousands of others. A task
clears the marker when it starts (so a row committed while it runs queues the next one); a marker whose task
was lost (broker restart, failed publish) goes stale after NETWEAVE_DELIVERY_REQUEUE_AFTER seconds and the
sweeper queues again.
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
    return timedelta(seconds=float(getattr(settings, "NETWEAVE_DELIVERY_REQUEUE_AFTER", 30.0)))


def request(subscription_ids: Iterable[str], *, delay: float = 0.0, force: bool = False) -> list[str]:
    """Queue a delivery task `delay` seconds from now for each subscription that has none queued (or only one
    queued later, with `force`: a re-drive). Returns the subscriptions queued."""
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
    free = Q(delivery_queued__isnull=True) | Q(delivery_queued__lt=now - requeue_after())
    if force:
        free |= Q(delivery_queued__gt=at)
    ids = [str(pk) for pk in Subscription.objects.filter(pk__in=wanted).filter(free).values_list("pk", flat=True)]
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


def forget_queued() -> None:
    """A worker starts: what was queued before may be gone with a crashed worker or a restarted broker, so every
    subscription counts as having nothing queued and the next sweep queues what is due (a task that does exist
    after all finds the subscription held or done: at worst one extra task per subscription)."""
    Subscription.objects.exclude(delivery_queued=None).update(delivery_queued=None)
