"""Celery tasks of the alarm service: the retention purge that beat runs periodically."""

from __future__ import annotations

from celery import shared_task

from inventory.alarms import lifecycle


@shared_task(name="inventory.purge_cleared_alarms", ignore_result=True)
def purge_cleared_alarms() -> int:
    """Delete cleared alarms older than alarmServiceConfiguration.retentionPeriod."""
    return lifecycle.purge_cleared()
