"""The Helm plugin's config class: the seed's keys (kubeconfig, namespace, timeout, maxHistory, chartRepository)
plus where the helm binary and the uploaded charts are, and which values key a scale sets."""

from __future__ import annotations

import re

from rest_framework import serializers

from plugins.dms.charts import DEFAULT_MAX_PACKAGE_BYTES
from plugins.sdk.validation import StrictSerializer

GO_DURATION = re.compile(r"^(\d+h)?(\d+m)?(\d+s)?$")
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}


def duration_seconds(value: str) -> int:
    """Seconds in a Go duration made of hours, minutes and seconds (`10m`, `1h30m`, `90s`)."""
    return sum(int(number) * _UNIT_SECONDS[unit] for number, unit in re.findall(r"(\d+)([hms])", value))


class HelmConfig(StrictSerializer):
    kubeconfig = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Path of the kubeconfig file helm uses. Empty: helm's default (in-cluster or ~/.kube/config).",
    )
    namespace = serializers.CharField(
        default="default", max_length=63, help_text="Namespace of deployments that name none."
    )
    timeout = serializers.CharField(
        default="5m", max_length=20, help_text="Time allowed to each helm operation (Go duration: 90s, 10m, 1h)."
    )
    maxHistory = serializers.IntegerField(
        default=10, min_value=0, max_value=1000, help_text="Revisions kept per release (0: unlimited)."
    )
    chartRepository = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Chart repository used when a package reference names none.",
    )
    allowedRepositories = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        default=list,
        help_text="Other chart repository URLs a package reference may name (besides chartRepository). netweave "
        "fetches from these on an SMO's request, so only trusted repositories belong here.",
    )
    helmBinary = serializers.CharField(
        default="helm", max_length=1000, help_text="The helm executable (a path, or a name looked up on PATH)."
    )
    chartDir = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Where uploaded charts are kept; shared by web and worker processes. Empty: "
        "<DATA_DIR>/helm-<instance>/charts; relative: under DATA_DIR.",
    )
    scaleValuesKey = serializers.CharField(
        default="replicaCount", max_length=200, help_text="The values key a scale operation sets."
    )
    maxPackageBytes = serializers.IntegerField(
        default=DEFAULT_MAX_PACKAGE_BYTES, min_value=1024, max_value=1024 * 1024 * 1024
    )

    def validate_timeout(self, value: str) -> str:
        if not value or not GO_DURATION.match(value) or duration_seconds(value) == 0:
            raise serializers.ValidationError("Use a positive duration such as 90s, 10m or 1h30m.")
        return value

    def validate_chartRepository(self, value: str) -> str:
        if value and not value.startswith(("http://", "https://", "oci://")):
            raise serializers.ValidationError("Use an http(s):// or oci:// URL.")
        return value

    def validate_allowedRepositories(self, value: list[str]) -> list[str]:
        for url in value:
            self.validate_chartRepository(url)
        return value
