"""Two reconciles of one instance at once (the periodic sync and the watcher's events, an API write, an admin's
"sync now"), on PostgreSQL where transactions really run side by side: both report the same new and changed
objects. Without the instance lock one failed on a duplicate key and changes were logged twice; with it the
second waits, plans against the first's commit and finds nothing left to do."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from inventory import sync
from inventory.models import ChangeLogEntry, ResourcePool
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk

pytestmark = [pytest.mark.django_db(transaction=True)]
POOLS = 50


def at_once(work: Callable[[], object], workers: int = 2) -> list[str]:
    """Run `work` in `workers` threads released together; their errors."""
    errors: list[str] = []
    start = threading.Barrier(workers)

    def run() -> None:
        try:
            start.wait()
            work()
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_reconciles_of_one_instance_take_turns() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's IMMEDIATE transactions run one writer at a time; the race needs PostgreSQL")
    instance = PluginInstance.objects.create(
        name="turns-ims", category="ims", plugin_type="mock", is_default=True, config={}, sync_interval=0
    )

    def pools(version: str) -> dict[str, list[sdk.ResourcePool]]:
        return {"resourcePool": [sdk.ResourcePool(f"p{i}", f"p{i}", version) for i in range(POOLS)]}

    assert at_once(lambda: sync.apply_changes(instance, upserts=pools("first"))) == []
    assert ResourcePool.objects.filter(plugin_instance=instance).count() == POOLS
    log = ChangeLogEntry.objects.filter(object_type="ResourcePoolInfo")
    assert log.filter(action="create").count() == POOLS  # once each, by whichever came first

    assert at_once(lambda: sync.apply_changes(instance, upserts=pools("second"))) == []
    assert log.filter(action="modify").count() == POOLS  # not twice

    assert at_once(lambda: sync.apply_changes(instance, deletes={"resourcePool": ["p0", "p1"]})) == []
    assert log.filter(action="delete").count() == 2
