"""Shared fixtures: an HTTP client that validates every O2 response against the published OpenAPI schema,
and a mock IMS plugin instance backed by a throw-away state file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.o2client import O2Client

# A real kube-apiserver + etcd for any test that asks for `kube_cluster` (tests/k8s/README.md).
pytest_plugins = ["tests.k8s_harness"]


@pytest.fixture
def o2(client: Any) -> O2Client:
    """Django's test client, validating each response against our OpenAPI document."""
    return O2Client(client)


@pytest.fixture
def make_mock_instance(db: None, tmp_path: Path) -> Callable[..., Any]:
    """Create a mock IMS PluginInstance row with its own state file (no sync is run)."""
    from plugins.models import PluginInstance

    def make(name: str = "mock-ims", *, default: bool = True, **config: Any) -> PluginInstance:
        config.setdefault("stateFile", str(tmp_path / f"{name}.sqlite3"))
        config.setdefault("resources", 30)
        return PluginInstance.objects.create(
            name=name, category="ims", plugin_type="mock", is_default=default, config=config, sync_interval=0
        )

    return make


@pytest.fixture
def synced_mock(make_mock_instance: Callable[..., Any]) -> Any:
    """A default mock IMS instance, synced once."""
    from inventory.sync import sync_instance

    instance = make_mock_instance()
    sync_instance(instance)
    return instance
