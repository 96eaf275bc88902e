"""Celery tasks: delivery per subscription, the outbox sweeper, and the O-Cloud's registration with the SMO."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError

from inventory.notifications import delivery, registration, scheduling

logger = logging.getLogger(__name__)

DB_RETRY_SECONDS = 2.0


@shared_task(name="inventory.deliver_subscription", ignore_result=True, bind=True, max_retries=None)
def deliver_subscription(self: object, subscription_id: str) -> str:
    """Deliver what is due for one subscription; queue itself again for the next retry or the next slice."""
    try:
        scheduling.started(subscription_id)
        outcome = delivery.deliver_pending(subscription_id)
    except DatabaseError as exc:
        # The database went away mid-delivery (restart, failover): nothing was marked, try again shortly.
        logger.warning("Delivery for subscription %s hit a database error: %s", subscription_id, exc)
        raise self.retry(countdown=DB_RETRY_SECONDS) from None  # type: ignore[attr-defined]
    if outcome.retry_in is not None:
        scheduling.request([subscription_id], delay=outcome.retry_in)
    return outcome.step.value


@shared_task(name="inventory.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Queue delivery for every subscription with a due row and no task queued: what a dead worker, a lost
    message or a broker outage left behind. Queues at most one task per subscription; returns how many."""
    delivery.purge_delivered()
    return len(scheduling.request(delivery.due_subscriptions(), lost=scheduling.lost_after()))


@shared_task(name="inventory.register_ocloud", ignore_result=True, bind=True, max_retries=None)
def register_ocloud(self: object) -> str:
    """Register the O-Cloud with the SMO (O2-REFERENCE.md §5), retried with backoff until it succeeds."""
    result = registration.register()
    if result.retry:
        countdown = delivery.backoff(result.attempts)
        raise self.retry(countdown=countdown) from None  # type: ignore[attr-defined]
    return result.message


@worker_ready.connect
def register_at_start(**_: object) -> None:
    """A starting worker queues the registration when one is configured."""
    if getattr(settings, "NETWEAVE_SMO_REGISTRATION_URL", ""):
        register_ocloud.delay()
