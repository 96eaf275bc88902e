"""Client certificates: presented to netweave's own TLS listener, or forwarded by a trusted proxy.

Direct: gunicorn terminates TLS with `--ca-certs` and `--cert-reqs`, and the worker in
netweave.security.gunicorn puts the verified peer certificate (PEM) into the WSGI environ as SSL_CLIENT_CERT,
the name Apache and nginx use. Proxied: the proxy verifies the client and forwards its certificate in a header
(NETWEAVE_MTLS_PROXY_HEADER, URL-encoded PEM as nginx's $ssl_client_escaped_cert sends it); netweave believes
that header only when the connection comes from NETWEAVE_TRUSTED_PROXIES. Either way netweave verifies the
chain itself against NETWEAVE_MTLS_CA_FILE and the validity period, then takes the roles from the subject's
organizational units (OU=reader, OU=deployer, ...).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import Criticality, ExtensionPolicy, PolicyBuilder, Store, VerificationError
from django.conf import settings

from netweave.security.roles import Role, parse_roles

DIRECT_ENVIRON_KEY = "SSL_CLIENT_CERT"


class CertificateRejected(Exception):
    """The presented certificate is not acceptable; the message says why."""


@dataclass(frozen=True)
class VerifiedCertificate:
    subject: str
    roles: frozenset[Role]


# Web PKI rules for the chain, except that a client certificate need not carry a subjectAltName: many client
# certificates name their holder in the subject only.
_CLIENT_POLICY = ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
)


@functools.cache
def _trust_store(path: str) -> Store:
    return Store(x509.load_pem_x509_certificates(Path(path).read_bytes()))


def forwarded_header_meta_key() -> str:
    return "HTTP_" + settings.NETWEAVE_MTLS_PROXY_HEADER.upper().replace("-", "_")


def decode_forwarded(value: str) -> bytes:
    """A forwarded certificate: URL-encoded PEM, or PEM with its newlines folded into spaces."""
    text = unquote(value).strip()
    if "\n" not in text and "-----BEGIN CERTIFICATE-----" in text:
        body = text.removeprefix("-----BEGIN CERTIFICATE-----").removesuffix("-----END CERTIFICATE-----")
        text = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body.split()) + "\n-----END CERTIFICATE-----\n"
    return text.encode("ascii", errors="replace")


def verify(pem: bytes) -> VerifiedCertificate:
    """Parse and verify a client certificate against the configured CA; the roles come from its OUs."""
    ca_file = settings.NETWEAVE_MTLS_CA_FILE
    if not ca_file:
        raise CertificateRejected("Client certificates are not accepted: NETWEAVE_MTLS_CA_FILE is not set.")
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError:
        raise CertificateRejected("The client certificate cannot be parsed.") from None
    now = datetime.datetime.now(datetime.UTC)
    if certificate.not_valid_after_utc < now:
        raise CertificateRejected("The client certificate has expired.")
    verifier = (
        PolicyBuilder()
        .store(_trust_store(ca_file))
        .time(now)
        .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_CLIENT_POLICY)
        .build_client_verifier()
    )
    try:
        verifier.verify(certificate, [])
    except VerificationError:
        raise CertificateRejected("The client certificate is not issued by a trusted CA.") from None
    units = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    roles = parse_roles(str(attribute.value) for attribute in units)
    return VerifiedCertificate(subject=certificate.subject.rfc4514_string(), roles=roles)
