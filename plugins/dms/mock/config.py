"""The mock DMS plugin's config class: camelCase keys as in config/plugins.yaml, defaults, field-level messages."""

from __future__ import annotations

from rest_framework import serializers

from plugins.dms.charts import DEFAULT_MAX_PACKAGE_BYTES
from plugins.sdk.validation import StrictSerializer


class MockDMSConfig(StrictSerializer):
    stateFile = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="SQLite file holding the simulated engine. Empty: <DATA_DIR>/mock-dms-<instance>.sqlite3; "
        "a relative path is taken relative to DATA_DIR.",
    )
    progressSeconds = serializers.FloatField(
        default=3.0,
        min_value=0.0,
        max_value=600.0,
        help_text="How long an install, upgrade, rollback or uninstall stays in progress before it completes.",
    )
    namespace = serializers.CharField(
        default="default", max_length=63, help_text="Namespace used when a deployment names none."
    )
    scaleValuesKey = serializers.CharField(
        default="replicaCount", max_length=200, help_text="The values key a scale operation sets."
    )
    maxPackageBytes = serializers.IntegerField(
        default=DEFAULT_MAX_PACKAGE_BYTES,
        min_value=1024,
        max_value=1024 * 1024 * 1024,
        help_text="Largest chart archive accepted.",
    )
