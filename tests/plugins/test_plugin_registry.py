"""Live plugin objects per instance: initialize with resolved config, cache by row version, health on the row."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from plugins import registry
from plugins.models import PluginInstance, Secret
from plugins.sdk import BackendUnavailable

pytestmark = pytest.mark.django_db


def make_instance(name: str = "fake-1", **config: Any) -> PluginInstance:
    Secret.objects.get_or_create(name="fake-pw", defaults={"provider": Secret.Provider.ENV, "reference": "FAKE_PW"})
    config = {"endpoint": "https://fake.example", "password": {"secretRef": "fake-pw"}, **config}
    return PluginInstance.objects.create(name=name, category="ims", plugin_type="fake", config=config)


def test_get_plugin_initializes_once_with_resolved_config(fake_types: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PW", "hunter2")
    instance = make_instance()
    plugin = registry.get_plugin(instance)
    assert isinstance(plugin, fake_types.ims)
    assert plugin.instance_name == "fake-1"
    assert fake_types.ims.initialized == [
        ("fake-1", {"endpoint": "https://fake.example", "region": "r1", "retries": 3, "password": "hunter2"})
    ]
    assert registry.get_plugin(PluginInstance.objects.get(pk=instance.pk)) is plugin
    assert len(fake_types.ims.initialized) == 1


def test_a_saved_row_gets_a_new_object_and_the_old_one_is_closed(
    fake_types: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_PW", "hunter2")
    instance = make_instance()
    stale = PluginInstance.objects.get(pk=instance.pk)
    first = registry.get_plugin(instance)
    instance.config = {**instance.config, "region": "r2"}
    instance.save()
    second = registry.get_plugin(instance)
    assert second is not first
    assert second.config["region"] == "r2"  # type: ignore[attr-defined]
    assert fake_types.ims.closed == ["fake-1"]
    # A caller holding the older row gets the current object, not a re-initialization.
    assert registry.get_plugin(stale) is second
    registry.forget(instance.pk)
    assert fake_types.ims.closed == ["fake-1", "fake-1"]


def test_disabled_unknown_and_misconfigured_instances(fake_types: Any) -> None:
    disabled = PluginInstance.objects.create(name="off", category="ims", plugin_type="fake", enabled=False)
    with pytest.raises(registry.PluginDisabled, match=re.escape("Plugin instance 'off' is disabled.")):
        registry.get_plugin(disabled)
    unknown = PluginInstance.objects.create(name="os", category="ims", plugin_type="openstack")
    with pytest.raises(
        registry.PluginUnavailable, match=re.escape("Unknown ims plugin type 'openstack'. Known ims types: fake.")
    ):
        registry.get_plugin(unknown)
    invalid = PluginInstance.objects.create(name="bad", category="ims", plugin_type="fake", config={"retries": "x"})
    with pytest.raises(registry.PluginUnavailable, match=re.escape("config.endpoint: This field is required.")):
        registry.get_plugin(invalid)


def test_initialize_failure_is_not_cached(fake_types: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PW", "hunter2")
    instance = make_instance(region="broken")
    with pytest.raises(BackendUnavailable, match="cannot reach the fake backend"):
        registry.get_plugin(instance)
    assert fake_types.ims.closed == ["fake-1"]
    instance.config = {**instance.config, "region": "r1"}
    instance.save()
    assert registry.get_plugin(instance).config["region"] == "r1"  # type: ignore[attr-defined]


def test_check_health_records_the_answer(fake_types: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_PW", "hunter2")
    instance = make_instance()
    updated = instance.updated
    status = registry.check_health(instance)
    assert status.healthy
    row = PluginInstance.objects.get(pk=instance.pk)
    assert (row.health_ok, row.health_message) == (True, "fake ok in r1")
    assert row.health_checked is not None
    assert row.updated == updated  # recording health does not count as reconfiguring


@pytest.mark.parametrize(
    ("region", "env", "message"),
    [
        ("down", "hunter2", "fake backend is down"),
        ("explode", "hunter2", "Unexpected error (RuntimeError); see the netweave log for details."),
        ("r1", None, "Secret 'fake-pw': environment variable FAKE_PW is not set"),
    ],
)
def test_failures_become_unhealthy_with_a_safe_message(
    fake_types: Any, monkeypatch: pytest.MonkeyPatch, region: str, env: str | None, message: str
) -> None:
    if env is None:
        monkeypatch.delenv("FAKE_PW", raising=False)
    else:
        monkeypatch.setenv("FAKE_PW", env)
    instance = make_instance(region=region)
    status = registry.check_health(instance)
    assert not status.healthy
    assert status.message == message
    assert "hunter2" not in status.message
    row = PluginInstance.objects.get(pk=instance.pk)
    assert (row.health_ok, row.health_message) == (False, message)


def test_concurrent_callers_share_one_initialization(fake_types: Any) -> None:
    instance = PluginInstance.objects.create(name="dms-1", category="dms", plugin_type="fakedms")
    results: list[Any] = []

    def call() -> None:
        results.append(registry.get_plugin(instance))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert fake_types.dms.init_calls == 1
    assert len({id(r) for r in results}) == 1


def test_retire_instance_deletes_the_row(fake_types: Any, django_capture_on_commit_callbacks: Any) -> None:
    instance = PluginInstance.objects.create(name="dms-2", category="dms", plugin_type="fakedms")
    registry.get_plugin(instance)
    with django_capture_on_commit_callbacks(execute=True):
        registry.retire_instance(instance)
    assert not PluginInstance.objects.filter(name="dms-2").exists()
    assert instance.pk not in registry._entries
