"""The ONAP plugin's VES events on a real Kafka broker (KRaft, from Maven Central jars): consumed back in order
and complete, across a broker restart and across a broker outage that fails a publish (re-sent and counted); then,
on the same broker's SASL_PLAINTEXT listener, a SASL/PLAIN instance publishes and a wrong password is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from inventory.models import ChangeLogEntry
from plugins import registry
from smo import northbound
from smo.models import NorthboundCursor, OutboundEvent
from tests.o2client import json_of
from tests.smo.kafka_harness import SASL_PASSWORD, SASL_USER

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
    messages = [json.loads(m) for m in kafka_broker.consume(TOPIC, len(expected) + cursor.duplicates)]
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


def sasl_config(broker: Any, password: str = SASL_PASSWORD) -> dict[str, Any]:
    from plugins.models import Secret
    from plugins.secrets import secret_ref, set_secret_value

    secret = Secret.objects.create(name=f"kafka-{password}", provider="env", reference="UNUSED")
    set_secret_value(secret, password)
    return {
        "kafkaBootstrapServers": broker.sasl_bootstrap,
        "kafkaSecurityProtocol": "SASL_PLAINTEXT",
        "kafkaSaslMechanism": "PLAIN",
        "kafkaUsername": SASL_USER,
        "kafkaPassword": secret_ref(secret.name),
    }
