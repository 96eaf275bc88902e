"""Fixtures for the plugin-framework tests: test-local plugin types served through a patched entry-point list."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from rest_framework import serializers

from plugins import discovery, registry
from plugins.sdk import (
    BackendUnavailable,
    Capability,
    DMSPlugin,
    HealthStatus,
    IMSPlugin,
    SMOPlugin,
)


class FakeIMSConfig(serializers.Serializer):
    endpoint = serializers.URLField()
    region = serializers.CharField(default="r1")
    retries = serializers.IntegerField(default=3, min_value=0)
    password = serializers.CharField(max_length=40)
    token = serializers.CharField(required=False)

    def validate_token(self, value: str) -> str:
        if value.startswith("revoked"):
            raise serializers.ValidationError(f"token {value} is revoked")
        return value


class FakeIMSPlugin(IMSPlugin):
    """Records what it was given; health follows the `region` key ("down" -> BackendUnavailable)."""

    name = "fake"
    version = "0.1.0"
    config_class = FakeIMSConfig
    secret_fields = frozenset({"password", "token"})
    initialized: list[tuple[str, dict[str, Any]]] = []
    closed: list[str] = []

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.RESOURCE_TYPE_DISCOVERY})

    def initialize(self, config: Mapping[str, Any]) -> None:
        if config.get("region") == "broken":
            raise BackendUnavailable("cannot reach the fake backend")
        self.config = dict(config)
        FakeIMSPlugin.initialized.append((self.instance_name, dict(config)))

    def health(self) -> HealthStatus:
        region = self.config.get("region")
        if region == "down":
            raise BackendUnavailable("fake backend is down")
        if region == "explode":
            raise RuntimeError(f"connection to https://admin:{self.config['password']}@example failed")
        return HealthStatus(healthy=True, message=f"fake ok in {region}")

    def close(self) -> None:
        FakeIMSPlugin.closed.append(self.instance_name)


class FakeDMSPlugin(DMSPlugin):
    name = "fakedms"
    version = "0.2.0"
    init_calls = 0
    init_lock = threading.Lock()

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.DEPLOYMENT_LIFECYCLE})

    def initialize(self, config: Mapping[str, Any]) -> None:
        time.sleep(0.05)
        with FakeDMSPlugin.init_lock:
            FakeDMSPlugin.init_calls += 1

    def health(self) -> HealthStatus:
        return HealthStatus(healthy=True)


class FakeSMOPlugin(SMOPlugin):
    name = "fakesmo"
    version = "0.3.0"

    def capabilities(self) -> frozenset[Capability]:
        return frozenset()

    def initialize(self, config: Mapping[str, Any]) -> None:
        pass

    def health(self) -> HealthStatus:
        return HealthStatus(healthy=True)


@dataclass
class FakeEntryPoint:
    """Quacks like importlib.metadata.EntryPoint, loading a given object."""

    name: str
    obj: Any
    value: str = "tests:fake"
    dist: Any = None

    def load(self) -> Any:
        if isinstance(self.obj, BaseException):
            raise self.obj
        return self.obj


FAKE_ENTRY_POINTS = [
    FakeEntryPoint("ims.fake", FakeIMSPlugin),
    FakeEntryPoint("dms.fakedms", FakeDMSPlugin),
    FakeEntryPoint("smo.fakesmo", FakeSMOPlugin),
]


@pytest.fixture
def use_entry_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Replace the installed entry points by the given list (call it); discovery is refreshed around the test."""

    def use(entries: list[Any]) -> None:
        monkeypatch.setattr(discovery, "_entry_points", lambda: list(entries))
        discovery.refresh()

    yield use
    registry.forget_all()
    discovery.refresh()


@pytest.fixture
def fake_types(use_entry_points: Any) -> SimpleNamespace:
    """The test-local plugin types ims.fake, dms.fakedms and smo.fakesmo, and nothing else."""
    use_entry_points(FAKE_ENTRY_POINTS)
    FakeIMSPlugin.initialized = []
    FakeIMSPlugin.closed = []
    FakeDMSPlugin.init_calls = 0
    return SimpleNamespace(ims=FakeIMSPlugin, dms=FakeDMSPlugin, smo=FakeSMOPlugin, entry_point=FakeEntryPoint)
