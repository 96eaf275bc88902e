"""One django-celery-beat periodic task per enabled IMS plugin instance, kept in step with the instance.

The schedule lives in django-celery-beat's tables, so operators can see and pause it in the admin; saving a
PluginInstance (admin, config import) re-derives it from `sync_interval`.
"""

from __future__ import annotations

import json

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from plugins.models import PluginInstance
from plugins.sdk.base import PluginCategory

TASK = "inventory.sync_plugin_instance"
# The periodic task per category: IMS instances sync, observability instances poll their alerts.
TASKS = {PluginCategory.IMS: TASK, PluginCategory.OBSERVABILITY: "inventory.reconcile_alerts"}


def task_name(instance: PluginInstance) -> str:
    """What an operator reads in the admin's Periodic tasks: what runs, for which instance (names are unique)."""
    what = "poll alerts of" if instance.category == PluginCategory.OBSERVABILITY else "sync"
    return f"netweave: {what} {instance.name} ({instance.category}.{instance.plugin_type})"


def sync_schedule(instance: PluginInstance) -> PeriodicTask | None:
    """Create, update or remove the periodic sync task of `instance`; return it when it should exist."""
    task_type = TASKS.get(instance.category, TASK)  # type: ignore[call-overload]
    wanted = instance.category in TASKS and instance.enabled and instance.sync_interval > 0
    existing = PeriodicTask.objects.filter(task__in=TASKS.values(), args=json.dumps([str(instance.pk)]))
    if not wanted:
        existing.delete()
        return None
    interval, _ = IntervalSchedule.objects.get_or_create(every=instance.sync_interval, period=IntervalSchedule.SECONDS)
    task = existing.first()
    if task is None:
        return PeriodicTask.objects.create(
            name=task_name(instance), task=task_type, interval=interval, args=json.dumps([str(instance.pk)])
        )
    stale = task.interval_id != interval.pk or task.name != task_name(instance) or task.task != task_type
    if stale or not task.enabled:
        task.interval, task.name, task.enabled, task.task = interval, task_name(instance), True, task_type
        task.save()
    return task


@receiver(post_save, sender=PluginInstance, dispatch_uid="netweave-sync-schedule")
def _instance_saved(sender: type, instance: PluginInstance, **kwargs: object) -> None:
    sync_schedule(instance)


@receiver(post_delete, sender=PluginInstance, dispatch_uid="netweave-sync-schedule-delete")
def _instance_deleted(sender: type, instance: PluginInstance, **kwargs: object) -> None:
    PeriodicTask.objects.filter(task__in=TASKS.values(), args=json.dumps([str(instance.pk)])).delete()
