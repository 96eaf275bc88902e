"""The fake Google Cloud of tests/gke/fake_gcp.py for the gke IMS plugin's tests.

It runs in the test process (a gRPC server and an HTTP server on free loopback ports, no external program), so
these tests stay in the unit stage; they carry the `gke` marker. Each test gets a fresh fake and a fresh service
account whose key (RSA, generated here) signs the JWT the fake's token endpoint verifies.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.gke import fake_gcp

PROJECT = "netweave-ran-prod"
LOCATION = "europe-west1"
ZONES = ["europe-west1-b", "europe-west1-c", "europe-west1-d"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gke)


@pytest.fixture(scope="session")
def service_account_key() -> tuple[str, str]:
    """(private key PEM, public key PEM) of the test's service account."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def gcp(service_account_key: tuple[str, str]) -> Iterator[fake_gcp.FakeGcp]:
    fake = fake_gcp.start(PROJECT, service_account_key[1])
    yield fake
    fake.stop()


def credentials_json(gcp: fake_gcp.FakeGcp, private_key: str) -> str:
    """A service-account key file, multi-line as Google's console downloads it."""
    return json.dumps(
        {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "0123456789abcdef",
            "private_key": private_key,
            "client_email": f"netweave@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "100000000000000000001",
            "token_uri": gcp.token_uri,
        },
        indent=2,
    )


@pytest.fixture
def gke_config(gcp: fake_gcp.FakeGcp, service_account_key: tuple[str, str]) -> dict[str, Any]:
    return {
        "projectId": PROJECT,
        "credentialsJson": credentials_json(gcp, service_account_key[0]),
        "containerEndpoint": gcp.grpc_endpoint,
        "computeEndpoint": gcp.compute_endpoint,
        "loopbackPlaintext": True,
        "operationPollSeconds": 0.02,
        "operationTimeoutSeconds": 30,
        "ocloudId": "ocloud-gke-test",
    }


@pytest.fixture
def make_gke_instance(db: None, gke_config: dict[str, Any]) -> Callable[..., Any]:
    """Save a `gke` PluginInstance whose service-account key is an encrypted Secret (multi-line JSON)."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_ref, set_secret_value

    def make(name: str = "gke-ims", *, default: bool = True, **config: Any) -> Any:
        secret = set_secret_value(Secret(name=f"{name}-key"), gke_config["credentialsJson"])
        return PluginInstance.objects.create(
            name=name,
            category="ims",
            plugin_type="gke",
            is_default=default,
            sync_interval=0,
            config={**gke_config, **config, "credentialsJson": secret_ref(secret.name)},
        )

    return make


@pytest.fixture
def forget_plugin_objects() -> Iterator[None]:
    yield
    from plugins import registry

    registry.forget_all()
