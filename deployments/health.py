"""DMS backends' health: each enabled DMS plugin instance is asked on every deployment refresh; an instance whose
backend is unusable raises the O-Cloud's backend alarm (inventory.alarms.backend_health), cleared by the first
healthy answer after that. The answer is also recorded on the instance (the admin's health column)."""

from __future__ import annotations

from inventory.alarms import backend_health
from netweave import context
from plugins.models import PluginInstance
from plugins.registry import check_health


def check_dms_backends() -> dict[str, int]:
    """Ask every enabled DMS instance for its health and raise or clear its alarm; counts for the log."""
    counts = {"healthy backends": 0, "unhealthy backends": 0}
    with context.bind(source="sync"):
        for instance in PluginInstance.objects.filter(category="dms", enabled=True).order_by("name"):
            status = check_health(instance)
            if status.healthy:
                backend_health.clear_backend_alarm(instance)
                counts["healthy backends"] += 1
            else:
                backend_health.raise_backend_alarm(instance, status.message)
                counts["unhealthy backends"] += 1
    return counts
