"""Client certificates, self-made CA: presented directly (WSGI environ, and one real TLS connection to gunicorn),
and forwarded by a trusted or an untrusted proxy."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.o2client import O2Client, json_of
from tests.security.conftest import CertificateAuthority

OCLOUD = "/o2ims-infrastructureInventory/v1"
POOLS_EXT = "/netweave-ims-ext/v1/resourcePools"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def anon(anonymous_client: Any, db: None) -> O2Client:
    return O2Client(anonymous_client)


def direct(pem: bytes) -> dict[str, str]:
    return {"SSL_CLIENT_CERT": pem.decode()}


def forwarded(pem: bytes, peer: str = "127.0.0.1") -> dict[str, str]:
    return {"HTTP_X_SSL_CLIENT_CERT": quote(pem.decode()), "REMOTE_ADDR": peer}


def test_direct_certificate_roles_from_ou(anon: O2Client, ca: CertificateAuthority, trust_ca: Any) -> None:
    reader = ca.issue("smo-1", "reader")
    assert anon.get(OCLOUD, **direct(reader.pem)).status_code == 200
    response = anon.post(POOLS_EXT, {}, **direct(reader.pem))
    assert response.status_code == 403
    provisioner = ca.issue("smo-1", "provisioner")
    assert anon.post(POOLS_EXT, {}, **direct(provisioner.pem)).status_code == 400  # authorized; empty body refused


def test_certificate_from_another_ca_is_401(anon: O2Client, other_ca: CertificateAuthority, trust_ca: Any) -> None:
    response = anon.get(OCLOUD, **direct(other_ca.issue("smo-1", "admin").pem))
    assert response.status_code == 401
    assert "trusted CA" in json_of(response)["detail"]


def test_expired_certificate_says_it_expired(anon: O2Client, ca: CertificateAuthority, trust_ca: Any) -> None:
    response = anon.get(OCLOUD, **direct(ca.issue("smo-1", "reader", expired=True).pem))
    assert response.status_code == 401
    assert "expired" in json_of(response)["detail"]


def test_certificates_refused_without_a_configured_ca(anon: O2Client, ca: CertificateAuthority) -> None:
    response = anon.get(OCLOUD, **direct(ca.issue("smo-1", "reader").pem))
    assert response.status_code == 401
    assert "NETWEAVE_MTLS_CA_FILE" in json_of(response)["detail"]


def test_forwarded_certificate_from_a_trusted_proxy(
    anon: O2Client, ca: CertificateAuthority, trust_ca: Any, settings: Any
) -> None:
    settings.NETWEAVE_TRUSTED_PROXIES = ["10.0.0.5/32"]
    pem = ca.issue("smo-2", "reader").pem
    assert anon.get(OCLOUD, **forwarded(pem, peer="10.0.0.5")).status_code == 200
    folded = pem.decode().replace("\n", " ")  # some proxies fold the PEM onto one line
    assert anon.get(OCLOUD, HTTP_X_SSL_CLIENT_CERT=folded, REMOTE_ADDR="10.0.0.5").status_code == 200


def test_forwarded_certificate_from_an_untrusted_address_is_401(
    anon: O2Client, ca: CertificateAuthority, trust_ca: Any, settings: Any
) -> None:
    settings.NETWEAVE_TRUSTED_PROXIES = ["10.0.0.5/32"]
    response = anon.get(OCLOUD, **forwarded(ca.issue("smo-2", "admin").pem, peer="192.0.2.7"))
    assert response.status_code == 401
    assert "trusted proxy" in json_of(response)["detail"]


def test_forwarded_certificate_still_needs_the_trusted_ca(
    anon: O2Client, other_ca: CertificateAuthority, trust_ca: Any, settings: Any
) -> None:
    settings.NETWEAVE_TRUSTED_PROXIES = ["127.0.0.1"]
    assert anon.get(OCLOUD, **forwarded(other_ca.issue("smo-2", "admin").pem)).status_code == 401


def test_garbage_certificate_header_is_401(anon: O2Client, trust_ca: Any, settings: Any) -> None:
    settings.NETWEAVE_TRUSTED_PROXIES = ["127.0.0.1"]
    response = anon.get(OCLOUD, HTTP_X_SSL_CLIENT_CERT="-----BEGIN CERTIFICATE-----%0Agarbage", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 401


# -- one real TLS connection: gunicorn terminates TLS and verifies the client, netweave maps it to a principal


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# sqlite_only: the gunicorn under test runs on its own SQLite file whatever the pass's database, so the PostgreSQL
# pass would only repeat it.
@pytest.mark.sqlite_only
def test_gunicorn_terminates_mtls_and_passes_the_certificate(tmp_path: Path, ca: CertificateAuthority) -> None:
    (tmp_path / "ca.pem").write_bytes(ca.pem)
    server = ca.issue("netweave", server_ip="127.0.0.1")
    (tmp_path / "server.pem").write_bytes(server.pem)
    (tmp_path / "server.key").write_bytes(server.key_pem)
    client = ca.issue("smo-tls", "reader")
    (tmp_path / "client.pem").write_bytes(client.pem)
    (tmp_path / "client.key").write_bytes(client.key_pem)
    env = {
        **os.environ,
        "NETWEAVE_DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "NETWEAVE_MTLS_CA_FILE": str(tmp_path / "ca.pem"),
        "DJANGO_SETTINGS_MODULE": "netweave.settings",
    }
    python = str(Path(sys.executable))
    subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True, timeout=300)
    port = _free_port()
    gunicorn = [
        python, "-m", "gunicorn", "netweave.wsgi",
        "--bind", f"127.0.0.1:{port}",
        "--workers", "1",
        "--worker-class", "netweave.security.gunicorn.TLSClientCertWorker",
        "--certfile", str(tmp_path / "server.pem"),
        "--keyfile", str(tmp_path / "server.key"),
        "--ca-certs", str(tmp_path / "ca.pem"),
        "--cert-reqs", str(int(ssl.CERT_OPTIONAL)),
    ]  # fmt: skip
    process = subprocess.Popen(gunicorn, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        context.load_cert_chain(str(tmp_path / "client.pem"), str(tmp_path / "client.key"))
        anonymous_context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        url = f"https://127.0.0.1:{port}{OCLOUD}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with_cert = httpx.get(url, verify=context, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        assert with_cert.status_code == 200, with_cert.text
        assert with_cert.json()["oCloudId"]
        without = httpx.get(url, verify=anonymous_context, timeout=5)
        assert without.status_code == 401
        # A client cannot smuggle a certificate in a header to netweave's own TLS listener (no trusted proxy).
        smuggled = httpx.get(url, verify=anonymous_context, headers={"X-SSL-Client-Cert": quote(client.pem.decode())})
        assert smuggled.status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=30)
