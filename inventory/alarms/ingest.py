"""Alerts from observability plugins become AlarmEventRecords.

Two paths feed the same function: pushed alerts (an Alertmanager webhook) and a periodic poll of everything
active (the per-instance beat task). A push only raises, changes or clears the alerts it names; a poll is
complete, so it also clears this source's alarms that are no longer active. Missed or duplicated pushes are
therefore repaired by the next poll.

An alert names its resource through the instance's label matchers (native id or an extensions key); an alert
naming no known resource is raised against the O-Cloud itself. So is the plugin's own health alarm, raised when
a poll cannot reach the backend and cleared by the next poll that succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from inventory.alarms import backend_health, lifecycle
from inventory.alarms.models import PerceivedSeverity
from inventory.models import Resource
from netweave import context
from plugins.models import PluginInstance
from plugins.registry import check_health, get_plugin
from plugins.sdk.errors import PluginError
from plugins.sdk.observability import Alert, ObservabilityPlugin, ResourceMatcher

logger = logging.getLogger(__name__)

HEALTH_KEY = backend_health.KEY
HEALTH_DEFINITION = "netweave-observability-backend-unreachable"  # backend_health.definition_id of the category


# O2 perceivedSeverity (O2-REFERENCE.md §6) of the usual alert severity names; anything else is INDETERMINATE.
SEVERITIES = {
    "critical": 0,
    "major": 1,
    "error": 1,
    "high": 1,
    "minor": 2,
    "medium": 2,
    "warning": 3,
    "low": 3,
}


def perceived_severity(name: str) -> int:
    return SEVERITIES.get(name.strip().lower(), PerceivedSeverity.INDETERMINATE)


ocloud_id = backend_health.ocloud_id


@dataclass(frozen=True)
class Summary:
    raised: int = 0
    changed: int = 0
    cleared: int = 0

    def __str__(self) -> str:
        return f"raised {self.raised}, changed {self.changed}, cleared {self.cleared}"


def match_resource(labels: dict[str, str], matchers: Sequence[ResourceMatcher]) -> Resource | None:
    """The first Resource a matcher finds for these labels."""
    for matcher in matchers:
        value = labels.get(matcher.label)
        if not value:
            continue
        if matcher.extension_key:
            queryset = Resource.objects.filter(**{f"extensions__{matcher.extension_key}": value})
        else:
            queryset = Resource.objects.filter(native_id=value)
        found = queryset.order_by("id").first()
        if found is not None:
            return found
    return None


def labels_of(resource: Resource, matchers: Sequence[ResourceMatcher]) -> dict[str, str]:
    """The label values that name `resource`, per matcher (the reverse of match_resource)."""
    labels: dict[str, str] = {}
    for matcher in matchers:
        value = resource.extensions.get(matcher.extension_key) if matcher.extension_key else resource.native_id
        if value not in (None, "") and matcher.label not in labels:
            labels[matcher.label] = str(value)
    return labels


def to_raised(alert: Alert, severity: int, matchers: Sequence[ResourceMatcher]) -> lifecycle.RaisedAlarm:
    resource = match_resource(dict(alert.labels), matchers)
    if resource is None:
        resource_id, resource_type_id = ocloud_id(), None
    else:
        resource_id, resource_type_id = resource.pk, resource.resource_type_id
    definition, cause = lifecycle.definition_for(resource_type_id, alert.name)
    return lifecycle.RaisedAlarm(
        source_key=alert.fingerprint,
        severity=severity,
        resource_id=resource_id,
        resource_type_id=resource_type_id,
        alarm_definition_id=definition or alert.name,
        probable_cause_id=cause or alert.name,
        raised_time=alert.starts_at,
        extensions={"labels": dict(alert.labels), "annotations": dict(alert.annotations)},
    )


def apply_alerts(
    instance: PluginInstance,
    plugin: ObservabilityPlugin,
    alerts: Iterable[Alert],
    *,
    complete: bool,
    keep: frozenset[str] = frozenset(),
) -> Summary:
    """Raise, change or clear alarms for `alerts`. `complete`: these are all the active alerts, so clear this
    source's other alarms, except those whose key is in `keep`."""
    matchers = plugin.resource_matchers()
    raised = changed = cleared = 0
    active: set[str] = set(keep)
    for alert in alerts:
        if not alert.active:
            record = lifecycle.active_record(instance, alert.fingerprint)
            if record is not None and lifecycle.clear(record.pk) is not None:
                cleared += 1
            continue
        active.add(alert.fingerprint)
        _, state = lifecycle.upsert(instance, to_raised(alert, perceived_severity(alert.severity), matchers))
        raised += state == "raised"
        changed += state == "changed"
    if complete:
        cleared += lifecycle.clear_missing(instance, active)
    return Summary(raised, changed, cleared)


def reconcile_instance(instance: PluginInstance) -> str:
    """Check the instance's health (recorded on the instance), poll its backend for every active alert and
    converge the alarms. While any of its backends is unhealthy, an alarm against the O-Cloud says so; it is
    cleared by the first poll that finds everything healthy."""
    with context.bind(source="sync", plugin_instance_id=instance.pk):
        status = check_health(instance)
        try:
            plugin = get_plugin(instance)
            if not isinstance(plugin, ObservabilityPlugin):
                return f"skipped: {instance.name} is not an observability plugin"
            alerts = plugin.list_alerts()
        except PluginError as exc:
            backend_health.raise_backend_alarm(instance, status.message if not status.healthy else str(exc))
            return f"unreachable: {exc}"
        keep: frozenset[str] = frozenset()
        if not status.healthy:
            backend_health.raise_backend_alarm(instance, status.message)
            keep = frozenset({HEALTH_KEY})
        return str(apply_alerts(instance, plugin, alerts, complete=True, keep=keep))


def receive_webhook(instance: PluginInstance, payload: Any) -> Summary:
    """Apply the alerts an observability backend pushed (InvalidRequest when the body is not one)."""
    plugin = get_plugin(instance)
    if not isinstance(plugin, ObservabilityPlugin):
        raise PluginError(f"{instance.name} is not an observability plugin")
    with context.bind(source="watch", plugin_instance_id=instance.pk):
        return apply_alerts(instance, plugin, plugin.parse_webhook(payload), complete=False)
