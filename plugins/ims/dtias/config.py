"""The DTIAS IMS plugin's config class: the DTIAS endpoint and tenant, the token endpoint's client and user (the
password a credential), TLS, paging and job timeouts."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer, ca_bundle_problem

SECRET_FIELDS = frozenset({"password"})
INSECURE_WARNING = (
    "verifyTls is off: the DTIAS server's TLS certificate is not verified, so anyone on the path can read the "
    "password and the tokens. For a lab only; give the lab's CA as caBundle instead."
)


class DTIASConfig(StrictSerializer):
    endpoint = serializers.URLField(
        max_length=1000, help_text="DTIAS API base URL (the token endpoint and /v1/tenants/... are below it)."
    )
    tenant = serializers.RegexField(
        r"^[A-Za-z0-9_.-]{1,128}$", max_length=128, help_text="DTIAS tenant: /v1/tenants/{tenant}/..."
    )
    clientId = serializers.CharField(max_length=255, help_text="OAuth client id for the token endpoint.")
    username = serializers.CharField(max_length=255, help_text="DTIAS user (password grant).")
    password = serializers.CharField(
        max_length=4096, help_text="Credential: a Secret reference ({secretRef: name}) or ${ENV_VAR} in plugins.yaml."
    )
    ocloudId = serializers.CharField(default="", allow_blank=True, max_length=255, help_text="Informational.")
    datacenter = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Only servers of this site (SiteId); empty: all."
    )
    verifyTls = serializers.BooleanField(default=True, help_text="Verify DTIAS's TLS certificate (false: labs only).")
    caBundle = serializers.CharField(
        default="", allow_blank=True, max_length=1000, help_text="Path of a PEM CA bundle (empty: the system's CAs)."
    )
    requestTimeoutSeconds = serializers.FloatField(default=30.0, min_value=1.0, max_value=600.0)
    jobTimeoutSeconds = serializers.FloatField(
        default=600.0, min_value=1.0, max_value=7200.0, help_text="How long an asynchronous DTIAS job may take."
    )
    pageSize = serializers.IntegerField(default=50, min_value=1, max_value=1000, help_text="Items per list page.")
    tokenRefreshMarginSeconds = serializers.FloatField(
        default=30.0, min_value=0.0, max_value=3600.0, help_text="Refresh the token this long before it expires."
    )

    def validate_caBundle(self, value: str) -> str:
        if value:
            problem = ca_bundle_problem(value)
            if problem:
                raise serializers.ValidationError(problem)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("caBundle") and not attrs.get("verifyTls", True):
            raise serializers.ValidationError({"caBundle": ["A CA bundle needs verifyTls: true."]})
        return attrs


def config_warnings(config: dict[str, Any]) -> list[str]:
    return [INSECURE_WARNING] if config.get("verifyTls") is False else []
