"""MockIMSPlugin: input validation, errors, health, failHealth, and watch() on the change journal."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.ims.mock.plugin import MockIMSPlugin
from plugins.sdk.base import Capability
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound
from plugins.sdk.ims import InventoryEvent, ListFilter, Resource, ResourcePool


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "mock.sqlite3"


def make(state_file: Path, name: str = "test", **config: Any) -> MockIMSPlugin:
    plugin = MockIMSPlugin(name)
    plugin.initialize({"stateFile": str(state_file), **config})
    return plugin


@pytest.fixture
def plugin(state_file: Path) -> Iterator[MockIMSPlugin]:
    p = make(state_file, pollIntervalSeconds=0.05)
    yield p
    p.close()


def test_identity_and_capabilities(plugin: MockIMSPlugin) -> None:
    assert (plugin.name, plugin.category.value) == ("mock", "ims")
    assert plugin.capabilities() == {
        Capability.RESOURCE_POOL_MANAGEMENT,
        Capability.RESOURCE_MANAGEMENT,
        Capability.RESOURCE_TYPE_DISCOVERY,
        Capability.REALTIME_EVENTS,
    }
    assert plugin.supports_native_subscriptions()


def test_default_state_file_is_per_instance_under_data_dir(settings: Any, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path
    plugin = MockIMSPlugin("demo")
    plugin.initialize({})
    assert plugin.store.path == tmp_path / "mock-ims-demo.sqlite3"
    assert plugin.store.path.exists()
    plugin.close()


# ---------------------------------------------------------------------------------------------- pools


@pytest.mark.parametrize(
    ("pool", "field"),
    [
        (ResourcePool(native_id="", name=""), "name"),
        (ResourcePool(native_id="", name="   "), "name"),
        (ResourcePool(native_id="", name="x" * 256), "name"),
        (ResourcePool(native_id="has space", name="ok"), "native_id"),
        (ResourcePool(native_id="", name="ok", description=5), "description"),  # type: ignore[arg-type]
        (ResourcePool(native_id="", name="ok", location=None), "location"),  # type: ignore[arg-type]
        (ResourcePool(native_id="", name="ok", extensions=[1]), "extensions"),  # type: ignore[arg-type]
        (ResourcePool(native_id="", name="ok", extensions={"a": {1, 2}}), "extensions"),
        (ResourcePool(native_id="", name="ok", extensions={"a": float("inf")}), "extensions"),
    ],
)
def test_bad_pool_input_names_the_field(plugin: MockIMSPlugin, pool: ResourcePool, field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        plugin.create_resource_pool(pool)
    assert caught.value.field == field
    assert len(plugin.list_resource_pools()) == 6


def test_pool_lifecycle_and_conflicts(plugin: MockIMSPlugin) -> None:
    created = plugin.create_resource_pool(
        ResourcePool(native_id="", name="lab", location="Lab, FR", extensions={"mock.site": "lab"})
    )
    assert created.native_id == "pool-lab"
    with pytest.raises(Conflict) as dup:
        plugin.create_resource_pool(ResourcePool(native_id="", name="lab"))
    assert dup.value.field == "name"
    with pytest.raises(Conflict):
        plugin.create_resource_pool(ResourcePool(native_id="pool-lab", name="other"))
    with pytest.raises(Conflict):
        plugin.update_resource_pool("pool-lab", ResourcePool(native_id="", name="paris-edge-1a"))
    with pytest.raises(InvalidRequest) as mismatch:
        plugin.update_resource_pool("pool-lab", ResourcePool(native_id="pool-other", name="lab"))
    assert mismatch.value.field == "native_id"
    updated = plugin.update_resource_pool("pool-lab", ResourcePool(native_id="", name="lab-2", description="d"))
    assert (updated.native_id, updated.name, updated.description, updated.extensions) == ("pool-lab", "lab-2", "d", {})
    with pytest.raises(NotFound):
        plugin.update_resource_pool("pool-nope", ResourcePool(native_id="", name="z"))
    with pytest.raises(Conflict, match="still holds"):
        plugin.delete_resource_pool("pool-edge-1a")
    plugin.delete_resource_pool("pool-lab")
    with pytest.raises(NotFound):
        plugin.delete_resource_pool("pool-lab")


# ---------------------------------------------------------------------------------------------- resources


def test_resource_create_validates_references(plugin: MockIMSPlugin) -> None:
    good = Resource(native_id="", resource_type_id="rt-dell-r750", resource_pool_id="pool-central-1a")
    for field, change in (
        ("resource_type_id", {"resource_type_id": "rt-nope"}),
        ("resource_pool_id", {"resource_pool_id": "pool-nope"}),
        ("resource_type_id", {"resource_type_id": ""}),
        ("resource_pool_id", {"resource_pool_id": ""}),
        ("parent_id", {"parent_id": "res-nope"}),
        ("native_id", {"native_id": "bad\tid"}),
        ("extensions", {"extensions": {"x": object()}}),
        ("global_asset_id", {"global_asset_id": 7}),
    ):
        with pytest.raises(InvalidRequest) as caught:
            plugin.create_resource(Resource(**{**good.__dict__, **change}))
        assert caught.value.field == field, change
    server = plugin.create_resource(good)
    assert server.native_id == "res-000061"
    nic = plugin.create_resource(
        Resource(
            native_id="nic-lab-1",
            resource_type_id="rt-intel-e810",
            resource_pool_id="pool-central-1a",
            parent_id=server.native_id,
            extensions={"mock.ports": 2},
        )
    )
    assert plugin.get_resource("nic-lab-1") == nic
    with pytest.raises(Conflict, match="child"):
        plugin.delete_resource(server.native_id)
    plugin.delete_resource("nic-lab-1")
    plugin.delete_resource(server.native_id)
    with pytest.raises(NotFound):
        plugin.get_resource(server.native_id)


def test_list_filters(plugin: MockIMSPlugin) -> None:
    in_pool = plugin.list_resources(ListFilter(resource_pool_id="pool-edge-1a"))
    assert len(in_pool) == 10
    assert {r.resource_pool_id for r in in_pool} == {"pool-edge-1a"}
    nics = plugin.list_resources(ListFilter(resource_type_id="rt-intel-e810"))
    assert len(nics) == 22
    both = plugin.list_resources(ListFilter(resource_pool_id="pool-edge-1a", resource_type_id="rt-intel-acc100"))
    assert [r.parent_id is not None for r in both] == [True, True]
    assert [p.native_id for p in plugin.list_resource_pools(ListFilter(resource_pool_id="pool-edge-1b"))] == [
        "pool-edge-1b"
    ]
    assert len(plugin.list_resource_types(ListFilter(resource_type_id="rt-ceph-rbd"))) == 1


def test_two_plugin_objects_on_one_file(state_file: Path, plugin: MockIMSPlugin) -> None:
    other = make(state_file, "other")
    pool = other.create_resource_pool(ResourcePool(native_id="", name="seen"))
    assert plugin.get_resource_pool(pool.native_id) == pool
    plugin.delete_resource_pool(pool.native_id)
    with pytest.raises(NotFound):
        other.get_resource_pool(pool.native_id)


def test_reinitialize_with_another_size_keeps_the_o_cloud(state_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    make(state_file).close()
    with caplog.at_level(logging.WARNING, logger="plugins.ims.mock.plugin"):
        again = make(state_file, resources=10)
    assert len(again.list_resources()) == 60
    assert "keeping it" in caplog.text


# ---------------------------------------------------------------------------------------------- health


def test_health_reports_counts(plugin: MockIMSPlugin, state_file: Path) -> None:
    status = plugin.health()
    assert status.healthy, status.message
    assert status.details == {
        "stateFile": str(state_file),
        "deploymentManager": "3",
        "resourcePool": "6",
        "resourceType": "7",
        "resource": "60",
    }


def test_health_with_ocloud_id(state_file: Path) -> None:
    plugin = make(state_file, ocloudId="ocloud-7")
    assert plugin.health().details["ocloudId"] == "ocloud-7"
    assert plugin.get_deployment_manager("dm-edge-1").extensions["mock.ocloudId"] == "ocloud-7"


def test_health_when_the_state_file_disappears(plugin: MockIMSPlugin, state_file: Path) -> None:
    state_file.unlink()
    status = plugin.health()
    assert not status.healthy
    assert "missing" in status.message


def test_health_before_initialize() -> None:
    plugin = MockIMSPlugin("fresh")
    assert not plugin.health().healthy
    with pytest.raises(BackendUnavailable, match="not initialized"):
        plugin.list_resources()


def test_fail_health_simulates_an_unreachable_backend(state_file: Path) -> None:
    plugin = make(state_file, failHealth=True)
    status = plugin.health()
    assert not status.healthy
    assert "failHealth" in status.message
    calls = [
        plugin.list_deployment_managers,
        plugin.list_resource_pools,
        plugin.list_resource_types,
        plugin.list_resources,
        lambda: plugin.get_resource_pool("pool-edge-1a"),
        lambda: plugin.get_resource("res-000001"),
        lambda: plugin.create_resource_pool(ResourcePool(native_id="", name="x")),
        lambda: plugin.delete_resource("res-000001"),
    ]
    for call in calls:
        with pytest.raises(BackendUnavailable):
            call()
    assert not state_file.exists()  # an unreachable backend is not touched
    # collect_inventory does not hide the outage as "not supported"
    with pytest.raises(BackendUnavailable):
        plugin.collect_inventory()


# ---------------------------------------------------------------------------------------------- watch


def run_watch(plugin: MockIMSPlugin) -> tuple[list[InventoryEvent], threading.Event, threading.Thread]:
    events: list[InventoryEvent] = []
    stop = threading.Event()
    thread = threading.Thread(target=plugin.watch, args=(events.append, stop.is_set), daemon=True)
    thread.start()
    return events, stop, thread


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_watch_reports_changes_from_any_plugin_object(plugin: MockIMSPlugin, state_file: Path) -> None:
    writer = make(state_file, "writer")
    head = plugin.store.journal_head()
    events, stop, thread = run_watch(plugin)
    wait_for(lambda: thread.is_alive())
    time.sleep(0.2)  # let the watcher take its starting position
    pool = writer.create_resource_pool(ResourcePool(native_id="", name="watched"))
    writer.update_resource_pool(pool.native_id, ResourcePool(native_id="", name="watched-2"))
    writer.delete_resource_pool(pool.native_id)
    writer.churn_now(5)
    wait_for(lambda: len(events) >= 8)
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert plugin.store.journal_head() == head + 8
    first, _, third = events[:3]
    assert (first.kind, first.native_id) == ("resourcePool", "pool-watched")
    # Events carry the current state: the pool is gone by the time the watcher looks.
    assert third.obj is None
    churned = events[3:]
    assert all(e.kind == "resource" for e in churned)
    assert any(isinstance(e.obj, Resource) for e in churned)


def test_watch_stops_promptly_and_fails_when_unreachable(plugin: MockIMSPlugin, state_file: Path) -> None:
    started = time.monotonic()
    plugin.watch(lambda e: None, lambda: time.monotonic() - started > 0.2)
    assert time.monotonic() - started < 2.0
    down = make(state_file, "down", failHealth=True)
    with pytest.raises(BackendUnavailable):
        down.watch(lambda e: None, lambda: False)
