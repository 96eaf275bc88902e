"""The vSphere IMS plugin's config class: the seed's keys (camelCase as in config/plugins.yaml), the password as a
credential, and TLS verification with an optional CA bundle (`insecureSkipVerify` only for labs)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer, ca_bundle_problem

SECRET_FIELDS = frozenset({"password"})
INSECURE_WARNING = (
    "insecureSkipVerify is on: vCenter's TLS certificate is not verified, so anyone on the path can read the "
    "password and the session. For a lab only; give the lab's CA as caBundle instead."
)


class VSphereConfig(StrictSerializer):
    vcenterUrl = serializers.URLField(
        max_length=1000, help_text="vCenter's SDK endpoint, e.g. https://vcenter.example.com/sdk."
    )
    username = serializers.CharField(max_length=255, help_text="vCenter user, e.g. o2ims@vsphere.local.")
    password = serializers.CharField(
        max_length=4096, help_text="Credential: a Secret reference ({secretRef: name}) or ${ENV_VAR} in plugins.yaml."
    )
    datacenter = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Only this datacenter (by name); empty: all of them."
    )
    insecureSkipVerify = serializers.BooleanField(
        default=False, help_text="Do not verify vCenter's TLS certificate. Labs only: the admin warns when it is on."
    )
    caBundle = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Path of a PEM CA bundle to verify vCenter with (empty: the system's CAs).",
    )
    ocloudId = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Informational: shown in the deployment manager."
    )
    requestTimeoutSeconds = serializers.FloatField(
        default=60.0, min_value=1.0, max_value=600.0, help_text="Timeout of one SOAP request."
    )
    taskTimeoutSeconds = serializers.FloatField(
        default=300.0,
        min_value=5.0,
        max_value=3600.0,
        help_text="How long a vCenter task started through netweave (create a VM or a pool) may take.",
    )

    def validate_caBundle(self, value: str) -> str:
        """Load the bundle now: a missing or non-PEM file is a config error naming the key."""
        if value:
            problem = ca_bundle_problem(value)
            if problem:
                raise serializers.ValidationError(problem)
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("caBundle") and attrs.get("insecureSkipVerify"):
            raise serializers.ValidationError({"caBundle": ["A CA bundle needs insecureSkipVerify: false."]})
        return attrs


def config_warnings(config: dict[str, Any]) -> list[str]:
    """What the admin shows as a warning for a valid config."""
    return [INSECURE_WARNING] if config.get("insecureSkipVerify") else []
