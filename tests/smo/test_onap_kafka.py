"""The ONAP plugin's VES events on a real Kafka broker (KRaft, from Maven Central jars): consumed back in order
and complete, across a broker restart and across a broker outage that fails a publish (re-sent and counted); then,
on the same broker's SASL_PLAINTEXT listener, a SASL/PLAIN instance publishes and a wrong password is refused; and
on its SSL listener, which requires a client certificate, an instance with the CA's certificate publishes while one
with a stranger's certificate, one with none and one that does not trust the broker's CA are refused."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.utils import timezone

from inventory.models import ChangeLogEntry
from plugins import registry
from smo import northbound
from smo.models import NorthboundCursor, OutboundEvent
from tests.o2client import json_of
from tests.smo.kafka_harness import CLIENT_KEY_PASSWORD, SASL_PASSWORD, SASL_USER

pytestmark = [pytest.mark.django_db, pytest.mark.backend, pytest.mark.kafka]
EXT = "/netweave-ims-ext/v1/resourcePools"
TOPIC = "netweave.ves.test"


def make_pools(o2: Any, prefix: str, count: int) -> list[str]:
    return [
        json_of(o2.post(EXT, {"name": f"{prefix}-{i}", "location": "Oslo"}))["resourcePoolId"] for i in range(count)
    ]


def test_events_in_order_and_complete_across_broker_restarts(
    o2, synced_mock, fake_aai, make_onap_smo, kafka_broker: Any
) -> None:
    instance = make_onap_smo(kafkaBootstrapServers=kafka_broker.bootstrap, eventTopic=TOPIC, timeoutSeconds=5)
    northbound.step(instance)  # full sync; events start here
    first = make_pools(o2, "before", 5)
    assert not northbound.step(instance).errors

    kafka_broker.restart()  # a clean restart: the producer reconnects
    second = make_pools(o2, "after-restart", 5)
    assert not northbound.step(instance).errors

    kafka_broker.stop()  # an outage: the publish fails and backs off; nothing is lost
    third = make_pools(o2, "during-outage", 5)
    result = northbound.step(instance)
    assert any("Kafka" in error for error in result.errors), result.errors
    assert OutboundEvent.objects.filter(instance=instance, status="pending").count() >= 5
    kafka_broker.start()
    for _ in range(10):
        NorthboundCursor.objects.filter(instance=instance).update(event_next_attempt=timezone.now())
        if (
            not northbound.step(instance).errors
            and not OutboundEvent.objects.filter(instance=instance, status="pending").exists()
        ):
            break

    cursor = NorthboundCursor.objects.get(instance=instance)
    expected = list(
        ChangeLogEntry.objects.filter(id__gt=0, object_id__in=first + second + third)
        .order_by("id")
        .values_list("id", flat=True)
    )
    messages = [json.loads(m) for m in kafka_broker.consume(TOPIC, len(expected))]  # the whole topic
    headers = [m["event"]["commonEventHeader"] for m in messages]
    sequences = [h["sequence"] for h in headers]
    assert set(expected) <= set(sequences)  # complete
    unique = list(dict.fromkeys(sequences))
    assert unique == sorted(unique)  # in change-log order
    assert len(sequences) - len(unique) <= cursor.duplicates  # every re-send is counted
    assert {h["sourceId"] for h in headers} >= set(first + second + third)
    registry.forget(instance.pk)  # close the producer before the broker goes

    # SASL/PLAIN on the same broker (one broker start per session): the password comes from the secret store.
    sasl = make_onap_smo(
        "onap-sasl", default=False, eventTopic=f"{TOPIC}.sasl", timeoutSeconds=3, **sasl_config(kafka_broker)
    )
    northbound.step(sasl)
    make_pools(o2, "sasl", 1)
    assert not northbound.step(sasl).errors
    assert kafka_broker.consume(f"{TOPIC}.sasl", 1)
    wrong = make_onap_smo(
        "onap-sasl-wrong",
        default=False,
        eventTopic=f"{TOPIC}.sasl",
        timeoutSeconds=3,
        **sasl_config(kafka_broker, "wrong"),
    )
    northbound.step(wrong)
    make_pools(o2, "sasl-wrong", 1)
    assert any("Kafka did not take" in error for error in northbound.step(wrong).errors)
    registry.forget(sasl.pk)
    registry.forget(wrong.pk)


def test_mtls_client_certificates_on_the_ssl_listener(
    o2, admin_client, synced_mock, fake_aai, make_onap_smo, kafka_broker: Any
) -> None:
    if kafka_broker.process is None:  # the session's broker, left stopped by a failed test before this one
        kafka_broker.start()
    tls, topic = kafka_broker.tls, f"{TOPIC}.mtls"
    good = make_onap_smo("onap-mtls", default=False, eventTopic=topic, timeoutSeconds=3, **mtls_config(kafka_broker))
    refused = {
        "stranger": make_onap_smo(
            "onap-mtls-stranger",
            default=False,
            eventTopic=topic,
            timeoutSeconds=3,
            **mtls_config(kafka_broker, tls.stranger_certificate, tls.stranger_key, key_password=None),
        ),
        "no certificate": make_onap_smo(
            "onap-mtls-anonymous",
            default=False,
            eventTopic=topic,
            timeoutSeconds=3,
            kafkaBootstrapServers=kafka_broker.ssl_bootstrap,
            kafkaSecurityProtocol="SSL",
            kafkaCaBundle=str(tls.ca),
        ),
        "untrusted broker": make_onap_smo(
            "onap-mtls-distrust",
            default=False,
            eventTopic=topic,
            timeoutSeconds=3,
            **{**mtls_config(kafka_broker), "kafkaCaBundle": str(tls.rogue_ca)},
        ),
    }
    for instance in [good, *refused.values()]:
        northbound.step(instance)  # full sync; events start here
    make_pools(o2, "mtls", 1)
    assert not northbound.step(good).errors
    [message] = kafka_broker.consume(topic, 1)
    assert json.loads(message)["event"]["commonEventHeader"]["sourceName"] == "netweave"
    for what, instance in refused.items():
        errors = northbound.step(instance).errors
        assert any("Kafka did not take" in error for error in errors), (what, errors)
    assert len(kafka_broker.consume(topic, 1)) == 1  # the whole topic: nothing from the refused ones
    # The key's passphrase is a Secret reference: neither the operator API nor the admin shows it.
    shown = o2.get("/netweave-admin-ext/v1/pluginInstances/onap-mtls")
    assert shown.status_code == 200
    page = admin_client.get(f"/admin/plugins/plugininstance/{good.pk}/change/")
    for content in (shown.content, page.content):
        assert CLIENT_KEY_PASSWORD.encode() not in content
    for instance in [good, *refused.values()]:
        registry.forget(instance.pk)


def secret(name: str, value: str) -> str:
    from plugins.models import Secret
    from plugins.secrets import secret_ref, set_secret_value

    stored = Secret.objects.create(name=name, provider="env", reference="UNUSED")
    set_secret_value(stored, value)
    return secret_ref(stored.name)


def mtls_config(
    broker: Any, certificate: Any = None, key: Any = None, key_password: str | None = CLIENT_KEY_PASSWORD
) -> dict[str, Any]:
    config = {
        "kafkaBootstrapServers": broker.ssl_bootstrap,
        "kafkaSecurityProtocol": "SSL",
        "kafkaCaBundle": str(broker.tls.ca),
        "kafkaClientCertificate": str(certificate or broker.tls.client_certificate),
        "kafkaClientKey": str(key or broker.tls.client_key),
    }
    if key_password is not None:
        config["kafkaClientKeyPassword"] = secret(f"kafka-key-{uuid.uuid4().hex[:8]}", key_password)
    return config


def sasl_config(broker: Any, password: str = SASL_PASSWORD) -> dict[str, Any]:
    return {
        "kafkaBootstrapServers": broker.sasl_bootstrap,
        "kafkaSecurityProtocol": "SASL_PLAINTEXT",
        "kafkaSaslMechanism": "PLAIN",
        "kafkaUsername": SASL_USER,
        "kafkaPassword": secret(f"kafka-{password}", password),
    }
