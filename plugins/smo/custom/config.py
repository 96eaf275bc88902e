"""The custom SMO plugin's config class: the REST/webhook contract of an SMO that is neither ONAP nor OSM."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from jinja2 import TemplateSyntaxError
from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer
from plugins.smo.custom.templates import environment

# Operation name -> what it does. An operation left out is NotSupported (501) for that instance.
OPERATIONS = {
    "syncInventory": "push inventory objects (and removals) in batches of batchSize",
    "publishEvents": "publish change events in batches of batchSize",
    "executeWorkflow": "start a workflow; the answer carries the execution id (idField)",
    "getWorkflowStatus": "read an execution's status (statusField, messageField)",
    "cancelWorkflow": "cancel an execution",
    "registerServiceModel": "store a service model",
    "getServiceModel": "read one service model",
    "listServiceModels": "list service models (itemsField)",
    "applyPolicy": "apply a policy",
    "getPolicyStatus": "read a policy's status (statusField, messageField)",
    # DMS-backend mode (plugin type dms.custom-smo): O2dms deployments run by the SMO.
    "getPackage": "DMS backend: check a package reference exists (name, version)",
    "createDeployment": "DMS backend: create a deployment; the answer carries its id (idField)",
    "getDeployment": "DMS backend: read a deployment (statusField mapped by statusMap; 404: gone)",
    "deleteDeployment": "DMS backend: delete a deployment",
}
PHASES = ("pending-install", "deployed", "pending-upgrade", "uninstalling", "failed", "unknown")
AUTH_TYPES = ("none", "bearer", "basic", "oauth2", "mtls", "hmac")


def _check_template(value: str) -> str:
    try:
        environment().parse(value)
    except TemplateSyntaxError as exc:
        raise serializers.ValidationError(f"Not a valid Jinja2 template: {exc.message} (line {exc.lineno}).") from None
    return value


class UrlField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        value = str(super().to_internal_value(data))
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise serializers.ValidationError("Enter an http:// or https:// URL with a host.")
        return value


class OperationConfig(StrictSerializer):
    method = serializers.ChoiceField(choices=["GET", "POST", "PUT", "PATCH", "DELETE"], default="POST")
    path = serializers.CharField(
        max_length=500, help_text="Appended to baseUrl; a Jinja2 template (e.g. /x/{{ name }})."
    )
    template = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=20000,
        help_text="Jinja2 (sandboxed) template of the request body; empty: the native O2 JSON.",
    )
    contentType = serializers.CharField(default="application/json", max_length=100)
    idField = serializers.CharField(default="id", max_length=100, help_text="Dotted path of the id in the answer.")
    statusField = serializers.CharField(default="status", max_length=100)
    messageField = serializers.CharField(default="message", max_length=100)
    itemsField = serializers.CharField(default="", allow_blank=True, max_length=100)

    def validate_path(self, value: str) -> str:
        return _check_template(value)

    def validate_template(self, value: str) -> str:
        return _check_template(value) if value else value


class OperationsConfig(StrictSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: OperationConfig(required=False, help_text=why) for name, why in OPERATIONS.items()}


class AuthConfig(StrictSerializer):
    type = serializers.ChoiceField(choices=AUTH_TYPES, default="none")
    username = serializers.CharField(default="", allow_blank=True, max_length=200, help_text="basic")
    tokenUrl = UrlField(default="", allow_blank=True, max_length=500, help_text="oauth2: the token endpoint")
    clientId = serializers.CharField(default="", allow_blank=True, max_length=200, help_text="oauth2")
    scope = serializers.CharField(default="", allow_blank=True, max_length=500, help_text="oauth2")
    clientCertFile = serializers.CharField(default="", allow_blank=True, max_length=500, help_text="mtls (PEM)")
    clientKeyFile = serializers.CharField(default="", allow_blank=True, max_length=500, help_text="mtls (PEM)")
    signatureHeader = serializers.CharField(default="X-Netweave-Signature", max_length=100, help_text="hmac")


def _default_auth() -> dict[str, Any]:
    """No `auth` block: no authentication, every auth key at its default."""
    auth = AuthConfig(data={})
    auth.is_valid(raise_exception=True)
    return dict(auth.validated_data)


class CustomSmoConfig(StrictSerializer):
    baseUrl = UrlField(max_length=500, help_text="The SMO's base URL; operation paths are appended.")
    operations = OperationsConfig(help_text="Operation name -> method, path, body template, answer fields.")
    auth = AuthConfig(required=False, default=_default_auth)
    batchSize = serializers.IntegerField(default=100, min_value=1, max_value=10000)
    statusMap = serializers.DictField(
        child=serializers.ChoiceField(choices=PHASES),
        default=dict,
        help_text="DMS backend: the SMO's deployment status -> netweave phase (e.g. RUNNING: pending-install).",
    )
    timeoutSeconds = serializers.FloatField(default=10.0, min_value=0.1, max_value=300.0)
    caBundle = serializers.CharField(default="", allow_blank=True, max_length=500, help_text="PEM file of CAs to trust")
    verifyTls = serializers.BooleanField(default=True)
    # Credentials (secret references in the stored config).
    token = serializers.CharField(default="", allow_blank=True, write_only=True, help_text="bearer")
    password = serializers.CharField(default="", allow_blank=True, write_only=True, help_text="basic")
    clientSecret = serializers.CharField(default="", allow_blank=True, write_only=True, help_text="oauth2")
    hmacSecret = serializers.CharField(default="", allow_blank=True, write_only=True, help_text="hmac")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        auth = attrs.get("auth") or {"type": "none"}
        kind = auth.get("type", "none")
        referenced = self.context.get("secret_refs", frozenset())  # credentials given as Secret references

        def credential(name: str) -> Any:
            return attrs.get(name) or (name if name in referenced else "")

        needs = {
            "bearer": [("token", credential("token"))],
            "basic": [("auth.username", auth.get("username")), ("password", credential("password"))],
            "oauth2": [
                ("auth.tokenUrl", auth.get("tokenUrl")),
                ("auth.clientId", auth.get("clientId")),
                ("clientSecret", credential("clientSecret")),
            ],
            "mtls": [
                ("auth.clientCertFile", auth.get("clientCertFile")),
                ("auth.clientKeyFile", auth.get("clientKeyFile")),
            ],
            "hmac": [("hmacSecret", credential("hmacSecret"))],
        }.get(kind, [])
        missing = {name: [f"Required for auth type '{kind}'."] for name, value in needs if not value}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs
