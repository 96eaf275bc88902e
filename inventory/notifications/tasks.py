"""Celery tasks: delivery per subscription, the outbox sweeper, and the O-Cloud's registration with the SMO."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError

from inventory.notifications import delivery, registration

logger = logging.getLogger(__name__)

DB_RETRY_SECONDS = 2.0


@shared_task(name="inventory.deliver_subscription", ignore_result=True, bind=True, max_retries=None)
def deliver_subscription(self: object, subscription_id: str) -> str:
    """Deliver what is due for one subscription; schedule itself again for the next retry."""
    try:
        outcome = delivery.deliver_pending(subscription_id)
    except DatabaseError as exc:
        # The database went away mid-delivery (restart, failover): nothing was marked, try again shortly.
        logger.warning("Delivery for subscription %s hit a database error: %s", subscription_id, exc)
        raise self.retry(countdown=DB_RETRY_SECONDS) from None  # type: ignore[attr-defined]
    if outcome.retry_in is not None:
        deliver_subscription.apply_async((subscription_id,), countdown=max(outcome.retry_in, 0.05))
    return outcome.step.value


@shared_task(name="inventory.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Queue delivery for every subscription with a due row: what a dead worker, a lost message or a broker
    outage left behind. Harmless when nothing was lost (a busy subscription is skipped by its holder)."""
    delivery.purge_delivered()
    subscription_ids = delivery.due_subscriptions()
    for subscription_id in subscription_ids:
        deliver_subscription.delay(subscription_id)
    return len(subscription_ids)


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
