"""SMO northbound fault test with real processes: Redis broker, Celery beat running the SMO sweep every second,
Celery workers, PostgreSQL, the receiver as the SMO. A worker is killed (kill -9) in the middle of a full sync;
after its claim expires another worker pushes everything: nothing is missing at the SMO, and every object it
received more than once is counted in the instance's duplicates. Runs in the PostgreSQL pass (the worker
processes share the test database)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from inventory.models import ResourcePool
from inventory.notifications.receiver import Receiver
from inventory.sync import apply_changes
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk
from smo.models import NorthboundCursor
from tests.notifications import harness
from tests.notifications.test_faults import report

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]
TIMEOUT = 120.0


@pytest.fixture
def processes(transactional_db: None, tmp_path: Path) -> Iterator[dict[str, Any]]:
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the test database: runs in the PostgreSQL pass")
    redis = harness.RedisServer(tmp_path).start()
    previous = harness.use_broker(redis.url)
    env = harness.process_env(
        harness.database_url(connection.settings_dict),
        redis.url,
        tmp_path / "data",
        NETWEAVE_SMO_PUSH_INTERVAL="1",
        NETWEAVE_SMO_LEASE_SECONDS="5",
        NETWEAVE_NOTIFICATION_RETRY_BASE="0.2",
    )
    running: dict[str, Any] = {"env": env, "logs": tmp_path, "workers": []}
    running["beat"] = harness.CeleryProcess("beat", env, tmp_path / "beat.log").start()
    try:
        yield running
    finally:
        for process in [*running["workers"], running["beat"]]:
            process.stop()
        redis.stop()
        harness.use_broker(previous)


def worker(processes: dict[str, Any], name: str) -> harness.CeleryProcess:
    process = harness.CeleryProcess("worker", processes["env"], processes["logs"] / f"{name}.log", name).start()
    processes["workers"].append(process)
    return process


def test_worker_killed_mid_full_sync(processes: dict[str, Any], receiver: Receiver) -> None:
    ims = PluginInstance.objects.create(
        name="faults-ims", category="ims", plugin_type="mock", is_default=True, config={}, sync_interval=0
    )
    apply_changes(ims, upserts={"resourcePool": [sdk.ResourcePool(f"p{i}", f"p{i}", "x") for i in range(40)]})
    PluginInstance.objects.create(
        name="faults-smo",
        category="smo",
        plugin_type="custom",
        is_default=True,
        sync_interval=0,
        config={
            "baseUrl": receiver.url,
            "batchSize": 2,
            "operations": {"syncInventory": {"method": "POST", "path": "/inventory"}},
        },
    )
    receiver.delay = 0.2  # 20 requests of 2 pools: about 4 s for the full sync
    first = worker(processes, "w1")
    deadline = time.monotonic() + TIMEOUT
    while len(receiver.received) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    first.kill()  # mid full sync: its claim stays until it expires
    receiver.delay = 0.0
    worker(processes, "w2")

    expected = {str(pk) for pk in ResourcePool.objects.values_list("id", flat=True)}

    def pools(bodies: list[Any]) -> list[str]:
        return [o["objectId"] for b in bodies for o in b["objects"] if o["objectType"] == "ResourcePoolInfo"]

    bodies = receiver.wait_for(lambda got: expected <= set(pools(got)), TIMEOUT)
    received = pools(bodies)
    assert not expected - set(received), "pools never pushed"
    cursor = NorthboundCursor.objects.get(instance__name="faults-smo")
    deadline = time.monotonic() + TIMEOUT
    while cursor.inflight_upto is not None and time.monotonic() < deadline:
        time.sleep(0.2)
        cursor.refresh_from_db()
    again = sum(n - 1 for n in Counter(received).values())
    assert again > 0  # the killed worker had pushed part of it
    assert again <= cursor.duplicates  # every re-push is counted
    report("SMO: worker killed (kill -9) mid full sync", expected, received)
