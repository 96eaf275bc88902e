"""The GKE IMS plugin's config class: the project, which clusters, the service account key (multi-line JSON,
a Secret), endpoint overrides and the operation polling budget."""

from __future__ import annotations

import json
import re
from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer, without_problem

SECRET_FIELDS = frozenset({"credentialsJson"})
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_LOCATION = re.compile(r"^(-|[a-z]+-[a-z]+\d+(-[a-z])?)$")
_CLUSTER = re.compile(r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$")
SERVICE_ACCOUNT_KEYS = ("type", "client_email", "private_key", "token_uri")


def service_account_problem(text: str) -> str | None:
    """Why `text` is not a service-account key file (JSON), or None. Never quotes the text itself."""
    try:
        info = json.loads(text)
    except ValueError:
        return "Not JSON: paste the whole key file of the service account."
    if not isinstance(info, dict) or info.get("type") != "service_account":
        return 'Not a service-account key ("type": "service_account").'
    missing = [key for key in SERVICE_ACCOUNT_KEYS if not info.get(key)]
    if missing:
        return f"The key file lacks {', '.join(missing)}."
    return None


class GKEConfig(StrictSerializer):
    projectId = serializers.CharField(max_length=30, help_text="Google Cloud project whose GKE clusters are mapped.")
    location = serializers.CharField(
        default="-", max_length=64, help_text="Region or zone of the clusters; '-' for every location."
    )
    clusters = serializers.ListField(
        child=serializers.CharField(max_length=40),
        default=list,
        max_length=100,
        help_text="Cluster names to map (empty: every cluster in the location).",
    )
    credentialsJson = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=20000,
        trim_whitespace=False,
        style={"base_template": "textarea.html"},
        help_text="Credential: the service account's JSON key file (multi-line), as a Secret. "
        "Empty: Application Default Credentials (workload identity, metadata server).",
    )
    containerEndpoint = serializers.CharField(
        default="container.googleapis.com",
        max_length=255,
        help_text="host[:port] of the GKE API (gRPC). Override for a private endpoint or a test server.",
    )
    computeEndpoint = serializers.CharField(
        default="https://compute.googleapis.com",
        max_length=255,
        help_text="Base URL of the Compute Engine API (REST).",
    )
    loopbackPlaintext = serializers.BooleanField(
        default=False,
        help_text="Talk gRPC without TLS to a loopback endpoint (tests, local proxies); refused for other hosts.",
    )
    operationTimeoutSeconds = serializers.FloatField(
        default=1800.0, min_value=5.0, max_value=7200.0, help_text="How long a resize, create or delete may take."
    )
    operationPollSeconds = serializers.FloatField(
        default=5.0, min_value=0.01, max_value=60.0, help_text="Interval between two reads of a running operation."
    )
    ocloudId = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Informational: shown in health and extensions."
    )

    def validate_projectId(self, value: str) -> str:
        if not _PROJECT.match(value):
            raise serializers.ValidationError("Not a Google Cloud project id (6-30 of a-z, 0-9, '-').")
        return value

    def validate_location(self, value: str) -> str:
        if not _LOCATION.match(value):
            raise serializers.ValidationError("Not a region (europe-west1), a zone (europe-west1-b) or '-'.")
        return value

    def validate_clusters(self, value: list[str]) -> list[str]:
        for name in value:
            if not _CLUSTER.match(name):
                raise serializers.ValidationError(f"{name!r} is not a GKE cluster name.")
        return sorted(set(value))

    def validate_credentialsJson(self, value: str) -> str:
        return without_problem(value, service_account_problem)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("loopbackPlaintext"):
            host = attrs.get("containerEndpoint", "").rsplit(":", 1)[0]
            if host not in ("127.0.0.1", "localhost", "[::1]"):
                raise serializers.ValidationError({"loopbackPlaintext": ["Only for a loopback containerEndpoint."]})
        return attrs
