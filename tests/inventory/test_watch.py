"""Realtime events reach the inventory through the watcher, with source "watch" in the change log."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError

from inventory.models import ChangeLogEntry, ResourcePool
from inventory.watch import InstanceWatcher, watchable_instances
from plugins.registry import forget, get_plugin
from plugins.sdk import ims as sdk

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    """Poll gently; SQLite's shared-cache test database answers 'table is locked' while the watcher writes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
        time.sleep(0.2)
    return False


def test_backend_changes_stream_into_the_inventory(make_mock_instance) -> None:
    instance = make_mock_instance(pollIntervalSeconds=0.1)
    assert [i.name for i in watchable_instances()] == [instance.name]
    stop = threading.Event()
    watcher = InstanceWatcher(instance, stop)
    watcher.start()
    try:
        assert _wait_for(lambda: ResourcePool.objects.exists())  # the initial relist
        backend = get_plugin(instance)
        created = backend.create_resource_pool(sdk.ResourcePool(native_id="", name="watched-pool"))
        assert _wait_for(
            lambda: ChangeLogEntry.objects.filter(
                source="watch", action="create", post_state__name="watched-pool"
            ).exists()
        )
        backend.delete_resource_pool(created.native_id)
        assert _wait_for(lambda: not ResourcePool.objects.filter(native_id=created.native_id).exists())
        assert _wait_for(lambda: ChangeLogEntry.objects.filter(source="watch", action="delete").count() == 1)
    finally:
        stop.set()
        watcher.join(timeout=10)
        forget(instance.pk)
    assert not watcher.is_alive()


def test_a_removed_instance_ends_its_watch(make_mock_instance, caplog: pytest.LogCaptureFixture) -> None:
    from plugins.registry import retire_instance

    instance = make_mock_instance(pollIntervalSeconds=0.1)
    stop = threading.Event()
    watcher = InstanceWatcher(instance, stop, initial_backoff=0.1)
    watcher.start()
    try:
        assert _wait_for(lambda: ResourcePool.objects.exists())
        retire_instance(instance)
        assert _wait_for(lambda: not watcher.is_alive(), timeout=20)
    finally:
        stop.set()
        watcher.join(timeout=10)
        forget(instance.pk)
    assert "DoesNotExist" not in caplog.text
