"""The mock IMS plugin's config class: camelCase keys as in config/plugins.yaml, defaults, field-level messages."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer

MAX_RESOURCES = 1_000_000


class ChurnConfig(StrictSerializer):
    enabled = serializers.BooleanField(
        default=False, help_text="Let the simulated O-Cloud change by itself over time (for subscription demos)."
    )
    changesPerMinute = serializers.IntegerField(
        default=6,
        min_value=1,
        max_value=6000,
        help_text="How many churn steps happen per minute of wall-clock time while churn is enabled.",
    )


def _churn_default() -> dict[str, Any]:
    return {"enabled": False, "changesPerMinute": 6}


class MockConfig(StrictSerializer):
    seed = serializers.IntegerField(
        default=42, min_value=0, max_value=2**31 - 1, help_text="Seed of the generated O-Cloud and of its churn."
    )
    sites = serializers.IntegerField(
        default=3, min_value=1, max_value=100, help_text="Sites: edge, regional, central, then more edge sites."
    )
    poolsPerSite = serializers.IntegerField(
        default=2, min_value=1, max_value=26, help_text="Resource pools per site (named a, b, c, ...)."
    )
    resources = serializers.IntegerField(
        default=60,
        min_value=0,
        max_value=MAX_RESOURCES,
        help_text="Total number of resources (servers, their NICs and accelerators, switches, storage).",
        error_messages={
            "min_value": "resources must be between 0 and 1000000.",
            "max_value": "resources must be between 0 and 1000000.",
        },
    )
    stateFile = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="SQLite file holding the simulated O-Cloud. Empty: <DATA_DIR>/mock-ims-<instance>.sqlite3; "
        "a relative path is taken relative to DATA_DIR.",
    )
    ocloudId = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Informational: reported as mock.ocloudId."
    )
    churn = ChurnConfig(default=_churn_default, help_text="Changes the simulated O-Cloud makes by itself.")
    failHealth = serializers.BooleanField(
        default=False,
        help_text="Test aid: simulate an unreachable backend (health unhealthy, every call BackendUnavailable).",
    )
    pollIntervalSeconds = serializers.FloatField(
        default=1.0, min_value=0.05, max_value=60.0, help_text="How often watch() polls the change journal."
    )
