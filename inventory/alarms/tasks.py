"""Celery tasks of the alarm service: the retention purge that beat runs periodically."""

from __future__ import annotations

from celery import shared_task

from inventory.alarms import lifecycle


@shared_task(name="inventory.purge_cleared_alarms", ignore_result=True)
def purge_cleared_alarms() -> int:
    """Delete cleared alarms older than alarmServiceConfiguration.retentionPeriod."""
    return lifecycle.purge_cleared()


@shared_task(name="inventory.reconcile_alerts", ignore_result=True)
def reconcile_alerts(instance_id: str) -> str:
    """Poll one observability instance's active alerts and converge the alarms (repairs missed webhooks)."""
    from inventory.alarms import ingest
    from plugins.models import PluginInstance

    instance = PluginInstance.objects.filter(pk=instance_id, enabled=True).first()
    if instance is None:
        return "skipped: instance missing or disabled"
    return ingest.reconcile_instance(instance)
