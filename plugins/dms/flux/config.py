"""The Flux plugin's config class: the cluster Flux runs in, the namespace its GitRepository and Kustomization
objects are written to, how often Flux reconciles them, whether Flux prunes, the history kept, and where
package references are kept."""

from __future__ import annotations

from rest_framework import serializers

from plugins.dms.kubeobjects import positive_duration
from plugins.sdk.validation import StrictSerializer


class FluxConfig(StrictSerializer):
    kubeconfig = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Kubeconfig of the cluster the engine runs in. Empty: in-cluster, else ~/.kube/config.",
    )
    timeout = serializers.CharField(default="60s", max_length=20, help_text="Time allowed to each API call.")
    packageDir = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Where package references are kept; shared by web and worker processes. Empty: "
        "<DATA_DIR>/<type>-<instance>/packages; relative: under DATA_DIR.",
    )
    namespace = serializers.CharField(
        default="flux-system",
        max_length=63,
        help_text="Where the GitRepository and Kustomization objects are written (Flux's namespace).",
    )
    destinationNamespace = serializers.CharField(
        default="default",
        max_length=63,
        help_text="The Kustomization's targetNamespace for deployments that name none.",
    )
    interval = serializers.CharField(
        default="5m", max_length=20, help_text="How often Flux fetches the source and reconciles (spec.interval)."
    )
    prune = serializers.BooleanField(
        default=True,
        help_text="Flux deletes what it applied when it leaves the source, and when the deployment is deleted.",
    )
    maxHistory = serializers.IntegerField(
        default=10, min_value=1, max_value=50, help_text="Revisions kept per deployment (for history and rollback)."
    )

    def validate_timeout(self, value: str) -> str:
        return positive_duration(value)

    def validate_interval(self, value: str) -> str:
        return positive_duration(value)
