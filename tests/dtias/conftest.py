"""The fake DTIAS server (tests/dtias/fake_dtias.py) for the dtias plugin's tests: a real HTTP server on a free
loopback port per test, with 12 servers of two profiles in one site. It is a fake, not Dell's software (Dell publishes
no simulator), so these tests are in the unit stage; they are marked `dtias`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dtias.fake_dtias import FakeDTIASServer, FakeState


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.dtias)


@pytest.fixture
def dtias() -> Iterator[FakeDTIASServer]:
    state = FakeState()
    state.add_servers(12)
    server = FakeDTIASServer(state).start()
    yield server
    server.stop()


def plugin_config(server: FakeDTIASServer, **overrides: Any) -> dict[str, Any]:
    state = server.state
    return {
        "endpoint": server.url,
        "tenant": state.tenant,
        "clientId": state.client_id,
        "username": state.username,
        "password": state.password,
        "ocloudId": "ocloud-dtias-edge-1",
        "pageSize": 5,  # 12 servers: three pages
        "jobTimeoutSeconds": 10,
        **overrides,
    }


@pytest.fixture
def forget_plugin_objects() -> Iterator[None]:
    yield
    from plugins import registry

    registry.forget_all()


@pytest.fixture
def make_dtias_instance(db: None) -> Callable[..., Any]:
    """Save a `dtias` PluginInstance whose password is an encrypted Secret, as an operator would."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_ref, set_secret_value

    def make(server: FakeDTIASServer, name: str = "dtias-edge", *, default: bool = True, **config: Any) -> Any:
        settings = plugin_config(server, **config)
        secret = set_secret_value(Secret(name=f"{name}-password"), str(settings.pop("password")))
        return PluginInstance.objects.create(
            name=name,
            category="ims",
            plugin_type="dtias",
            is_default=default,
            sync_interval=0,
            config={**settings, "password": secret_ref(secret.name)},
        )

    return make
