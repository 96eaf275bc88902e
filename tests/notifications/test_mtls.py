"""mTLS towards the SMO: an https receiver that requires a client certificate signed by its CA; the SMO endpoint
carries the client certificate and key as Secrets and the CA that signs the receiver's certificate."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from inventory.models import Notification, SmoEndpoint
from inventory.notifications import auth, callbacks, delivery
from inventory.sync import reconcile
from plugins.models import Secret
from plugins.sdk import ims as sdk
from plugins.secrets import set_secret_value
from tests.loopback import serving, url_of
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    subject: str, key: Any, issuer: tuple[str, Any] | None, *, ca: bool = False, ip: str | None = None
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip:
        names = [x509.IPAddress(ipaddress.ip_address(ip)), x509.DNSName("receiver.test")]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(obj: Any) -> str:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM).decode()
    return obj.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class _Handler(BaseHTTPRequestHandler):
    peers: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cert = self.connection.getpeercert()  # type: ignore[attr-defined]
        _Handler.peers.append(dict(x[0] for x in cert["subject"])["commonName"])
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    ca_key, server_key, client_key = _key(), _key(), _key()
    ca = _cert("test-ca", ca_key, None, ca=True)
    return {
        "ca": _pem(ca),
        "server_cert": _pem(_cert("receiver", server_key, ("test-ca", ca_key), ip="127.0.0.1")),
        "server_key": _pem(server_key),
        "client_cert": _pem(_cert("netweave-client", client_key, ("test-ca", ca_key))),
        "client_key": _pem(client_key),
    }


@pytest.fixture
def tls_receiver(pki: dict[str, str], tmp_path: Path, allow_loopback: None) -> Iterator[str]:
    (tmp_path / "server.pem").write_text(pki["server_cert"] + pki["server_key"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    context.load_verify_locations(cadata=pki["ca"])
    context.verify_mode = ssl.CERT_REQUIRED
    with serving(_Handler, tls=context) as server:
        yield url_of(server, "https")


def _secret(name: str, value: str) -> Secret:
    return set_secret_value(Secret(name=name, provider=Secret.Provider.ENCRYPTED), value)


def test_mtls_client_certificate(o2: O2Client, pki: dict[str, str], tls_receiver: str, ims_instance: Any) -> None:
    _Handler.peers.clear()
    sub = subscribe(o2, tls_receiver + "/n")
    reconcile(ims_instance, sdk.Inventory(None, [sdk.ResourcePool("p", "p")], None, None))
    # Without the client certificate, the receiver refuses the TLS handshake.
    SmoEndpoint.objects.create(name="no-cert", base_url=tls_receiver, ca_certificate=pki["ca"])
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.FAILED
    assert _Handler.peers == []

    SmoEndpoint.objects.filter(name="no-cert").update(
        client_certificate=_secret("smo-cert", pki["client_cert"]), client_key=_secret("smo-key", pki["client_key"])
    )
    SmoEndpoint.objects.get().save()  # a changed endpoint gets a new HTTP client
    auth.forget_endpoints()  # workers re-read endpoints within auth.ENDPOINT_CACHE_SECONDS
    Notification.objects.update(next_attempt=Notification.objects.get().created)
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.EMPTY
    assert _Handler.peers == ["netweave-client"]


def test_pinned_https_verifies_the_certificate_for_the_name(
    o2: O2Client, pki: dict[str, str], tls_receiver: str, ims_instance: Any, settings: Any
) -> None:
    """A callback by name is connected to the checked address, with the name in SNI and certificate checks."""
    _Handler.peers.clear()
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["receiver.test"]
    port = tls_receiver.rsplit(":", 1)[1]
    SmoEndpoint.objects.create(
        name="by-name",
        base_url="https://receiver.test",
        ca_certificate=pki["ca"],
        client_certificate=_secret("smo-cert", pki["client_cert"]),
        client_key=_secret("smo-key", pki["client_key"]),
    )
    callbacks.set_resolver(lambda host, _: ["127.0.0.1"] if host == "receiver.test" else [])
    try:
        sub = subscribe(o2, f"https://receiver.test:{port}/n")
        reconcile(ims_instance, sdk.Inventory(None, [sdk.ResourcePool("p", "p")], None, None))
        assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.EMPTY
    finally:
        callbacks.set_resolver(None)
    assert _Handler.peers == ["netweave-client"]
