"""Polling backends hand sync a fingerprint of what they read: an unchanged one skips the reconcile, unless
something else wrote the instance's rows since (then the reconcile runs to repair them)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from inventory.models import ResourcePool
from inventory.sync import apply_changes, sync_instance
from plugins.registry import get_plugin
from plugins.sdk import ims as sdk

pytestmark = pytest.mark.django_db


@pytest.fixture
def fingerprinted(make_mock_instance: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, list[str]]:
    """A mock instance whose inventory carries the fingerprint in `fingerprint[0]` (the test decides it)."""
    instance = make_mock_instance()
    plugin = get_plugin(instance)
    collect = plugin.collect_inventory
    fingerprint = ["first"]
    monkeypatch.setattr(plugin, "collect_inventory", lambda: dataclasses.replace(collect(), fingerprint=fingerprint[0]))
    return instance, plugin, fingerprint


def _rename(plugin: Any, native_id: str, description: str) -> None:
    current = plugin.get_resource_pool(native_id)
    plugin.update_resource_pool(native_id, dataclasses.replace(current, description=description))


def test_an_unchanged_fingerprint_skips_the_reconcile(fingerprinted: tuple[Any, Any, list[str]]) -> None:
    instance, plugin, fingerprint = fingerprinted
    assert sync_instance(instance).changed > 0
    again = sync_instance(instance)
    assert again.skipped
    assert again.summary() == "unchanged since the last sync (same backend fingerprint)"

    # The proof that nothing was compared: a change the fingerprint does not reflect is not seen...
    pool = ResourcePool.objects.filter(plugin_instance=instance).first()
    _rename(plugin, pool.native_id, "changed behind the fingerprint")
    assert sync_instance(instance).skipped
    assert ResourcePool.objects.get(pk=pool.pk).description != "changed behind the fingerprint"
    # ...until the fingerprint changes.
    fingerprint[0] = "second"
    result = sync_instance(instance)
    assert not result.skipped
    assert result.counts["resourcePool"].modified == 1
    assert ResourcePool.objects.get(pk=pool.pk).description == "changed behind the fingerprint"


def test_a_write_to_the_rows_since_forces_the_reconcile(fingerprinted: tuple[Any, Any, list[str]]) -> None:
    instance, plugin, _ = fingerprinted
    sync_instance(instance)
    pool = ResourcePool.objects.filter(plugin_instance=instance).first()
    stale = plugin.get_resource_pool(pool.native_id)
    # An API write stored a state the backend does not have (say it was reverted in the backend since).
    apply_changes(instance, upserts={"resourcePool": [dataclasses.replace(stale, description="stored by a write")]})
    result = sync_instance(instance)
    assert not result.skipped
    assert ResourcePool.objects.get(pk=pool.pk).description == stale.description


def test_no_fingerprint_always_reconciles(make_mock_instance: Any) -> None:
    instance = make_mock_instance()
    sync_instance(instance)
    assert get_plugin(instance).collect_inventory().fingerprint == ""
    assert not sync_instance(instance).skipped


def test_inventory_fingerprint_defaults_to_empty() -> None:
    assert sdk.Inventory([], [], [], []).fingerprint == ""
