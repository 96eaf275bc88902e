"""The observability plugin contract: metrics, traces and alerts feeding O2ims alarms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from plugins.sdk.base import Plugin, PluginCategory
from plugins.sdk.errors import NotSupported


@dataclass(frozen=True)
class Alert:
    fingerprint: str
    name: str
    severity: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    active: bool = True


@dataclass(frozen=True)
class AlertDefinition:
    name: str
    description: str = ""
    severity: str = ""
    extensions: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ResourceMatcher:
    """How an alert label names an inventory Resource: its value is compared with the resource's native id
    (`extension_key` empty) or with `extensions[extension_key]`. Matchers are tried in order."""

    label: str
    extension_key: str = ""


class ObservabilityPlugin(Plugin):
    category = PluginCategory.OBSERVABILITY

    def resource_matchers(self) -> list[ResourceMatcher]:
        """Label-to-resource matching for this instance's alerts (inventory.alarms.ingest)."""
        return []

    def parse_webhook(self, payload: Any) -> list[Alert]:
        """The alerts in a push notification from the backend (for example an Alertmanager webhook)."""
        raise NotSupported(f"{self.name} does not receive alert webhooks")

    def resource_utilisation(self, labels: Mapping[str, str]) -> dict[str, float | None]:
        """Utilisation figures of one resource, queried with the label values that identify it."""
        raise NotSupported(f"{self.name} does not collect metrics")

    def list_alerts(self) -> list[Alert]:
        raise NotSupported(f"{self.name} does not manage alerts")

    def list_alert_definitions(self) -> list[AlertDefinition]:
        raise NotSupported(f"{self.name} does not manage alerts")

    def query_metric(self, query: str) -> list[Mapping[str, Any]]:
        raise NotSupported(f"{self.name} does not collect metrics")

    def get_trace(self, trace_id: str) -> Mapping[str, Any]:
        raise NotSupported(f"{self.name} does not trace")
