"""Self-made credentials for the security tests: signing keys served by a real JWKS endpoint on loopback, and a
certificate authority issuing client certificates."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.loopback import serving, url_of

ISSUER = "https://idp.example.test/realms/o2"
AUDIENCE = "netweave"


@dataclass
class JwksServer:
    """A real HTTP server thread serving `keys` as a JWKS document; counts how often it is fetched."""

    url: str = ""
    keys: list[dict[str, Any]] = field(default_factory=list)
    fetches: int = 0


@dataclass
class SigningKey:
    kid: str
    private: Any
    algorithm: str

    def jwk(self) -> dict[str, Any]:
        algo = jwt.get_algorithm_by_name(self.algorithm)
        data = json.loads(algo.to_jwk(self.private.public_key()))
        data.update(kid=self.kid, alg=self.algorithm, use="sig")
        return data

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid, **header})


def rsa_key(kid: str) -> SigningKey:
    return SigningKey(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")


def ec_key(kid: str) -> SigningKey:
    return SigningKey(kid, ec.generate_private_key(ec.SECP256R1()), "ES256")


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            body = json.dumps({"keys": state.keys}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as server:
        state.url = url_of(server) + "/realms/o2/protocol/openid-connect/certs"
        yield state


@pytest.fixture
def oidc(settings: Any, jwks_server: JwksServer) -> JwksServer:
    """netweave configured for OIDC against the local JWKS server (a fresh key cache per test)."""
    settings.NETWEAVE_OIDC_JWKS_URL = jwks_server.url
    settings.NETWEAVE_OIDC_ISSUER = ISSUER
    settings.NETWEAVE_OIDC_AUDIENCE = AUDIENCE
    settings.NETWEAVE_OIDC_LEEWAY = 30
    settings.NETWEAVE_OIDC_JWKS_MIN_REFRESH = 0
    return jwks_server


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC)
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "smo-operator",
        "iat": now,
        "exp": now + datetime.timedelta(minutes=5),
        "roles": ["reader"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


# -- certificates


@dataclass
class Issued:
    certificate: x509.Certificate
    key: Any

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass
class CertificateAuthority:
    name: str
    issued: Issued = field(init=False)

    def __post_init__(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.name)])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        self.issued = Issued(certificate, key)

    @property
    def pem(self) -> bytes:
        return self.issued.pem

    def issue(self, common_name: str, *units: str, server_ip: str | None = None, expired: bool = False) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        attributes += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit) for unit in units]
        now = datetime.datetime.now(datetime.UTC)
        start, end = (
            (now - datetime.timedelta(days=3), now - datetime.timedelta(days=1))
            if expired
            else (
                now - datetime.timedelta(days=1),
                now + datetime.timedelta(days=10),
            )
        )
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server_ip else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(attributes))
            .issuer_name(self.issued.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issued.key.public_key()), critical=False
            )
        )
        if server_ip:
            import ipaddress

            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(server_ip))]), critical=False
            )
        return Issued(builder.sign(self.issued.key, hashes.SHA256()), key)


@pytest.fixture(scope="session")
def ca() -> CertificateAuthority:
    return CertificateAuthority("netweave test CA")


@pytest.fixture(scope="session")
def other_ca() -> CertificateAuthority:
    return CertificateAuthority("somebody else's CA")


@pytest.fixture
def trust_ca(settings: Any, tmp_path: Any, ca: CertificateAuthority) -> Callable[[], str]:
    """Configure NETWEAVE_MTLS_CA_FILE with the test CA; returns the file path."""
    path = tmp_path / "ca.pem"
    path.write_bytes(ca.pem)
    settings.NETWEAVE_MTLS_CA_FILE = str(path)
    return lambda: str(path)
