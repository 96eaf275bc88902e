"""The Flux plugin's config class: the cluster Flux runs in, the namespace its GitRepository and Kustomization
objects are written to, how often Flux reconciles them, whether Flux prunes, the history kept, and where
package references are kept."""

from __future__ import annotations

from rest_framework import serializers

from plugins.dms.gitref import GitReferenceConfig, positive_duration


class FluxConfig(GitReferenceConfig):
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

    def validate_interval(self, value: str) -> str:
        return positive_duration(value)
