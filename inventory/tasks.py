"""Celery tasks for the inventory: the periodic per-instance sync that django-celery-beat schedules."""

from __future__ import annotations

import logging

from celery import shared_task

from inventory.sync import SyncFailed, sync_instance
from plugins.models import PluginInstance
from plugins.registry import check_health

logger = logging.getLogger(__name__)


@shared_task(name="inventory.sync_plugin_instance", ignore_result=True)
def sync_plugin_instance(instance_id: str) -> str:
    """Sync one IMS instance. A failed sync is recorded on the instance (health, last sync) and not retried
    here: the next scheduled run is the retry."""
    instance = PluginInstance.objects.filter(pk=instance_id, enabled=True).first()
    if instance is None:
        return "skipped: instance missing or disabled"
    try:
        return sync_instance(instance).summary()
    except SyncFailed as exc:
        return f"failed: {exc}"


@shared_task(name="inventory.check_plugin_health", ignore_result=True)
def check_plugin_health(instance_id: str) -> str:
    """Ask an instance's backend whether it is usable and record the answer (queued when the instance is saved)."""
    instance = PluginInstance.objects.filter(pk=instance_id, enabled=True).first()
    if instance is None:
        return "skipped: instance missing or disabled"
    status = check_health(instance)
    return "healthy" if status.healthy else f"unhealthy: {status.message}"
