"""The Argo CD plugin's config class (CRD mode): the cluster Argo CD runs in, where Applications live, the
project and destination they name, the seed's syncPolicy (prune, selfHeal), and where package references are
kept. The seed's REST mode (serverUrl + authToken) is not implemented: those keys are refused, not ignored."""

from __future__ import annotations

from rest_framework import serializers

from plugins.dms.gitref import GitReferenceConfig
from plugins.sdk.validation import StrictSerializer


class SyncPolicyConfig(StrictSerializer):
    automated = serializers.BooleanField(default=True, help_text="Argo CD syncs on its own when the source changes.")
    prune = serializers.BooleanField(default=True, help_text="Delete cluster objects no longer in the source.")
    selfHeal = serializers.BooleanField(default=True, help_text="Undo changes made on the cluster by hand.")


class ArgoCDConfig(GitReferenceConfig):
    namespace = serializers.CharField(
        default="argocd", max_length=63, help_text="Argo CD's namespace, where the Application objects are written."
    )
    defaultProject = serializers.CharField(
        default="default", max_length=253, help_text="The Argo CD AppProject of the Applications."
    )
    destinationServer = serializers.CharField(
        default="https://kubernetes.default.svc",
        max_length=1000,
        help_text="The cluster Argo CD deploys to, as registered in Argo CD.",
    )
    destinationNamespace = serializers.CharField(
        default="default", max_length=63, help_text="Destination namespace of deployments that name none."
    )
    syncPolicy = SyncPolicyConfig(default=dict)
    cascadeDelete = serializers.BooleanField(
        default=True,
        help_text="Delete puts Argo CD's resources finalizer on the Application, so Argo CD removes what it "
        "deployed before the Application goes.",
    )
