"""A real single-node Apache Kafka broker (KRaft: broker and controller in one process) for the ONAP SMO plugin's
tests, from the Maven Central jars scripts/backends.py keeps in the machine cache (entry kafka) (BACKENDS.md).

The broker gets free loopback ports and a throw-away data folder; `restart()` stops and starts it on the same
ports and data, as a broker restart in production would. If it cannot be provided the tests fail, never skip."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 90.0
SASL_USER, SASL_PASSWORD = "netweave", "kafka-sasl-secret"  # the SASL_PLAINTEXT listener's one PLAIN user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class KafkaBroker:
    def __init__(self, workdir: Path) -> None:
        self.libs = (
            subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "backends.py"), "path", "kafka"],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        self.workdir = workdir
        self.port, self.controller_port, self.sasl_port = _free_port(), _free_port(), _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.sasl_bootstrap = f"127.0.0.1:{self.sasl_port}"  # SASL_PLAINTEXT, mechanism PLAIN
        self.config = workdir / "server.properties"
        self.log = workdir / "broker.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.config.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.voters=1@127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},SASL_PLAINTEXT://127.0.0.1:{self.sasl_port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,"
                    "CONTROLLER:PLAINTEXT",
                    "sasl.enabled.mechanisms=PLAIN",
                    "listener.name.sasl_plaintext.plain.sasl.jaas.config="
                    "org.apache.kafka.common.security.plain.PlainLoginModule required "
                    f'user_{SASL_USER}="{SASL_PASSWORD}";',
                    "inter.broker.listener.name=PLAINTEXT",
                    f"log.dirs={workdir / 'data'}",
                    "num.partitions=1",
                    "auto.create.topics.enable=true",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "",
                ]
            )
        )
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(self.config), wait=True)

    def _java(self, main: str, *args: str, wait: bool = False) -> subprocess.Popen[bytes]:
        command = ["java", "-Xms128m", "-Xmx512m", "-cp", f"{self.libs}/*", main, *args]
        log = self.log.open("ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        if wait and process.wait(timeout=120) != 0:
            raise RuntimeError(f"{main} {' '.join(args)} failed: {self.log.read_text()[-2000:]}")
        return process

    def start(self) -> None:
        self.process = self._java("kafka.Kafka", str(self.config))
        deadline = time.monotonic() + START_SECONDS
        from confluent_kafka.admin import AdminClient

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Kafka broker exited: {self.log.read_text()[-3000:]}")
            try:
                if admin.list_topics(timeout=2).brokers:
                    return
            except Exception:  # the broker is still starting
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the Kafka broker did not answer in {START_SECONDS:g}s") from None
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def consume(self, topic: str, expected: int, timeout: float = 60.0) -> list[Any]:
        """Every message of `topic` from the beginning, waiting until at least `expected` arrived."""
        from confluent_kafka import Consumer

        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"netweave-test-{uuid.uuid4()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
            }
        )
        consumer.subscribe([topic])
        messages: list[Any] = []
        deadline = time.monotonic() + timeout
        try:
            while len(messages) < expected and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is not None and message.error() is None:
                    messages.append(message.value())
        finally:
            consumer.close()
        return messages


@pytest.fixture
def kafka_broker(tmp_path: Path) -> Any:
    try:
        broker = KafkaBroker(tmp_path)
        broker.start()
    except Exception as exc:  # never a skip: a backend that cannot start is a failure (here and under CI)
        pytest.fail(f"the Kafka test backend could not be provided: {exc}", pytrace=False)
    yield broker
    broker.stop()
