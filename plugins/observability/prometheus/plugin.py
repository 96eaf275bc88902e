"""The Prometheus observability plugin: alerts from Alertmanager (v2 API and webhooks), alarm definitions from
Prometheus alerting rules, utilisation from Prometheus or a Thanos-compatible query API (see README.md).

Thin: HTTP here, JSON ↔ SDK values in mapping.py; turning alerts into O2 alarms is inventory.alarms.ingest's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from plugins.observability.prometheus import mapping
from plugins.observability.prometheus.config import PrometheusConfig
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest
from plugins.sdk.observability import Alert, AlertDefinition, ObservabilityPlugin, ResourceMatcher

logger = logging.getLogger(__name__)


def _shown(url: str) -> str:
    """The URL as messages show it: without any user:password@ part."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class PrometheusObservabilityPlugin(ObservabilityPlugin):
    name = "prometheus"
    version = "1.0.0"
    config_class = PrometheusConfig

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._client: httpx.Client | None = None
        self._config: dict[str, Any] = {}

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.METRICS_COLLECTION, Capability.ALERT_MANAGEMENT})

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = self.validated_config(config)
        self._client = httpx.Client(timeout=float(self._config["timeoutSeconds"]), follow_redirects=False)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _get(self, base_key: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        base = str(self._config.get(base_key) or self._config["prometheusUrl"]).rstrip("/")
        shown = _shown(base) + path
        assert self._client is not None, "initialize() first"
        try:
            response = self._client.get(base + path, params=params)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{base_key} {shown} is unreachable ({type(exc).__name__})") from None
        if response.status_code == 400:
            raise InvalidRequest(f"{base_key} refused the request: {response.text[:200]}")
        if response.status_code != 200:
            raise BackendUnavailable(f"{base_key} {shown} answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise BackendUnavailable(f"{base_key} {shown} did not answer JSON") from None

    def health(self) -> HealthStatus:
        problems = {}
        for key, path in (("prometheusUrl", "/api/v1/status/buildinfo"), ("alertmanagerUrl", "/api/v2/status")):
            try:
                self._get(key, path)
            except BackendUnavailable as exc:
                problems[key] = str(exc)
        if problems:
            return HealthStatus(False, "; ".join(problems.values()), details=problems)
        return HealthStatus(True, "Prometheus and Alertmanager reachable")

    def list_alerts(self) -> list[Alert]:
        """Every active, unsilenced, uninhibited alert Alertmanager holds (GET /api/v2/alerts)."""
        params = {"active": "true", "silenced": "false", "inhibited": "false", "unprocessed": "true"}
        data = self._get("alertmanagerUrl", "/api/v2/alerts", params)
        if not isinstance(data, list):
            raise BackendUnavailable("Alertmanager /api/v2/alerts did not answer a list")
        return [mapping.alert_from_json(a, self._config["severityLabel"], active=True) for a in data]

    def list_alert_definitions(self) -> list[AlertDefinition]:
        return mapping.definitions_from_rules(self._get("prometheusUrl", "/api/v1/rules", {"type": "alert"}))

    def query_metric(self, query: str) -> list[Mapping[str, Any]]:
        data = self._get("queryUrl", "/api/v1/query", {"query": query})
        return list((data.get("data") or {}).get("result") or [])

    def resource_matchers(self) -> list[ResourceMatcher]:
        return [ResourceMatcher(m["label"], m.get("extensionKey", "")) for m in self._config["resourceMatching"]]

    def parse_webhook(self, payload: Any) -> list[Alert]:
        try:
            return mapping.alerts_from_webhook(payload, self._config["severityLabel"])
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None

    def resource_utilisation(self, labels: Mapping[str, str]) -> dict[str, float | None]:
        figures: dict[str, float | None] = {}
        for name, template in self._config.get("utilisationQueries", {}).items():
            query = mapping.render_query(template, labels)
            if query is None:
                figures[name] = None
                continue
            data = self._get("queryUrl", "/api/v1/query", {"query": query})
            figures[name] = mapping.scalar_of(data)
        return figures
