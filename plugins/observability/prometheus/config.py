"""The Prometheus observability plugin's config class: camelCase keys as in config/plugins.yaml."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer


class MatcherConfig(StrictSerializer):
    label = serializers.RegexField(r"^[a-zA-Z_][a-zA-Z0-9_]*$", max_length=100, help_text="Alert label name.")  # type: ignore[assignment]
    extensionKey = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=100,
        help_text="Compare with this key of the resource's extensions; blank: with the resource's native id.",
    )


class BaseUrlField(serializers.CharField):
    """An http(s) base URL; single-label host names (in-cluster service names) are fine."""

    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise serializers.ValidationError("Enter an http:// or https:// URL with a host.")
        return value


def _default_matchers() -> list[dict[str, str]]:
    return [{"label": "node", "extensionKey": ""}, {"label": "instance", "extensionKey": ""}]


class PrometheusConfig(StrictSerializer):
    prometheusUrl = BaseUrlField(
        max_length=500, help_text="Prometheus base URL (rules, health), e.g. http://prom:9090."
    )
    alertmanagerUrl = BaseUrlField(
        max_length=500, help_text="Alertmanager base URL (v2 alerts API), e.g. http://am:9093."
    )
    queryUrl = BaseUrlField(
        max_length=500,
        default="",
        allow_blank=True,
        help_text="Prometheus-compatible query API (Thanos Query, ...); blank: prometheusUrl.",
    )
    timeoutSeconds = serializers.FloatField(default=5.0, min_value=0.1, max_value=120.0)
    severityLabel = serializers.CharField(default="severity", max_length=100, help_text="Label giving the severity.")
    resourceMatching = MatcherConfig(
        many=True, default=_default_matchers, help_text="Labels naming a Resource, tried in order."
    )
    utilisationQueries = serializers.DictField(
        child=serializers.CharField(max_length=2000),
        default=dict,
        help_text="Name → PromQL; `$label` (e.g. `$instance`) is replaced by the resource's matching label value.",
    )
