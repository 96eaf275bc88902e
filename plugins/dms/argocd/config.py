"""The Argo CD plugin's config class. Two ways in, chosen by the keys given: `serverUrl` + `authToken` (the
seed's REST mode, through Argo CD's API server) or `kubeconfig` (CRD mode, the Application objects directly);
then where Applications live, the project and destination they name, the seed's syncPolicy (prune, selfHeal),
and where package references are kept."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from plugins.dms.helm.config import duration_seconds
from plugins.dms.kubeobjects import positive_duration
from plugins.sdk.validation import StrictSerializer, ca_bundle_problem, without_problem

__all__ = ["ArgoCDConfig", "duration_seconds"]


class SyncPolicyConfig(StrictSerializer):
    automated = serializers.BooleanField(default=True, help_text="Argo CD syncs on its own when the source changes.")
    prune = serializers.BooleanField(default=True, help_text="Delete cluster objects no longer in the source.")
    selfHeal = serializers.BooleanField(default=True, help_text="Undo changes made on the cluster by hand.")


class ArgoCDConfig(StrictSerializer):
    kubeconfig = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="CRD mode: kubeconfig of the cluster Argo CD runs in. Empty (and no serverUrl): in-cluster, "
        "else ~/.kube/config.",
    )
    serverUrl = serializers.URLField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="REST mode: Argo CD's API server, e.g. https://argocd.example.com. Set it (with authToken) "
        "instead of kubeconfig.",
    )
    authToken = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=8192,
        help_text="REST mode credential: a bearer token of an Argo CD account allowed to manage the project's "
        "applications. A Secret reference ({secretRef: name}) or ${ENV_VAR} in plugins.yaml.",
    )
    caBundle = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="REST mode: path of a PEM CA bundle to verify the API server with (empty: the system's CAs).",
    )
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
    timeout = serializers.CharField(default="60s", max_length=20, help_text="Time allowed to each API call.")
    packageDir = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Where package references are kept; shared by web and worker processes. Empty: "
        "<DATA_DIR>/argocd-<instance>/packages; relative: under DATA_DIR.",
    )

    def validate_caBundle(self, value: str) -> str:
        return without_problem(value, ca_bundle_problem)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        refs = self.context.get("secret_refs") or {}  # a credential given as a Secret reference counts as present
        if attrs.get("serverUrl"):
            if attrs.get("kubeconfig"):
                raise serializers.ValidationError(
                    {"serverUrl": ["Give serverUrl (REST mode) or kubeconfig, not both."]}
                )
            if not attrs.get("authToken") and "authToken" not in refs:
                raise serializers.ValidationError({"authToken": ["REST mode (serverUrl) needs authToken."]})
        elif attrs.get("authToken") or "authToken" in refs or attrs.get("caBundle"):
            key = "caBundle" if attrs.get("caBundle") else "authToken"
            raise serializers.ValidationError({key: ["Only used in REST mode: set serverUrl too."]})
        return attrs

    def validate_timeout(self, value: str) -> str:
        return positive_duration(value)
