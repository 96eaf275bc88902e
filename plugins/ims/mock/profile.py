"""The simulated clusters' `native_k8sapi` DMS profile (O2-REFERENCE.md §2): how an SMO would reach them.

Each mock deployment manager advertises `dmsProfiles: ["native_k8sapi"]`, so it serves that profile with the
same keys as the Kubernetes plugin: its API endpoint (the DM's `serviceUri`), the simulated cluster's CA
certificate and a ServiceAccount token. The CA and the token secret are made once per state file and kept in
its `meta` table, so every netweave process answers the same and a restart changes nothing. They open nothing:
the clusters are simulated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NATIVE_K8S_API = "native_k8sapi"
SERVICE_ACCOUNT = "system:serviceaccount:netweave-smo:o2dms"
TOKEN_SECONDS = 3600


def new_ca_certificate(common_name: str, now: dt.datetime) -> str:
    """A self-signed CA certificate (PEM) for the simulated clusters, valid ten years from `now`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def new_token_secret() -> str:
    return secrets.token_hex(32)


def service_account_token(secret: str, native_id: str, window: int) -> str:
    """The DM's token for one validity window: the same answer for every process within the window."""
    digest = hmac.new(secret.encode(), f"{native_id}:{window}".encode(), hashlib.sha256).hexdigest()
    return f"mock.{native_id}.{digest}"


def profile_data(
    *, service_uri: str, ca_certificate: str, token_secret: str, native_id: str, now: dt.datetime
) -> dict[str, str]:
    """The `extensions.profileData` of one simulated cluster (the Kubernetes plugin's keys)."""
    window = int(now.timestamp()) // TOKEN_SECONDS
    expires = dt.datetime.fromtimestamp((window + 1) * TOKEN_SECONDS, tz=dt.UTC)
    return {
        "cluster_api_endpoint": service_uri,
        "cluster_ca_cert": ca_certificate,
        "credential_type": "serviceAccountToken",
        "admin_user": SERVICE_ACCOUNT,
        "admin_client_cert": "",
        "admin_client_key": "",
        "admin_token": service_account_token(token_secret, native_id, window),
        "admin_token_expiration": expires.isoformat().replace("+00:00", "Z"),
    }
