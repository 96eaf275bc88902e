"""Kafka security settings of the ONAP plugin (no broker: the SASL_PLAINTEXT path itself runs against the real broker
in test_onap_kafka.py): what the config accepts and refuses, and the librdkafka settings it becomes."""

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


def test_password_is_a_secret_field() -> None:
    from plugins.smo.onap.plugin import OnapSMOPlugin

    assert "kafkaPassword" in OnapSMOPlugin.secret_fields
