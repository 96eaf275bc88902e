"""Celery tasks: one northbound step per SMO instance, the periodic sweep that starts them, and a full resync."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from plugins.models import PluginInstance
from plugins.sdk.base import PluginCategory
from smo import northbound

logger = logging.getLogger(__name__)

DB_RETRY_SECONDS = 2.0


@shared_task(name="smo.step_instance", ignore_result=True, bind=True, max_retries=None)
def step_instance(self: object, instance_id: str) -> int:
    """Push what is due for one SMO instance; queue itself again while a backlog remains."""
    instance = northbound.northbound_instances().filter(pk=instance_id).first()
    if instance is None:  # disabled, deleted, or not named by the SMO northbound routing rules
        return 0
    try:
        result = northbound.step(instance)
    except DatabaseError as exc:
        logger.warning("SMO step for %s hit a database error: %s", instance.name, exc)
        raise self.retry(countdown=DB_RETRY_SECONDS) from None  # type: ignore[attr-defined]
    if result.more and not result.errors:
        step_instance.delay(instance_id)
    return result.pushed + result.events


@shared_task(name="smo.sweep", ignore_result=True)
def sweep() -> int:
    """Start a step for every enabled SMO instance (beat runs this every NETWEAVE_SMO_PUSH_INTERVAL seconds).
    A step finding nothing to do is a few queries; one finding the instance leased is a no-op."""
    ids = [str(pk) for pk in northbound.northbound_instances().values_list("pk", flat=True)]
    for instance_id in ids:
        step_instance.delay(instance_id)
    return len(ids)


@shared_task(name="smo.full_resync", ignore_result=True)
def full_resync(instance_id: str) -> None:
    instance = PluginInstance.objects.filter(pk=instance_id, category=PluginCategory.SMO).first()
    if instance is None:
        return
    northbound.request_full_sync(instance)
    step_instance.delay(instance_id)
