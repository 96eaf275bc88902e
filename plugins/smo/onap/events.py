"""Where VES events go: DMaaP Message Router (REST, `POST /events/{topic}` with a JSON array), or Kafka straight
(as current ONAP does with Strimzi), with an idempotent producer (acks=all) and one message key so that the topic
keeps netweave's order."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import httpx

from plugins.sdk.errors import BackendUnavailable

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
    """librdkafka's security settings for the plugin config: TLS (`SSL`, `SASL_SSL`: the CA bundle and whether to
    verify the broker) and SASL (PLAIN or SCRAM; the password comes from the secret store)."""
    protocol = str(config.get("kafkaSecurityProtocol") or "PLAINTEXT")
    settings: dict[str, Any] = {"security.protocol": protocol.lower()}
    if protocol.endswith("SSL"):
        settings["enable.ssl.certificate.verification"] = bool(config.get("verifyTls", True))
        if config.get("caBundle"):
            settings["ssl.ca.location"] = config["caBundle"]
    if protocol.startswith("SASL_"):
        settings.update(
            {
                "sasl.mechanism": config["kafkaSaslMechanism"],
                "sasl.username": config["kafkaUsername"],
                "sasl.password": config["kafkaPassword"],
            }
        )
    return settings


class KafkaPublisher:
    def __init__(self, servers: str, topic: str, key: str, timeout: float, security: Mapping[str, Any]) -> None:
        from confluent_kafka import Producer

        self.topic, self.key, self.timeout = topic, key.encode(), timeout
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
