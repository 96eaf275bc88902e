"""The OpenStack IMS plugin's config class: the seed's keys (camelCase as in config/plugins.yaml), application
credentials as the alternative to a password, and TLS verification with an optional CA bundle."""

from __future__ import annotations

import ssl
from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer

SECRET_FIELDS = frozenset({"password", "applicationCredentialSecret"})


def _ca_bundle_problem(path: str) -> str | None:
    """Why `path` is not a usable PEM CA bundle, or None when it is."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except ssl.SSLError:
        return f"{path} holds no PEM certificate."
    except OSError as exc:
        return f"Cannot read {path}: {exc.strerror or type(exc).__name__}."
    return None


class OpenStackConfig(StrictSerializer):
    authUrl = serializers.URLField(
        max_length=1000, help_text="Keystone v3 endpoint, e.g. https://openstack.example.com:5000/v3."
    )
    username = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="User for password authentication."
    )
    password = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=4096,
        help_text="Credential: a Secret reference ({secretRef: name}) or ${ENV_VAR} in plugins.yaml.",
    )
    projectName = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Project to scope the token to (password auth)."
    )
    domainName = serializers.CharField(
        default="Default", max_length=255, help_text="Keystone domain of the user and of the project."
    )
    region = serializers.CharField(
        default="RegionOne", max_length=255, help_text="Region whose endpoints are used; the deployment manager."
    )
    ocloudId = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Informational: shown in health and extensions."
    )
    applicationCredentialId = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=255,
        help_text="Keystone application credential id: used instead of username/password when set.",
    )
    applicationCredentialSecret = serializers.CharField(
        default="", allow_blank=True, max_length=4096, help_text="Credential: the application credential's secret."
    )
    verifyTls = serializers.BooleanField(default=True, help_text="Verify the endpoints' TLS certificates.")
    caBundle = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Path of a PEM CA bundle to verify the endpoints with (empty: the system's CAs).",
    )
    requestTimeoutSeconds = serializers.FloatField(
        default=30.0, min_value=1.0, max_value=600.0, help_text="Timeout of one API request."
    )
    bootTimeoutSeconds = serializers.FloatField(
        default=300.0,
        min_value=5.0,
        max_value=3600.0,
        help_text="How long a server boot or delete made through netweave may take before it is reported failed.",
    )

    def validate_caBundle(self, value: str) -> str:
        """Load the bundle now, as keystoneauth would at the first request: a missing or non-PEM file is a config
        error naming the key, not a TLS failure on every call later. Checked where netweave validates config (admin
        form, plugins.yaml import, initialize), on the machine where the file must be."""
        if value:
            ca_bundle_problem = _ca_bundle_problem(value)
            if ca_bundle_problem:
                raise serializers.ValidationError(ca_bundle_problem)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refs = self.context.get("secret_refs") or {}  # credentials given as Secret references count as present

        def present(key: str) -> bool:
            return bool(attrs.get(key)) or key in refs

        if attrs.get("caBundle") and not attrs.get("verifyTls", True):
            raise serializers.ValidationError({"caBundle": ["A CA bundle needs verifyTls: true."]})
        if attrs.get("applicationCredentialId"):
            if not present("applicationCredentialSecret"):
                raise serializers.ValidationError(
                    {"applicationCredentialSecret": ["Required with applicationCredentialId."]}
                )
            return attrs
        missing = {key: ["Required for password authentication."] for key in ("username", "password", "projectName")}
        missing = {key: message for key, message in missing.items() if not present(key)}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs
