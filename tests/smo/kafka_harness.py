"""A real single-node Apache Kafka broker (KRaft: broker and controller in one process) for the ONAP SMO plugin's
tests, from the Maven Central jars scripts/backends.py keeps in the machine cache (entry kafka) (BACKENDS.md).

The broker gets free loopback ports and a throw-away data folder; `restart()` stops and starts it on the same
ports and data, as a broker restart in production would. If it cannot be provided the tests fail, never skip.

Listeners: PLAINTEXT; SASL_PLAINTEXT (PLAIN, one user); SSL with `ssl.client.auth=required` (mTLS), its keystore
and truststore in PEM (`ssl.keystore.type=PEM`), signed by a throw-away CA made here with `cryptography`
(`TlsFiles`: the CA, the broker's certificate, a client certificate the CA signed and one from another CA)."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
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
# The tests' broker starts four JVMs (the storage format, a start, a restart, a start after the outage) and moves
# a few hundred messages: the client JIT only and the serial collector start it with about 40 % less CPU
# (measured: docs/benchmarks.md, "Test suite"). The bench keeps the JVM's defaults (KafkaBroker(..., jvm=())).
QUICK_START_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
SASL_USER, SASL_PASSWORD = "netweave", "kafka-sasl-secret"  # the SASL_PLAINTEXT listener's one PLAIN user


CLIENT_KEY_PASSWORD = "client-key-pass"  # netweave's client key is encrypted too: kafkaClientKeyPassword opens it


class TlsFiles:
    """PEM files for the SSL listener and its clients, under `folder`."""

    def __init__(self, folder: Path) -> None:
        from cryptography.hazmat.primitives import serialization

        folder.mkdir(parents=True, exist_ok=True)
        ca, ca_key = _certificate("netweave test Kafka CA", None, None)
        rogue, rogue_key = _certificate("some other CA", None, None)
        broker, broker_key = _certificate("127.0.0.1", ca, ca_key, server=True)
        client, client_key = _certificate("netweave", ca, ca_key)
        stranger, stranger_key = _certificate("netweave", rogue, rogue_key)

        def pem(*items: Any) -> bytes:
            return b"".join(item.public_bytes(serialization.Encoding.PEM) for item in items)

        def key(private: Any, password: str | None = None) -> bytes:
            encryption: Any = (
                serialization.NoEncryption()
                if password is None
                else serialization.BestAvailableEncryption(password.encode())
            )
            return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)

        self.ca = folder / "ca.pem"
        self.ca.write_bytes(pem(ca))
        self.rogue_ca = folder / "rogue-ca.pem"
        self.rogue_ca.write_bytes(pem(rogue))
        # Kafka's PEM keystore file: the (unencrypted PKCS#8) key, then the chain; no ssl.key.password then.
        self.broker_keystore = folder / "broker-keystore.pem"
        self.broker_keystore.write_bytes(key(broker_key) + pem(broker, ca))
        self.client_certificate = folder / "client.pem"
        self.client_certificate.write_bytes(pem(client))
        self.client_key = folder / "client-key.pem"
        self.client_key.write_bytes(key(client_key, CLIENT_KEY_PASSWORD))
        self.stranger_certificate = folder / "stranger.pem"
        self.stranger_certificate.write_bytes(pem(stranger))
        self.stranger_key = folder / "stranger-key.pem"
        self.stranger_key.write_bytes(key(stranger_key))


def _certificate(name: str, issuer: Any, issuer_key: Any, server: bool = False) -> tuple[Any, Any]:
    """A certificate for `name` signed by `issuer` (None: a self-signed CA), and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer is not None else subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if issuer is None:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        purpose = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
    if server:
        names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key if issuer is not None else private, hashes.SHA256()), private


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class KafkaBroker:
    def __init__(self, workdir: Path, jvm: tuple[str, ...] = ()) -> None:
        self.jvm = jvm
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
        self.ssl_port = _free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.sasl_bootstrap = f"127.0.0.1:{self.sasl_port}"  # SASL_PLAINTEXT, mechanism PLAIN
        self.ssl_bootstrap = f"127.0.0.1:{self.ssl_port}"  # SSL, client certificate required
        self.tls = TlsFiles(workdir / "tls")
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
                    f"SSL://127.0.0.1:{self.ssl_port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"SASL_PLAINTEXT://127.0.0.1:{self.sasl_port},SSL://127.0.0.1:{self.ssl_port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,"
                    "CONTROLLER:PLAINTEXT",
                    "listener.name.ssl.ssl.client.auth=required",
                    "listener.name.ssl.ssl.keystore.type=PEM",
                    f"listener.name.ssl.ssl.keystore.location={self.tls.broker_keystore}",
                    "listener.name.ssl.ssl.truststore.type=PEM",
                    f"listener.name.ssl.ssl.truststore.location={self.tls.ca}",
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
        command = ["java", *self.jvm, "-Xms128m", "-Xmx512m", "-cp", f"{self.libs}/*", main, *args]
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
        """Every message of `topic`, from its beginning to its end (the partition-EOF event of each of its
        partitions) once at least `expected` were read; or what was read by `timeout`. Callers consume after the
        publisher's delivery reports came back, so the end is everything the topic holds, repeats included: no
        fixed wait for messages that may or may not come."""
        from confluent_kafka import Consumer, KafkaError

        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"netweave-test-{uuid.uuid4()}",
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        consumer.subscribe([topic])
        messages: list[Any] = []
        at_end: set[int] = set()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is None:
                    continue
                if message.error() is None:
                    messages.append(message.value())
                    at_end.discard(message.partition())
                elif message.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition())
                    assigned = {part.partition for part in consumer.assignment()}
                    if len(messages) >= expected and assigned <= at_end:
                        break
        finally:
            consumer.close()
        return messages


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One broker per test session, shared by the Kafka tests (each uses its own topics)."""
    try:
        broker = KafkaBroker(tmp_path_factory.mktemp("kafka"), jvm=QUICK_START_JVM)
        broker.start()
    except Exception as exc:  # never a skip: a backend that cannot start is a failure (here and under CI)
        pytest.fail(f"the Kafka test backend could not be provided: {exc}", pytrace=False)
    yield broker
    broker.stop()
