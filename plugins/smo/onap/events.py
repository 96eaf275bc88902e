"""Where VES events go: DMaaP Message Router (REST, `POST /events/{topic}` with a JSON array), or Kafka straight
(as current ONAP does with Strimzi), with an idempotent producer (acks=all) and one message key so that the topic
keeps netweave's order."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import httpx

from plugins.sdk.errors import BackendUnavailable, InvalidRequest

FLUSH_SECONDS = 30.0


class Publisher(Protocol):
    def publish(self, events: Sequence[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


class DmaapPublisher:
    def __init__(self, client: httpx.Client, base: str, topic: str) -> None:
        self.client, self.url = client, f"{base.rstrip('/')}/events/{topic}"

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
        try:
            response = self.client.post(self.url, json=list(events))
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"DMaaP Message Router unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise BackendUnavailable(f"DMaaP Message Router answered HTTP {response.status_code}")

    def close(self) -> None:
        return None


def kafka_security(config: Mapping[str, Any]) -> dict[str, Any]:
    """librdkafka's security settings for the plugin config: TLS (`SSL`, `SASL_SSL`: the CA bundle, whether to
    verify the broker, and a client certificate for brokers requiring one) and SASL (PLAIN or SCRAM). The SASL
    password and the key's passphrase come from the secret store."""
    protocol = str(config.get("kafkaSecurityProtocol") or "PLAINTEXT")
    settings: dict[str, Any] = {"security.protocol": protocol.lower()}
    if protocol.endswith("SSL"):
        settings["enable.ssl.certificate.verification"] = bool(config.get("verifyTls", True))
        ca_bundle = config.get("kafkaCaBundle") or config.get("caBundle")
        if ca_bundle:
            settings["ssl.ca.location"] = ca_bundle
        if config.get("kafkaClientCertificate"):
            settings["ssl.certificate.location"] = config["kafkaClientCertificate"]
            settings["ssl.key.location"] = config["kafkaClientKey"]
            if config.get("kafkaClientKeyPassword"):
                settings["ssl.key.password"] = config["kafkaClientKeyPassword"]
    if protocol.startswith("SASL_"):
        settings.update(
            {
                "sasl.mechanism": config["kafkaSaslMechanism"],
                "sasl.username": config["kafkaUsername"],
                "sasl.password": config["kafkaPassword"],
            }
        )
    return settings


def _tls_field(exc: Exception, security: Mapping[str, Any]) -> str:
    """The config key behind librdkafka's "<setting> failed" at producer creation."""
    text = str(exc)
    for setting, key in (
        ("ssl.key", "kafkaClientKey"),
        ("ssl.certificate", "kafkaClientCertificate"),
        ("ssl.ca", "kafkaCaBundle"),
    ):
        if setting in text:
            return key
    return "kafkaClientCertificate" if "ssl.certificate.location" in security else "kafkaSecurityProtocol"


def _tls_problem(exc: Exception, security: Mapping[str, Any]) -> str:
    """Which file librdkafka could not use, without its own text (which may quote key material or its path's
    neighbours) and never the passphrase."""
    field = _tls_field(exc, security)
    return (
        f"The Kafka TLS settings could not be loaded ({field}): check that the files exist, are PEM, that the key "
        "matches the certificate and that kafkaClientKeyPassword opens the key."
    )


class KafkaPublisher:
    def __init__(self, servers: str, topic: str, key: str, timeout: float, security: Mapping[str, Any]) -> None:
        from confluent_kafka import KafkaException, Producer

        self.topic, self.key, self.timeout = topic, key.encode(), timeout
        try:
            self.producer = Producer(
                {
                    "bootstrap.servers": servers,
                    "enable.idempotence": True,
                    "acks": "all",
                    "message.timeout.ms": int(max(timeout, 1.0) * 1000),
                    "client.id": "netweave",
                    **security,
                },
                logger=logging.getLogger("plugins.smo.onap.kafka"),  # librdkafka's log lines into netweave's log
            )
        except KafkaException as exc:  # librdkafka read the CA, certificate or key at creation and could not
            raise InvalidRequest(_tls_problem(exc, security), field=_tls_field(exc, security)) from None

    def publish(self, events: Sequence[dict[str, Any]]) -> None:
        failures: list[str] = []

        def delivered(error: Any, message: Any) -> None:
            if error is not None:
                failures.append(str(error.name() if hasattr(error, "name") else error))

        for event in events:
            self.producer.produce(self.topic, json.dumps(event).encode(), key=self.key, on_delivery=delivered)
        remaining = self.producer.flush(self.timeout)
        if remaining or failures:
            # Drop what is still queued: the batch is re-sent whole (and counted), after anything newer cannot be.
            self.producer.purge()
            reason = failures[0] if failures else f"{remaining} not acknowledged in {self.timeout:g}s"
            raise BackendUnavailable(f"Kafka did not take the VES events ({reason})")

    def close(self) -> None:
        self.producer.flush(1.0)
