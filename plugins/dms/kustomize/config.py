"""The kustomize plugin's config class: the cluster (kubeconfig), the default namespace, the pinned kustomize
binary, where uploaded overlays are kept, the field manager of server-side apply and the history kept."""

from __future__ import annotations

from rest_framework import serializers

from plugins.dms.charts import DEFAULT_MAX_PACKAGE_BYTES
from plugins.dms.helm.config import GO_DURATION, duration_seconds
from plugins.sdk.validation import StrictSerializer

__all__ = ["KustomizeConfig", "duration_seconds"]


class KustomizeConfig(StrictSerializer):
    kubeconfig = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Path of the kubeconfig of the cluster deployed to. Empty: in-cluster, else ~/.kube/config.",
    )
    namespace = serializers.CharField(
        default="default", max_length=63, help_text="Namespace of deployments that name none."
    )
    timeout = serializers.CharField(
        default="5m", max_length=20, help_text="Time allowed to a kustomize build and to each API call."
    )
    maxHistory = serializers.IntegerField(
        default=10, min_value=1, max_value=100, help_text="Revisions (with their renders) kept per deployment."
    )
    kustomizeBinary = serializers.CharField(
        default="kustomize", max_length=1000, help_text="The kustomize executable (a path, or a name on PATH)."
    )
    packageDir = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Where uploaded kustomization archives are kept; shared by web and worker processes. Empty: "
        "<DATA_DIR>/kustomize-<instance>/packages; relative: under DATA_DIR.",
    )
    fieldManager = serializers.CharField(
        default="netweave-kustomize", max_length=128, help_text="The field manager of server-side apply."
    )
    maxPackageBytes = serializers.IntegerField(
        default=DEFAULT_MAX_PACKAGE_BYTES, min_value=1024, max_value=1024 * 1024 * 1024
    )

    def validate_timeout(self, value: str) -> str:
        if not value or not GO_DURATION.match(value) or duration_seconds(value) == 0:
            raise serializers.ValidationError("Use a positive duration such as 90s, 10m or 1h30m.")
        return value
