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


class ObservabilityPlugin(Plugin):
    category = PluginCategory.OBSERVABILITY

    def list_alerts(self) -> list[Alert]:
        raise NotSupported(f"{self.name} does not manage alerts")

    def list_alert_definitions(self) -> list[AlertDefinition]:
        raise NotSupported(f"{self.name} does not manage alerts")

    def query_metric(self, query: str) -> list[Mapping[str, Any]]:
        raise NotSupported(f"{self.name} does not collect metrics")

    def get_trace(self, trace_id: str) -> Mapping[str, Any]:
        raise NotSupported(f"{self.name} does not trace")
