"""The kubernetes IMS plugin's config class: the seed's keys (kubeconfig, namespace, ocloudId, enableInformers,
resyncPeriod) plus how pools are formed. `kubeconfig` is a credential (it carries the client key or token), so it
is a secret field: the config holds `{secretRef: <name>}` and the Secret's provider says where the kubeconfig's
content lives (a file such as /etc/kubernetes/admin.conf, an environment variable, or encrypted in the database).

The `profile*` keys say what credential the native_k8sapi DMS profile hands to an SMO. netweave's own kubeconfig
is an administrator's credential, so the default hands out none (endpoint and CA only); `profileServiceAccount`
makes it a short-lived token of a ServiceAccount the operator has bound to exactly the Roles the SMO needs.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer

POOL_MODES = ("auto", "machineSets", "nodeLabel")
SERVICE_ACCOUNT_TOKEN = "serviceAccountToken"
NO_CREDENTIAL = "none"
KUBECONFIG_CLIENT_CERTIFICATE = "kubeconfigClientCertificate"
PROFILE_CREDENTIALS = (SERVICE_ACCOUNT_TOKEN, NO_CREDENTIAL, KUBECONFIG_CLIENT_CERTIFICATE)
#: A ServiceAccount as "namespace/name": a DNS label, then a DNS subdomain (what the API server accepts).
SERVICE_ACCOUNT = re.compile(
    r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
#: The API server refuses TokenRequests shorter than 10 minutes.
MIN_TOKEN_SECONDS = 600
MAX_TOKEN_SECONDS = 86400
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """Seconds from a Go-style duration (`30s`, `5m`, `1h`, `500ms`) or a bare number of seconds."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        return float(value)
    match = DURATION.match(str(value))
    if not match:
        raise ValueError("not a duration")
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


class DurationField(serializers.Field):
    """A duration such as `30s`, `5m` or `1h`, validated to a number of seconds in [min, max]."""

    def __init__(self, *, min_seconds: float, max_seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_seconds = min_seconds
        self.max_seconds = max_seconds

    def to_internal_value(self, data: Any) -> str:
        try:
            seconds = parse_duration(data)
        except ValueError:
            raise serializers.ValidationError("Must be a duration such as 30s, 5m or 1h.") from None
        if not self.min_seconds <= seconds <= self.max_seconds:
            raise serializers.ValidationError(f"Must be between {self.min_seconds:g}s and {self.max_seconds:g}s.")
        return str(data)

    def to_representation(self, value: Any) -> str:
        return str(value)


class KubernetesConfig(StrictSerializer):
    kubeconfig = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="Credential (secretRef): the kubeconfig's content. Empty with inCluster: the pod's service account.",
    )
    kubeconfigContext = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=253, help_text="Kubeconfig context; empty: current."
    )
    inCluster = serializers.BooleanField(
        default=False, help_text="Use the service account netweave runs under (netweave deployed in the cluster)."
    )
    namespace = serializers.CharField(
        default="default", max_length=63, help_text="Namespace of the MachineSets and Machines."
    )
    ocloudId = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Reported on the deployment manager's extensions."
    )
    clusterName = serializers.CharField(
        default="", allow_blank=True, max_length=255, help_text="Deployment manager name; empty: the kubeconfig's."
    )
    enableInformers = serializers.BooleanField(
        default=True, help_text="Watch the API server (realtime-events) for `manage.py netweave_watch`."
    )
    resyncPeriod = DurationField(
        default="30s",
        min_seconds=1,
        max_seconds=86400,
        help_text="How often the watcher relists everything and reports differences (informer resync).",
    )
    poolMode = serializers.ChoiceField(
        choices=POOL_MODES,
        default="auto",
        help_text="machineSets: pools are MachineSets; nodeLabel: pools are the values of poolLabel; auto: both, "
        "MachineSets when the machine API exists and label pools for nodes no Machine manages.",
    )
    poolLabel = serializers.CharField(
        default="netweave.io/pool",
        max_length=316,
        help_text="Node label whose value names a node's pool (e.g. cloud.google.com/gke-nodepool, agentpool).",
    )
    requestTimeoutSeconds = serializers.FloatField(
        default=10.0, min_value=0.5, max_value=300.0, help_text="Timeout of one API request."
    )
    profileServiceAccount = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=317,
        help_text="namespace/name of the ServiceAccount an SMO acts as through the native_k8sapi profile "
        "(bind it to the Roles the SMO may use; netweave creates no RBAC).",
    )
    profileTokenSeconds = serializers.IntegerField(
        default=3600,
        min_value=MIN_TOKEN_SECONDS,
        max_value=MAX_TOKEN_SECONDS,
        help_text="Lifetime of the ServiceAccount token the profile hands out (TokenRequest expirationSeconds).",
    )
    profileCredential = serializers.ChoiceField(
        choices=PROFILE_CREDENTIALS,
        default="",
        allow_blank=True,
        help_text="What the native_k8sapi profile hands out: serviceAccountToken (a token of "
        "profileServiceAccount), none (endpoint and CA only) or kubeconfigClientCertificate (netweave's OWN "
        "client certificate and key). Empty: serviceAccountToken when profileServiceAccount is set, else none.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_kubeconfig = bool(attrs.get("kubeconfig")) or "kubeconfig" in self.context.get("secret_refs", ())
        if attrs.get("inCluster") and has_kubeconfig:
            raise serializers.ValidationError({"inCluster": ["Set either kubeconfig or inCluster, not both."]})
        if not attrs.get("inCluster") and not has_kubeconfig:
            raise serializers.ValidationError({"kubeconfig": ["Required unless inCluster is true."]})
        return self._validate_profile(attrs)

    @staticmethod
    def _validate_profile(attrs: dict[str, Any]) -> dict[str, Any]:
        """Resolve an empty profileCredential and refuse combinations that would not do what they say."""
        account = attrs.get("profileServiceAccount", "")
        if account and not SERVICE_ACCOUNT.match(account):
            raise serializers.ValidationError(
                {"profileServiceAccount": ["Must be namespace/name of a ServiceAccount (lowercase DNS names)."]}
            )
        credential = attrs.get("profileCredential") or (SERVICE_ACCOUNT_TOKEN if account else NO_CREDENTIAL)
        if credential == SERVICE_ACCOUNT_TOKEN and not account:
            raise serializers.ValidationError({"profileServiceAccount": ["Required with serviceAccountToken."]})
        if credential != SERVICE_ACCOUNT_TOKEN and account:
            raise serializers.ValidationError(
                {"profileServiceAccount": [f"Only used with serviceAccountToken, not {credential}."]}
            )
        if credential == KUBECONFIG_CLIENT_CERTIFICATE and attrs.get("inCluster"):
            raise serializers.ValidationError(
                {"profileCredential": ["inCluster has no kubeconfig client certificate to hand out."]}
            )
        return {**attrs, "profileCredential": credential}
