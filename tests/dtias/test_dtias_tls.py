"""The DTIAS plugin over HTTPS: the fake served with a throw-away self-signed certificate for 127.0.0.1. With that
certificate as caBundle the instance is healthy and syncs; with the system's CAs it is unhealthy and says why."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inventory.sync import sync_instance
from plugins import registry
from tests.dtias.fake_dtias import FakeDTIASServer, FakeState

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("forget_plugin_objects")]


def self_signed(directory: Path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "dtias.pem", directory / "dtias.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_file), str(key_file)


@pytest.fixture
def tls_dtias(tmp_path: Path) -> Iterator[tuple[FakeDTIASServer, str]]:
    state = FakeState()
    state.add_servers(4)
    cert, key = self_signed(tmp_path)
    server = FakeDTIASServer(state, tls=(cert, key)).start()
    yield server, cert
    server.stop()


def test_ca_bundle_verifies_the_server(tls_dtias: tuple[FakeDTIASServer, str], make_dtias_instance: Any) -> None:
    server, cert = tls_dtias
    instance = make_dtias_instance(server, caBundle=cert)
    status = registry.check_health(instance)
    assert status.healthy, status.message
    assert sync_instance(instance).changed > 0


def test_without_the_ca_the_certificate_is_not_verified(
    tls_dtias: tuple[FakeDTIASServer, str], make_dtias_instance: Any
) -> None:
    server, _ = tls_dtias
    status = registry.check_health(make_dtias_instance(server))
    assert not status.healthy
    assert "the TLS certificate of DTIAS could not be verified" in status.message
    assert server.state.password not in status.message
