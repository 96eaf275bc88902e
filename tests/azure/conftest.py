"""The fake Azure of tests/azure/fake_arm.py for the azure IMS plugin's tests.

It runs in the test process (an HTTPS server on a free loopback port, its certificate generated per session), so
these tests stay in the unit stage; they carry the `azure` marker. Each test gets a fresh subscription state with
a fresh client secret; the real SDK clients reach it through armEndpoint, authorityHost and caBundle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.azure import fake_arm
from tests.dtias.test_dtias_tls import self_signed

GROUP = "rg-ran"
CLUSTER = "aks-ran"
REGION = "westeurope"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.azure)


@pytest.fixture(scope="session")
def arm_tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(certificate file, key file) of the fake's loopback TLS certificate; the certificate is the caBundle."""
    return self_signed(tmp_path_factory.mktemp("arm-tls"))


@pytest.fixture(scope="session")
def arm_server(arm_tls: tuple[str, str]) -> Iterator[fake_arm.FakeArmServer]:
    """One HTTPS server for the session; each test swaps in a fresh World (see `arm`)."""
    server = fake_arm.FakeArmServer(fake_arm.World(), *arm_tls).start()
    yield server
    server.stop()


@pytest.fixture
def arm(arm_server: fake_arm.FakeArmServer) -> Iterator[fake_arm.World]:
    world = fake_arm.World(base=arm_server.url)
    arm_server.world = world
    yield world
    assert not world.violations, world.violations


@pytest.fixture
def azure_config(arm: fake_arm.World, arm_server: fake_arm.FakeArmServer, arm_tls: tuple[str, str]) -> dict[str, Any]:
    return {
        "subscriptionId": arm.subscription,
        "tenantId": arm.tenant,
        "clientId": arm.client_id,
        "clientSecret": arm.client_secret,
        "armEndpoint": arm_server.url,
        "authorityHost": arm_server.url,
        "caBundle": arm_tls[0],
        "retryTotal": 0,
        "operationPollSeconds": 0.01,
        "operationTimeoutSeconds": 30,
        "ocloudId": "ocloud-aks-test",
    }


@pytest.fixture
def make_azure_instance(db: None, azure_config: dict[str, Any]) -> Callable[..., Any]:
    """Save an `azure` PluginInstance whose client secret (or certificate) is an encrypted Secret."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_ref, set_secret_value

    def make(name: str = "azure-ims", *, default: bool = True, **config: Any) -> Any:
        merged = {**azure_config, **config}
        key = "clientCertificate" if merged.get("clientCertificate") else "clientSecret"
        secret = set_secret_value(Secret(name=f"{name}-{key}"), merged[key])
        merged.pop("clientSecret" if key == "clientCertificate" else "clientCertificate", None)
        return PluginInstance.objects.create(
            name=name,
            category="ims",
            plugin_type="azure",
            is_default=default,
            sync_interval=0,
            config={**merged, key: secret_ref(secret.name)},
        )

    return make


@pytest.fixture(scope="session")
def certificate_pair() -> tuple[str, bytes]:
    """(certificate + private key PEM, as the service principal's credential; certificate PEM, as Entra ID has it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "netweave-aks-reader")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return (key_pem + cert_pem).decode(), cert_pem


@pytest.fixture
def client_certificate(arm: fake_arm.World, certificate_pair: tuple[str, bytes]) -> str:
    """The service principal's certificate credential (multi-line PEM), registered with the fake's Entra ID."""
    arm.certificate_pem = certificate_pair[1]
    return certificate_pair[0]


@pytest.fixture
def forget_plugin_objects() -> Iterator[None]:
    yield
    from plugins import registry

    registry.forget_all()
