"""Pure functions between Prometheus/Alertmanager JSON and the plugin SDK's Alert values."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from plugins.sdk.observability import Alert, AlertDefinition


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value or value.startswith("0001-01-01"):
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def alert_from_json(data: Mapping[str, Any], severity_label: str, *, active: bool | None = None) -> Alert:
    """An Alertmanager alert, from the v2 API (`status.state`) or a webhook (`status` "firing"/"resolved")."""
    labels = {str(k): str(v) for k, v in (data.get("labels") or {}).items()}
    annotations = {str(k): str(v) for k, v in (data.get("annotations") or {}).items()}
    if active is None:
        status = data.get("status")
        active = (status.get("state") == "active") if isinstance(status, dict) else status != "resolved"
    return Alert(
        fingerprint=str(data.get("fingerprint") or ""),
        name=labels.get("alertname", ""),
        severity=labels.get(severity_label, ""),
        labels=labels,
        annotations=annotations,
        starts_at=_time(data.get("startsAt")),
        ends_at=_time(data.get("endsAt")),
        active=active,
    )


def alerts_from_webhook(payload: Any, severity_label: str) -> list[Alert]:
    """The alerts of an Alertmanager webhook body (version 4); ValueError when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise ValueError("not an Alertmanager webhook body: 'alerts' must be a list")
    alerts = [alert_from_json(a, severity_label) for a in payload["alerts"] if isinstance(a, dict)]
    if any(not a.fingerprint for a in alerts):
        raise ValueError("every alert needs a fingerprint")
    return alerts


def definitions_from_rules(data: Mapping[str, Any]) -> list[AlertDefinition]:
    """Alarm definitions derived from Prometheus alerting rules (GET /api/v1/rules?type=alert)."""
    definitions: dict[str, AlertDefinition] = {}
    for group in (data.get("data") or {}).get("groups") or []:
        for rule in group.get("rules") or []:
            if rule.get("type") != "alerting" or rule["name"] in definitions:
                continue
            annotations = rule.get("annotations") or {}
            definitions[rule["name"]] = AlertDefinition(
                name=rule["name"],
                description=str(annotations.get("description") or annotations.get("summary") or ""),
                severity=str((rule.get("labels") or {}).get("severity", "")),
                extensions={"expr": rule.get("query", ""), "for": rule.get("duration", 0), "group": group.get("name")},
            )
    return list(definitions.values())


_PLACEHOLDER = re.compile(r"\$([a-zA-Z_][a-zA-Z0-9_]*)")


def render_query(template: str, labels: Mapping[str, str]) -> str | None:
    """A utilisation query with `$label` placeholders filled (quotes escaped); None when a label is missing."""
    missing = [name for name in _PLACEHOLDER.findall(template) if name not in labels]
    if missing:
        return None
    return _PLACEHOLDER.sub(lambda m: labels[m.group(1)].replace("\\", "\\\\").replace('"', '\\"'), template)


def scalar_of(data: Mapping[str, Any]) -> float | None:
    """The first sample of an instant-query answer, or None when the result is empty."""
    result = (data.get("data") or {}).get("result") or []
    if not result:
        return None
    value = result[0].get("value") if isinstance(result, list) else None
    try:
        return float(value[1]) if value else None
    except (TypeError, ValueError, IndexError):
        return None
