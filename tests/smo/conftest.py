"""Fixtures for the SMO tests: a custom SMO plugin instance pointed at the real local receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.notifications.test_mtls import pki  # noqa: F401 - the notification mTLS test's throw-away PKI
from tests.smo.kafka_harness import kafka_broker  # noqa: F401 - the real Kafka broker fixture

HMAC_KEY = "smo-shared-hmac-key"

NATIVE_OPERATIONS: dict[str, dict[str, Any]] = {
    "syncInventory": {"method": "POST", "path": "/inventory"},
    "publishEvents": {"method": "POST", "path": "/events"},
    "executeWorkflow": {"method": "POST", "path": "/workflows/{{ name }}/executions", "idField": "executionId"},
    "getWorkflowStatus": {"method": "GET", "path": "/executions/{{ executionId }}"},
    "cancelWorkflow": {"method": "DELETE", "path": "/executions/{{ executionId }}"},
}


@pytest.fixture
def make_custom_smo(db: None, receiver: Any) -> Callable[..., Any]:
    """Create a custom SMO PluginInstance talking to `receiver`, HMAC-signed with HMAC_KEY unless told otherwise;
    secrets are stored encrypted and referenced, as the admin and config import do."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_name_for, secret_ref, set_secret_value

    def make(
        name: str = "custom-smo",
        *,
        operations: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
        default: bool = True,
        **config: Any,
    ) -> Any:
        receiver.hmac_key = HMAC_KEY if secrets is None else receiver.hmac_key
        secrets = {"hmacSecret": HMAC_KEY} if secrets is None else secrets
        config.setdefault("auth", {"type": "hmac"})
        refs = {}
        for field, value in secrets.items():
            secret = Secret.objects.create(name=secret_name_for(name, field), provider="env", reference="UNUSED")
            set_secret_value(secret, value)
            refs[field] = secret_ref(secret.name)
        instance = PluginInstance.objects.create(
            name=name,
            category="smo",
            plugin_type="custom",
            is_default=default,
            config={"baseUrl": receiver.url, "operations": operations or NATIVE_OPERATIONS, **config, **refs},
            sync_interval=0,
        )
        instance.secrets.set(Secret.objects.filter(name__in=[r["secretRef"] for r in refs.values()]))
        return instance

    return make


@pytest.fixture
def fake_aai() -> Iterator[Any]:
    """The fake A&AI (tests/smo/aai_fake.py), on a free loopback port."""
    from tests.smo.aai_fake import FakeAai

    server = FakeAai().start()
    yield server
    server.stop()


@pytest.fixture
def make_onap_smo(db: None, fake_aai: Any) -> Callable[..., Any]:
    """Create an ONAP SMO PluginInstance writing to the fake A&AI (basic auth password as an encrypted Secret)."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_name_for, secret_ref, set_secret_value

    def make(name: str = "onap", *, default: bool = True, **config: Any) -> Any:
        secret = Secret.objects.create(name=secret_name_for(name, "password"), provider="env", reference="UNUSED")
        set_secret_value(secret, "aai-password")
        instance = PluginInstance.objects.create(
            name=name,
            category="smo",
            plugin_type="onap",
            is_default=default,
            config={
                "aaiUrl": fake_aai.url,
                "username": "aai@aai.onap.org",
                "password": secret_ref(secret.name),
                **config,
            },
            sync_interval=0,
        )
        instance.secrets.set([secret])
        return instance

    return make


@pytest.fixture
def fake_so() -> Iterator[Any]:
    """The fake ONAP SO (tests/smo/so_fake.py), on a free loopback port."""
    from tests.smo.so_fake import FakeSo

    server = FakeSo().start()
    yield server
    server.stop()


@pytest.fixture
def fake_onap() -> Iterator[Any]:
    """The fake SO with SDC's catalog and the Policy Framework beside it (tests/smo/onap_design_fake.py)."""
    from tests.smo.onap_design_fake import FakeOnap

    server = FakeOnap().start()
    yield server
    server.stop()
