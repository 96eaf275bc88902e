"""The Crossplane plugin's config class: the cluster Crossplane runs in, the XRD whose claims (or composite
resources) deployments become, how a composition is chosen, connection secrets, and the history kept."""

from __future__ import annotations

from rest_framework import serializers

from plugins.dms.helm.config import duration_seconds
from plugins.dms.kubeobjects import positive_duration
from plugins.sdk.validation import StrictSerializer

__all__ = ["DEFAULT_MAX_TEMPLATE_BYTES", "CrossplaneConfig", "duration_seconds"]

DEFAULT_MAX_TEMPLATE_BYTES = 256 * 1024
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
KIND = r"^[A-Z][A-Za-z0-9]*$"


class XRDConfig(StrictSerializer):
    """The CompositeResourceDefinition: its API group and version, and the kinds and plurals Crossplane derives
    the claim and composite resource types from."""

    group = serializers.RegexField(DNS_SUBDOMAIN, max_length=253, help_text="The XRD's spec.group.")
    version = serializers.RegexField(
        r"^v[0-9]+((alpha|beta)[0-9]+)?$", max_length=20, help_text="A served version of the XRD (spec.versions)."
    )
    claimKind = serializers.RegexField(
        KIND, default="", allow_blank=True, max_length=63, help_text="spec.claimNames.kind (claim mode)."
    )
    claimPlural = serializers.RegexField(
        DNS_LABEL, default="", allow_blank=True, max_length=63, help_text="spec.claimNames.plural (claim mode)."
    )
    compositeKind = serializers.RegexField(KIND, max_length=63, help_text="spec.names.kind.")
    compositePlural = serializers.RegexField(DNS_LABEL, max_length=63, help_text="spec.names.plural.")


class CrossplaneConfig(StrictSerializer):
    kubeconfig = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Path of the kubeconfig of the cluster Crossplane runs in. Empty: in-cluster, else ~/.kube/config.",
    )
    xrd = XRDConfig(help_text="The XRD whose claims or composite resources deployments become.")
    resource = serializers.ChoiceField(
        choices=["claim", "composite"],
        default="claim",
        help_text="claim: a namespaced claim per deployment; composite: a cluster-scoped composite resource "
        "(the XRD's legacy scope, the one claims bind to).",
    )
    namespace = serializers.RegexField(
        DNS_LABEL, default="default", max_length=63, help_text="Namespace of claims whose deployment names none."
    )
    compositionRef = serializers.RegexField(
        DNS_SUBDOMAIN,
        default="",
        allow_blank=True,
        max_length=253,
        help_text="The Composition every deployment uses (spec.compositionRef); empty: Crossplane's choice.",
    )
    compositionSelector = serializers.DictField(
        child=serializers.CharField(max_length=63),
        default=dict,
        help_text="Labels selecting the Composition (spec.compositionSelector.matchLabels), when no ref is set.",
    )
    writeConnectionSecrets = serializers.BooleanField(
        default=True,
        help_text="Ask Crossplane to write the connection details to the secret <name>-connection (in the "
        "claim's namespace, or connectionSecretNamespace for composites). netweave only names it.",
    )
    connectionSecretNamespace = serializers.RegexField(
        DNS_LABEL, default="crossplane-system", max_length=63, help_text="Where composites' connection secrets go."
    )
    maxHistory = serializers.IntegerField(
        default=10, min_value=1, max_value=50, help_text="Parameter sets kept per deployment (its revisions)."
    )
    timeout = serializers.CharField(default="60s", max_length=20, help_text="Time allowed to each API call.")
    packageDir = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=1000,
        help_text="Where claim templates are kept; shared by web and worker processes. Empty: "
        "<DATA_DIR>/crossplane-<instance>/packages; relative: under DATA_DIR.",
    )
    maxPackageBytes = serializers.IntegerField(
        default=DEFAULT_MAX_TEMPLATE_BYTES,
        min_value=1024,
        max_value=4 * 1024 * 1024,
        help_text="Largest claim template accepted (bytes).",
    )

    def validate_timeout(self, value: str) -> str:
        return positive_duration(value)

    def validate(self, attrs: dict) -> dict:
        xrd = attrs.get("xrd") or {}
        if attrs.get("resource", "claim") == "claim" and not (xrd.get("claimKind") and xrd.get("claimPlural")):
            raise serializers.ValidationError(
                {"xrd": ["Claim mode needs claimKind and claimPlural (the XRD's spec.claimNames)."]}
            )
        return attrs
