"""DMS backends' health: each enabled DMS plugin instance, and each enabled SMO instance an enabled SMO rule with
`mode: dms-backend` sends deployments to (ONAP's SO, for one), is asked on every deployment refresh; an instance
whose backend is unusable raises the O-Cloud's backend alarm (inventory.alarms.backend_health), cleared by the
first healthy answer after that. The answer is also recorded on the instance (the admin's health column, the
operator API's `health`, the readiness counts)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from inventory.alarms import backend_health
from netweave import context
from plugins.models import PluginInstance, RoutingRule
from plugins.registry import check_health
from plugins.routing import DMS_BACKEND_MODE
from plugins.sdk.base import PluginCategory


def dms_backends() -> QuerySet[PluginInstance]:
    """The enabled instances that run O2dms deployments: DMS instances and SMO instances in DMS-backend mode."""
    serving = RoutingRule.objects.filter(category=PluginCategory.SMO, mode=DMS_BACKEND_MODE, enabled=True)
    wanted = Q(category=PluginCategory.DMS) | Q(
        category=PluginCategory.SMO, pk__in=serving.values("plugin_instance_id")
    )
    return PluginInstance.objects.filter(wanted, enabled=True).order_by("name")


def check_dms_backends() -> dict[str, int]:
    """Ask every DMS backend (dms_backends()) for its health and raise or clear its alarm; counts for the log."""
    counts = {"healthy backends": 0, "unhealthy backends": 0}
    with context.bind(source="sync"):
        for instance in dms_backends():
            status = check_health(instance)
            if status.healthy:
                backend_health.clear_backend_alarm(instance)
                counts["healthy backends"] += 1
            else:
                backend_health.raise_backend_alarm(instance, status.message)
                counts["unhealthy backends"] += 1
    return counts
