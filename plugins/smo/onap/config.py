"""The ONAP SMO plugin's config class: A&AI northbound, VES events to DMaaP Message Router or Kafka."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from plugins.sdk.validation import StrictSerializer
from plugins.smo.custom.config import UrlField


class SoTargetConfig(StrictSerializer):
    """Where SO instantiates services: the A&AI cloud-region, tenant, customer and the ownership SO asks for."""

    lcpCloudRegionId = serializers.CharField(max_length=100, help_text="The A&AI cloud-region SO deploys into.")
    tenantId = serializers.CharField(max_length=100)
    globalSubscriberId = serializers.CharField(max_length=200)
    subscriptionServiceType = serializers.CharField(max_length=200)
    productFamilyId = serializers.CharField(default="netweave", max_length=200)
    owningEntityId = serializers.CharField(default="netweave", max_length=200)
    owningEntityName = serializers.CharField(default="netweave", max_length=200)
    projectName = serializers.CharField(default="netweave", max_length=200)
    preloadVnfType = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=200,
        help_text="When set (with sdncUrl): an SDNC GR-API VF-module preload of this vnf-type, named after the "
        "deployment and carrying its values, precedes each instantiation.",
    )


KAFKA_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def _kafka_problems(attrs: dict[str, Any]) -> dict[str, list[str]]:
    protocol = attrs.get("kafkaSecurityProtocol", "PLAINTEXT")
    sasl = protocol.startswith("SASL_")
    tls = protocol.endswith("SSL")
    problems: dict[str, list[str]] = {}
    if not attrs.get("kafkaBootstrapServers") and (protocol != "PLAINTEXT" or attrs.get("kafkaUsername")):
        problems["kafkaBootstrapServers"] = ["Kafka security settings need kafkaBootstrapServers."]
    if sasl:
        for key in ("kafkaSaslMechanism", "kafkaUsername", "kafkaPassword"):
            if not attrs.get(key):
                problems[key] = [f"Required with kafkaSecurityProtocol {protocol}."]
    else:
        for key in ("kafkaSaslMechanism", "kafkaUsername", "kafkaPassword"):
            if attrs.get(key):
                problems[key] = ["Only with kafkaSecurityProtocol SASL_PLAINTEXT or SASL_SSL."]
    certificate, client_key = attrs.get("kafkaClientCertificate"), attrs.get("kafkaClientKey")
    for name in ("kafkaClientCertificate", "kafkaClientKey", "kafkaClientKeyPassword", "kafkaCaBundle"):
        if attrs.get(name) and not tls:
            problems[name] = ["Only with kafkaSecurityProtocol SSL or SASL_SSL."]
    if tls and bool(certificate) != bool(client_key):
        missing = "kafkaClientKey" if certificate else "kafkaClientCertificate"
        problems.setdefault(missing, ["A client certificate needs both kafkaClientCertificate and kafkaClientKey."])
    if tls and attrs.get("kafkaClientKeyPassword") and not client_key:
        problems.setdefault("kafkaClientKeyPassword", ["Only with kafkaClientKey."])
    return problems


class OnapConfig(StrictSerializer):
    aaiUrl = UrlField(max_length=500, help_text="A&AI base URL, e.g. https://aai.onap:8443 (paths /aai/<version>/...).")
    aaiVersion = serializers.RegexField(r"^v\d+$", default="v29", max_length=10, help_text="A&AI schema version.")
    cloudOwner = serializers.CharField(
        default="netweave", max_length=100, help_text="cloud-owner of the cloud-regions."
    )
    aaiBulkSize = serializers.IntegerField(
        default=30,
        min_value=1,
        max_value=1000,
        help_text="Operations per A&AI bulk single-transaction request. A&AI refuses more than its "
        "aai.bulkconsumer.payloadlimit (30 unless raised there).",
    )
    username = serializers.CharField(default="", allow_blank=True, max_length=200, help_text="A&AI basic auth user.")
    password = serializers.CharField(
        default="", allow_blank=True, write_only=True, help_text="A&AI basic auth password."
    )
    fromAppId = serializers.CharField(default="netweave", max_length=100, help_text="X-FromAppId header.")
    soUrl = UrlField(
        default="",
        allow_blank=True,
        max_length=500,
        help_text="SO base URL: workflows through the SMO North API (SO's instanceManagement API). Empty: none.",
    )
    sdncUrl = UrlField(
        default="", allow_blank=True, max_length=500, help_text="SDNC base URL (GR-API preload, DMS-backend mode)."
    )
    sdcUrl = UrlField(
        default="",
        allow_blank=True,
        max_length=500,
        help_text="SDC base URL: service models from SDC's distribution catalog (GET /sdc/v1/catalog/services).",
    )
    policyApiUrl = UrlField(
        default="", allow_blank=True, max_length=500, help_text="Policy Framework policy-api base URL (create)."
    )
    policyPapUrl = UrlField(
        default="", allow_blank=True, max_length=500, help_text="Policy Framework PAP base URL (deploy, status)."
    )
    dmsBackend = SoTargetConfig(
        required=False,
        help_text="DMS-backend mode (SMO routing rule mode dms-backend): where SO instantiates the O2dms deployments "
        "routed to this instance (needs soUrl; SO uses username/password).",
    )
    dmaapUrl = UrlField(
        default="", allow_blank=True, max_length=500, help_text="DMaaP Message Router base URL (POST /events/{topic})."
    )
    kafkaBootstrapServers = serializers.CharField(
        default="", allow_blank=True, max_length=500, help_text="host:port[,host:port]: publish VES events to Kafka."
    )
    kafkaSecurityProtocol = serializers.ChoiceField(
        choices=list(KAFKA_PROTOCOLS),
        default="PLAINTEXT",
        help_text="Kafka security.protocol: TLS (SSL: caBundle and verifyTls apply) and/or SASL authentication.",
    )
    kafkaSaslMechanism = serializers.ChoiceField(
        choices=["", *KAFKA_SASL_MECHANISMS], default="", allow_blank=True, help_text="With SASL_*: the mechanism."
    )
    kafkaUsername = serializers.CharField(default="", allow_blank=True, max_length=200, help_text="SASL user.")
    kafkaPassword = serializers.CharField(
        default="", allow_blank=True, write_only=True, help_text="SASL password (a secret)."
    )
    kafkaCaBundle = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=500,
        help_text="With SSL/SASL_SSL: PEM file of the CAs that sign the brokers' certificates (Strimzi's cluster CA). "
        "Empty: caBundle, else the system's CAs. verifyTls: false turns the check off.",
    )
    kafkaClientCertificate = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=500,
        help_text="With SSL/SASL_SSL: PEM file of netweave's client certificate (chain) for brokers that require "
        "client authentication (mTLS; Strimzi's `tls` authentication).",
    )
    kafkaClientKey = serializers.CharField(
        default="", allow_blank=True, max_length=500, help_text="PEM file of the client certificate's private key."
    )
    kafkaClientKeyPassword = serializers.CharField(
        default="",
        allow_blank=True,
        write_only=True,
        help_text="The client key's passphrase when the key file is encrypted (a secret).",
    )
    eventTopic = serializers.CharField(default="unauthenticated.VES_INFRASTRUCTURE_EVENTS", max_length=249)
    sourceName = serializers.CharField(default="netweave", max_length=100, help_text="VES sourceName/reportingEntity.")
    eventPublishBatchSize = serializers.IntegerField(default=100, min_value=1, max_value=10000)
    timeoutSeconds = serializers.FloatField(default=10.0, min_value=0.1, max_value=300.0)
    caBundle = serializers.CharField(default="", allow_blank=True, max_length=500)
    verifyTls = serializers.BooleanField(default=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("dmaapUrl") and attrs.get("kafkaBootstrapServers"):
            raise serializers.ValidationError(
                {"kafkaBootstrapServers": ["Give dmaapUrl or kafkaBootstrapServers, not both."]}
            )
        kafka = _kafka_problems(attrs)
        if kafka:
            raise serializers.ValidationError(kafka)
        if (attrs.get("dmsBackend") or {}).get("preloadVnfType") and not attrs.get("sdncUrl"):
            raise serializers.ValidationError(
                {"sdncUrl": ["dmsBackend.preloadVnfType preloads through SDNC: set sdncUrl."]}
            )
        if attrs.get("dmsBackend") and not attrs.get("soUrl"):
            raise serializers.ValidationError(
                {"dmsBackend": ["The DMS-backend mode runs deployments through SO: set soUrl."]}
            )
        return attrs
