"""OpenAPI shapes of the O2dms objects (O2-REFERENCE.md §7) and netweave's lifecycle extensions.

Response serializers document the API; reads are rendered from deployments.specs. Request serializers
validate bodies and reject unknown fields.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deployments.models import LifecycleOperation, NfDeploymentState
from inventory.api.serializers import ExtensionsField
from netweave.o2.strict import StrictSerializer

# A deployment's name becomes a Helm release name and Kubernetes object names: DNS-1123 label, at most 53.
DEPLOYMENT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_DEPLOYMENT_NAME = 53


class NfDeploymentDescriptorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    inputParams = serializers.JSONField(required=False, help_text="The package's parameters and defaults")
    outputParams = serializers.JSONField(required=False)
    artifactRepoUrl = serializers.CharField(allow_blank=True, required=False)
    artifactName = serializers.CharField(allow_blank=True, required=False)
    extensions = ExtensionsField(required=False)


STATUS_MEANINGS = {
    NfDeploymentState.INITIAL: "accepted, not yet sent to the backend",
    NfDeploymentState.NOT_INSTALLED: "the install failed and left nothing",
    NfDeploymentState.INSTALLING: "being installed",
    NfDeploymentState.INSTALLED: "installed and running",
    NfDeploymentState.UPDATING: "an upgrade, scale or rollback is running",
    NfDeploymentState.UNINSTALLING: "being uninstalled",
    NfDeploymentState.ABNORMAL: "the backend reports a failure",
}
STATUS_DESCRIPTION = "O-RAN SC O2dms NfDeployment status: " + "; ".join(
    f"{state.value} {state.name} ({STATUS_MEANINGS[state]})" for state in NfDeploymentState
)


@extend_schema_field(
    {
        "type": "integer",
        "enum": [int(state.value) for state in NfDeploymentState],
        "description": STATUS_DESCRIPTION,
        "x-enum-varnames": [state.name for state in NfDeploymentState],
        "x-enum-descriptions": [STATUS_MEANINGS[state] for state in NfDeploymentState],
    }
)
class NfDeploymentStatusField(serializers.ChoiceField):
    """The integer status, documented with each value's O2dms name (clients otherwise see a bare `3`)."""


class NfDeploymentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField(required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    descriptorId = serializers.UUIDField(required=False)
    parentDeploymentId = serializers.UUIDField(required=False)
    status = NfDeploymentStatusField([int(v) for v in NfDeploymentState.values], required=False)
    extensions = ExtensionsField(required=False)


class OperationSerializer(serializers.Serializer):
    operationId = serializers.UUIDField()
    deploymentManagerId = serializers.UUIDField(required=False)
    nfDeploymentId = serializers.UUIDField(required=False)
    nfDeploymentName = serializers.CharField(required=False)
    operation = serializers.ChoiceField(LifecycleOperation.Kind.values, required=False)
    state = serializers.ChoiceField(LifecycleOperation.State.values, required=False)
    params = serializers.JSONField(required=False)
    result = serializers.JSONField(required=False)
    error = serializers.CharField(required=False)
    errorStatus = serializers.IntegerField(required=False)
    createdTime = serializers.DateTimeField(required=False)
    startTime = serializers.DateTimeField(required=False)
    endTime = serializers.DateTimeField(required=False)


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="The backend's phase: pending-install, deployed, failed, ...")
    message = serializers.CharField(allow_blank=True)
    revision = serializers.IntegerField()
    details = serializers.DictField(child=serializers.CharField())


class RevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    status = serializers.CharField()
    updated = serializers.DateTimeField(required=False)
    descriptorId = serializers.UUIDField(required=False)
    appVersion = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True)


# --- request bodies -----------------------------------------------------------------------------------------


class RoutingLabels(serializers.DictField):
    child = serializers.CharField()


class ReferenceURLField(serializers.URLField):
    """A URL a DMS plugin fetches packages from: http(s)://, ssh:// (git) or oci:// (a chart registry), which
    Django's default URL check (http, https, ftp, ftps) does not all accept."""

    SCHEMES = ("http", "https", "ssh", "oci")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, URLValidator)]
        self.validators.append(URLValidator(schemes=list(self.SCHEMES), message=self.error_messages["invalid"]))


class DescriptorReferenceSerializer(StrictSerializer):
    """A chart from a chart repository, or a git reference (JSON body); an archive is sent as application/gzip
    or multipart. The DMS plugin the reference is routed to checks the URL scheme it fetches."""

    artifactRepoUrl = ReferenceURLField(
        max_length=1000,
        help_text="The repository's URL: a chart repository (http(s)://, or oci:// for a registry) or a git "
        "repository (http(s)://, ssh://)",
    )
    artifactName = serializers.CharField(max_length=255, help_text="The chart's name in that repository")
    version = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True, help_text="Chart version"
    )
    name = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    packageType = serializers.CharField(max_length=50, required=False, default="helm-chart")
    labels = RoutingLabels(required=False, default=dict, help_text="Routing labels (seed conditions)")
    gitOps = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Deploy through a GitOps engine: the routing attribute the seed's `gitOps: true` rule condition "
        "tests (git-repo references to Argo CD)",
    )


class DescriptorUploadFormSerializer(StrictSerializer):
    """multipart/form-data upload."""

    chart = serializers.FileField(help_text="The chart archive (.tgz)")
    name = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    packageType = serializers.CharField(max_length=50, required=False, default="helm-chart")


class DescriptorUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    inputParams = serializers.DictField(required=False)
    outputParams = serializers.DictField(required=False)


def validate_deployment_name(value: str) -> None:
    if len(value) > MAX_DEPLOYMENT_NAME or not DEPLOYMENT_NAME.match(value):
        raise serializers.ValidationError(
            f"Use at most {MAX_DEPLOYMENT_NAME} lowercase letters, digits and '-', starting and ending with a "
            "letter or digit."
        )


class NfDeploymentCreateSerializer(StrictSerializer):
    name = serializers.CharField(validators=[validate_deployment_name])
    description = serializers.CharField(required=False, allow_blank=True, default="")
    descriptorId = serializers.UUIDField()
    parentDeploymentId = serializers.UUIDField(required=False, allow_null=True, default=None)
    namespace = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=63, help_text="Target namespace"
    )
    values = serializers.DictField(required=False, default=dict, help_text="Values given to the package")
    labels = RoutingLabels(required=False, default=dict)

    def validate_namespace(self, value: str) -> str:
        if value and not DEPLOYMENT_NAME.match(value):
            raise serializers.ValidationError("Not a valid namespace name.")
        return value


class NfDeploymentUpdateSerializer(StrictSerializer):
    name = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    descriptorId = serializers.UUIDField(required=False)
    parentDeploymentId = serializers.UUIDField(required=False, allow_null=True)
    values = serializers.DictField(required=False, help_text="Replaces the deployment's values")


class ScaleSerializer(StrictSerializer):
    replicas = serializers.IntegerField(min_value=0, max_value=10000)


class RollbackSerializer(StrictSerializer):
    revision = serializers.IntegerField(min_value=1)
