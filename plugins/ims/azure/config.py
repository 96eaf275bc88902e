"""The Azure AKS IMS plugin's config class: the subscription, which resource group and clusters, the service
principal (a client secret or a certificate PEM, multi-line, both Secrets), endpoint overrides (ARM, the Entra ID
authority, a CA bundle) and the budgets for long-running operations and retries."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer, ca_bundle_problem, without_problem

SECRET_FIELDS = frozenset({"clientSecret", "clientCertificate"})
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_TENANT = re.compile(r"^([0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}|[A-Za-z0-9][A-Za-z0-9.-]{0,252})$")
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,89}[-\w()]$")
_CLUSTER = re.compile(r"^[A-Za-z0-9]([-_A-Za-z0-9]{0,61}[A-Za-z0-9])?$")


def certificate_problem(text: str) -> str | None:
    """Why `text` is not a PEM holding a private key and a certificate (what Entra ID's certificate credential
    needs), or None. Never quotes the text."""
    if "-----BEGIN CERTIFICATE-----" not in text:
        return "No PEM certificate: paste the certificate and its private key, both PEM."
    if not re.search(r"-----BEGIN (RSA |EC )?PRIVATE KEY-----", text):
        return "No unencrypted PEM private key next to the certificate."
    return None


class AzureConfig(StrictSerializer):
    subscriptionId = serializers.CharField(max_length=36, help_text="Azure subscription whose AKS clusters are mapped.")
    tenantId = serializers.CharField(max_length=253, help_text="Entra ID (Azure AD) tenant of the service principal.")
    clientId = serializers.CharField(max_length=36, help_text="Application (client) id of the service principal.")
    clientSecret = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        trim_whitespace=False,
        style={"base_template": "textarea.html"},
        help_text="Credential: the service principal's client secret, as a Secret. Give it or clientCertificate.",
    )
    clientCertificate = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=20000,
        trim_whitespace=False,
        style={"base_template": "textarea.html"},
        help_text="Credential: the service principal's certificate and private key (PEM, multi-line), as a Secret.",
    )
    resourceGroup = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=90,
        help_text="Map only the AKS clusters of this resource group (empty: the whole subscription).",
    )
    clusters = serializers.ListField(
        child=serializers.CharField(max_length=63),
        default=list,
        max_length=100,
        help_text="AKS cluster names to map (empty: every cluster).",
    )
    armEndpoint = serializers.URLField(
        default="https://management.azure.com",
        max_length=255,
        help_text="Azure Resource Manager base URL (a sovereign cloud, a private endpoint or a test server).",
    )
    authorityHost = serializers.URLField(
        default="https://login.microsoftonline.com",
        max_length=255,
        help_text="Entra ID authority the token is requested from (sovereign clouds, a test server).",
    )
    caBundle = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Path of a PEM CA bundle for ARM and the authority (empty: the system's CAs).",
    )
    retryTotal = serializers.IntegerField(
        default=3,
        min_value=0,
        max_value=10,
        help_text="Retries of a throttled (429, after its Retry-After) or failed request before the sync fails.",
    )
    operationTimeoutSeconds = serializers.FloatField(
        default=1800.0, min_value=5.0, max_value=7200.0, help_text="How long a scale, create or delete may take."
    )
    operationPollSeconds = serializers.FloatField(
        default=10.0,
        min_value=0.01,
        max_value=60.0,
        help_text="Interval between two reads of a running operation, when Azure gives no Retry-After.",
    )
    ocloudId = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Informational: shown in health and extensions."
    )

    def validate_subscriptionId(self, value: str) -> str:
        if not _UUID.match(value):
            raise serializers.ValidationError("Not a subscription id (a UUID).")
        return value.lower()

    def validate_tenantId(self, value: str) -> str:
        if not _TENANT.match(value):
            raise serializers.ValidationError("Not a tenant id (a UUID) or a tenant domain.")
        return value

    def validate_clientId(self, value: str) -> str:
        if not _UUID.match(value):
            raise serializers.ValidationError("Not an application (client) id (a UUID).")
        return value

    def validate_resourceGroup(self, value: str) -> str:
        if value and not _RESOURCE_GROUP.match(value):
            raise serializers.ValidationError("Not a resource group name.")
        return value

    def validate_clusters(self, value: list[str]) -> list[str]:
        for name in value:
            if not _CLUSTER.match(name):
                raise serializers.ValidationError(f"{name!r} is not an AKS cluster name.")
        return sorted(set(value))

    def validate_clientCertificate(self, value: str) -> str:
        return without_problem(value, certificate_problem)

    def validate_caBundle(self, value: str) -> str:
        return without_problem(value, ca_bundle_problem)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refs = self.context.get("secret_refs") or {}  # credentials given as Secret references count as present
        given = [name for name in ("clientSecret", "clientCertificate") if attrs.get(name) or name in refs]
        if not given:
            raise serializers.ValidationError({"clientSecret": ["Give clientSecret or clientCertificate."]})
        if len(given) > 1:
            raise serializers.ValidationError(
                {"clientCertificate": ["Give clientSecret or clientCertificate, not both."]}
            )
        for key in ("armEndpoint", "authorityHost"):
            if key in attrs and urlsplit(attrs[key]).scheme != "https":
                raise serializers.ValidationError({key: ["Azure takes bearer tokens over HTTPS only."]})
        return attrs
