"""Fixtures for subscription and notification tests: a real receiving HTTP server on loopback, explicitly
allow-listed (callbacks to 127.0.0.1 are refused otherwise), and helpers to make inventory changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.o2client import O2Client, json_of

SUBSCRIPTIONS = "/o2ims-infrastructureInventory/v1/subscriptions"


@pytest.fixture(autouse=True)
def fresh_endpoint_cache() -> Iterator[None]:
    """SMO endpoints are cached for a few seconds per process; each test starts from the database."""
    from inventory.notifications import auth

    auth.forget_endpoints()
    yield
    auth.forget_endpoints()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]


def subscribe(o2: O2Client, callback: str, **fields: Any) -> dict[str, Any]:
    response = o2.post(SUBSCRIPTIONS, {"callback": callback, **fields})
    assert response.status_code == 201, response.content
    return json_of(response)


@pytest.fixture
def ims_instance(db: None) -> Any:
    """A plugin instance to own objects reconciled directly (no backend is contacted)."""
    from plugins.models import PluginInstance

    return PluginInstance.objects.create(
        name="notify-ims", category="ims", plugin_type="mock", is_default=True, config={}, sync_interval=0
    )
