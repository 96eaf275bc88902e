"""Kafka security settings of the ONAP plugin (no broker: the SASL_PLAINTEXT and mTLS paths themselves run against
the real broker in test_onap_kafka.py): what the config accepts and refuses, and the librdkafka settings it becomes."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.smo.onap.config import OnapConfig
from plugins.smo.onap.events import kafka_security

BASE = {"aaiUrl": "http://aai", "kafkaBootstrapServers": "kafka:9093"}


def errors(**config: Any) -> dict[str, Any]:
    serializer = OnapConfig(data={**BASE, **config})
    serializer.is_valid()
    return dict(serializer.errors)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"kafkaSecurityProtocol": "SASL_SSL", "kafkaSaslMechanism": "SCRAM-SHA-512"}, "kafkaUsername"),
        ({"kafkaSecurityProtocol": "SASL_PLAINTEXT", "kafkaUsername": "u", "kafkaPassword": "p"}, "kafkaSaslMechanism"),
        ({"kafkaSecurityProtocol": "SSL", "kafkaUsername": "u"}, "kafkaUsername"),
        ({"kafkaSecurityProtocol": "TLS"}, "kafkaSecurityProtocol"),
        ({"kafkaSaslMechanism": "GSSAPI"}, "kafkaSaslMechanism"),
        ({"kafkaBootstrapServers": "", "kafkaSecurityProtocol": "SSL"}, "kafkaBootstrapServers"),
        ({"kafkaSecurityProtocol": "SSL", "kafkaClientCertificate": "/c.pem"}, "kafkaClientKey"),
        ({"kafkaSecurityProtocol": "SSL", "kafkaClientKey": "/k.pem"}, "kafkaClientCertificate"),
        ({"kafkaSecurityProtocol": "SSL", "kafkaClientKeyPassword": "p"}, "kafkaClientKeyPassword"),
        ({"kafkaClientCertificate": "/c.pem", "kafkaClientKey": "/k.pem"}, "kafkaClientCertificate"),
        ({"kafkaSecurityProtocol": "SASL_PLAINTEXT", "kafkaCaBundle": "/ca.pem"}, "kafkaCaBundle"),
    ],
)
def test_refused(config: dict[str, Any], field: str) -> None:
    assert field in errors(**config)


def test_scram_over_tls_settings() -> None:
    config = {
        "kafkaSecurityProtocol": "SASL_SSL",
        "kafkaSaslMechanism": "SCRAM-SHA-512",
        "kafkaUsername": "netweave",
        "kafkaPassword": "s3cret",
        "caBundle": "/etc/netweave/kafka-ca.pem",
    }
    serializer = OnapConfig(data={**BASE, **config})
    assert serializer.is_valid(), serializer.errors
    assert kafka_security(serializer.validated_data) == {
        "security.protocol": "sasl_ssl",
        "enable.ssl.certificate.verification": True,
        "ssl.ca.location": "/etc/netweave/kafka-ca.pem",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "netweave",
        "sasl.password": "s3cret",
    }
    assert kafka_security({}) == {"security.protocol": "plaintext"}


def test_mtls_settings() -> None:
    config = {
        "kafkaSecurityProtocol": "SSL",
        "caBundle": "/etc/netweave/aai-ca.pem",
        "kafkaCaBundle": "/etc/netweave/strimzi-cluster-ca.pem",
        "kafkaClientCertificate": "/etc/netweave/kafka-user.crt",
        "kafkaClientKey": "/etc/netweave/kafka-user.key",
        "kafkaClientKeyPassword": "key-pass",
    }
    serializer = OnapConfig(data={**BASE, **config})
    assert serializer.is_valid(), serializer.errors
    assert kafka_security(serializer.validated_data) == {
        "security.protocol": "ssl",
        "enable.ssl.certificate.verification": True,
        "ssl.ca.location": "/etc/netweave/strimzi-cluster-ca.pem",
        "ssl.certificate.location": "/etc/netweave/kafka-user.crt",
        "ssl.key.location": "/etc/netweave/kafka-user.key",
        "ssl.key.password": "key-pass",
    }


def test_unreadable_client_certificate_names_the_field_not_the_passphrase(tmp_path) -> None:
    from plugins.sdk.errors import InvalidRequest
    from plugins.smo.onap.events import KafkaPublisher

    (tmp_path / "bad.pem").write_text("not a certificate")
    security = kafka_security(
        {
            "kafkaSecurityProtocol": "SSL",
            "kafkaClientCertificate": str(tmp_path / "bad.pem"),
            "kafkaClientKey": str(tmp_path / "bad.pem"),
            "kafkaClientKeyPassword": "do-not-show-me",
        }
    )
    with pytest.raises(InvalidRequest) as raised:
        KafkaPublisher("127.0.0.1:9", "t", "netweave", 1.0, security)
    assert raised.value.field in {"kafkaClientCertificate", "kafkaClientKey"}
    assert "do-not-show-me" not in raised.value.detail


def test_password_is_a_secret_field() -> None:
    from plugins.smo.onap.plugin import OnapSMOPlugin

    assert {"kafkaPassword", "kafkaClientKeyPassword"} <= OnapSMOPlugin.secret_fields
