"""Fixtures for the admin tests: a real plugin type (the mock IMS) and a tiny one with a credential field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from rest_framework import serializers

from plugins import discovery
from plugins.models import PluginInstance
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import AuthenticationFailed
from plugins.sdk.ims import IMSPlugin, ResourcePool, ResourceType
from plugins.sdk.ims import Resource as SdkResource

EXPECTED_TOKEN = "good-token"


class TinyConfig(serializers.Serializer):
    endpoint = serializers.URLField()
    pools = serializers.IntegerField(min_value=1, max_value=10, default=1)
    token = serializers.CharField()


class TinyIMSPlugin(IMSPlugin):
    """A backend-less IMS type whose health depends on its credential: proves the secret reaches initialize."""

    name = "tiny"
    version = "1.0"
    config_class = TinyConfig
    secret_fields = frozenset({"token"})

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.RESOURCE_TYPE_DISCOVERY})

    def initialize(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)

    def health(self) -> HealthStatus:
        if self.config["token"] != EXPECTED_TOKEN:
            raise AuthenticationFailed("the backend rejected the token")
        return HealthStatus(healthy=True, message=f"{self.config['endpoint']} answers")

    def list_resource_pools(self, filter: Any = None) -> list[ResourcePool]:
        return [ResourcePool(f"pool-{i}", f"Pool {i}") for i in range(self.config["pools"])]

    def list_resource_types(self, filter: Any = None) -> list[ResourceType]:
        return [ResourceType("server", "Server")]

    def list_resources(self, filter: Any = None) -> list[SdkResource]:
        return [SdkResource("srv-1", "server", "pool-0", description="server one")]


@pytest.fixture
def tiny_type(monkeypatch: pytest.MonkeyPatch) -> type[TinyIMSPlugin]:
    """Install the tiny type next to the real ones, as an entry point would."""
    discovery.refresh()
    real = discovery._discovered()
    patched = discovery._Discovered({**real.types, ("ims", "tiny"): TinyIMSPlugin}, list(real.errors), {})
    monkeypatch.setattr(discovery, "_cache", patched)
    return TinyIMSPlugin


@pytest.fixture(autouse=True)
def _fresh_plugins() -> Iterator[None]:
    from plugins.registry import forget_all

    yield
    forget_all()


@pytest.fixture
def mock_instance(db: None, tmp_path: Any) -> PluginInstance:
    """An instance of the real mock IMS plugin with a small simulated O-Cloud."""
    if ("ims", "mock") not in discovery.plugin_types():
        pytest.skip("the mock IMS plugin is not installed")
    return PluginInstance.objects.create(
        name="edge-mock",
        category="ims",
        plugin_type="mock",
        config={"stateFile": str(tmp_path / "m.sqlite3"), "resources": 20},
    )
