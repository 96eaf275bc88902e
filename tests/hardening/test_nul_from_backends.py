"""Issue 13: a NUL character (U+0000) in what a backend plugin reports used to fail the whole sync on PostgreSQL
(text and jsonb cannot hold it; the COPY of a large initial sync and the upsert of a re-sync both broke) and was
stored as is on SQLite. The reconcile now stores it as U+FFFD, and counts and logs each field it replaced, naming
the object and the field (docs/decisions/0016-nul-from-backends.md). Runs on both databases (unit stage)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from inventory.models import ChangeLogEntry, Resource, ResourcePool
from inventory.sync import apply_changes, reconcile
from plugins.sdk import ims as sdk
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db
RESOURCES = 600  # above inventory.bulk.COPY_THRESHOLD: the initial sync COPYs them on PostgreSQL
POOL = sdk.ResourcePool(
    "pool-1",
    "edge\x00pool",
    description="rack\x001",
    extensions={"vendor\x00key": "v\x00", "labels": ["a", "b\x00"]},
)


def inventory(pool: sdk.ResourcePool = POOL, size: int = RESOURCES) -> sdk.Inventory:
    resources = [sdk.Resource(f"r{n}", "type-1", "pool-1") for n in range(size - 1)]
    resources.append(sdk.Resource("odd\x00id", "type-1", "pool-1", tags=("t\x00",), global_asset_id="asset\x00"))
    return sdk.Inventory(None, [pool], [sdk.ResourceType("type-1", "server")], resources)


def test_nul_from_a_backend_is_stored_as_u_fffd_counted_and_logged(
    ims_instance: Any, caplog: pytest.LogCaptureFixture, o2: O2Client
) -> None:
    with caplog.at_level(logging.WARNING, logger="inventory.sync"):
        result = reconcile(ims_instance, inventory())
    # pool: name, description, an extensions key, its value, a list item; resource: native id, asset id, tag
    assert result.nul_replaced == 8
    assert "NUL characters replaced in 8 fields" in result.summary()
    assert result.counts["resource"].created == RESOURCES
    pool = ResourcePool.objects.get(native_id="pool-1")
    assert (pool.name, pool.description) == ("edge\ufffdpool", "rack\ufffd1")
    assert pool.extensions == {"vendor\ufffdkey": "v\ufffd", "labels": ["a", "b\ufffd"]}
    odd = Resource.objects.get(native_id="odd\ufffdid")
    assert (odd.global_asset_id, odd.tags) == ("asset\ufffd", ["t\ufffd"])
    assert ChangeLogEntry.objects.filter(object_name="edge\ufffdpool").exists()
    messages = [r.getMessage() for r in caplog.records]
    assert "resourcePool 'pool-1': field description holds a NUL character (U+0000), stored as U+FFFD" in messages
    assert "resource 'odd\ufffdid': field native_id holds a NUL character (U+0000), stored as U+FFFD" in messages
    assert any("field extensions.vendor\\u0000key holds" in m for m in messages)

    # The same report again changes nothing (the stored hash is the replaced row's), and is counted again.
    again = reconcile(ims_instance, inventory())
    assert again.changed == 0
    assert again.nul_replaced == 8

    body = json_of(o2.get(f"/o2ims-infrastructureInventory/v1/resourcePools/{pool.pk}"))
    assert body["description"] == "rack\ufffd1"


def test_nul_in_a_modified_object_and_in_a_watch_event(ims_instance: Any) -> None:
    reconcile(ims_instance, inventory(sdk.ResourcePool("pool-1", "edge"), size=1))
    modified = reconcile(ims_instance, inventory(sdk.ResourcePool("pool-1", "edge", description="now\x00"), size=1))
    assert (modified.counts["resourcePool"].modified, modified.nul_replaced) == (1, 1 + 3)  # + the odd resource
    assert ResourcePool.objects.get(native_id="pool-1").description == "now\ufffd"
    event = apply_changes(ims_instance, upserts={"resourcePool": [sdk.ResourcePool("pool-1", "edge", "w\x00")]})
    assert (event.counts["resourcePool"].modified, event.nul_replaced) == (1, 1)
    entry = ChangeLogEntry.objects.filter(object_type="ResourcePoolInfo").order_by("-id").first()
    assert entry is not None
    assert entry.post_state is not None
    assert entry.post_state["description"] == "w\ufffd"
