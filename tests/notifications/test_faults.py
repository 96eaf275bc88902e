"""Fault tests: real Redis broker, real Celery worker and beat processes, PostgreSQL, a real receiver.

Each scenario ends with every expected notification received at least once and none missing; the duplicate
count is reported (set NETWEAVE_FAULT_REPORT=FILE to collect the figures, see docs/notifications.md). They run in
the PostgreSQL pass: the worker processes must share the test database, which SQLite's in-memory test database
cannot do.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from inventory.models import Notification, Subscription
from inventory.notifications.receiver import Receiver
from inventory.sync import apply_changes, reconcile
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk
from tests.notifications import harness

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.backend, pytest.mark.redis]
TIMEOUT = 90.0
# The isolation test's backlog: 10 healthy subscriptions x this many changes (bench/ runs the 10k-change case).
ISOLATION_CHANGES = int(os.environ.get("NETWEAVE_ISOLATION_CHANGES", "100"))
ISOLATION_TIMEOUT = 300.0


@dataclass
class Cluster:
    receiver: Receiver
    redis: harness.RedisServer
    env: dict[str, str]
    logs: Path
    workers: list[harness.CeleryProcess]
    beat: harness.CeleryProcess

    def worker(self, name: str) -> harness.CeleryProcess:
        process = harness.CeleryProcess("worker", self.env, self.logs / f"{name}.log", name).start()
        self.workers.append(process)
        return process


@pytest.fixture
def cluster(transactional_db: None, tmp_path: Path, receiver: Receiver) -> Iterator[Cluster]:
    if connection.vendor != "postgresql":
        pytest.skip("worker processes share the test database: runs in the PostgreSQL pass")
    redis = harness.RedisServer(tmp_path).start()
    previous = harness.use_broker(redis.url)
    env = harness.process_env(harness.database_url(connection.settings_dict), redis.url, tmp_path / "data")
    beat = harness.CeleryProcess("beat", env, tmp_path / "beat.log").start()
    running = Cluster(receiver, redis, env, tmp_path, [], beat)
    try:
        yield running
    finally:
        harness.stop_all([*running.workers, beat])
        redis.stop()
        harness.use_broker(previous)


@pytest.fixture
def instance(transactional_db: None) -> PluginInstance:
    return PluginInstance.objects.create(
        name="faults-ims", category="ims", plugin_type="mock", is_default=True, config={}, sync_interval=0
    )


def subscribe(receiver: Receiver, path: str = "/n") -> Subscription:
    from inventory.notifications.subscriptions import create_subscription

    created = create_subscription({"callback": receiver.url + path})
    return Subscription.objects.get(pk=created["subscriptionId"])


def change_pools(instance: PluginInstance, names: list[str], description: str) -> None:
    apply_changes(instance, upserts={"resourcePool": [sdk.ResourcePool(n, n, description) for n in names]})


def expected_ids(subscription: Subscription | None = None) -> set[str]:
    rows = Notification.objects.all() if subscription is None else subscription.notifications.all()
    return {str(p["notificationId"]) for p in rows.values_list("payload", flat=True)}


def wait_all_delivered(receiver: Receiver, expected: set[str], timeout: float = TIMEOUT) -> list[str]:
    bodies = receiver.wait_for(lambda got: expected <= {b["notificationId"] for b in got}, timeout)
    received = [b["notificationId"] for b in bodies]
    missing = expected - set(received)
    assert not missing, f"{len(missing)} of {len(expected)} notifications never arrived"
    return received


def report(scenario: str, expected: set[str], received: list[str]) -> int:
    duplicates = sum(n - 1 for n in Counter(received).values())
    line = {"scenario": scenario, "expected": len(expected), "received": len(received), "duplicates": duplicates}
    print(json.dumps(line))
    target = os.environ.get("NETWEAVE_FAULT_REPORT")
    if target:
        with open(target, "a") as handle:
            handle.write(json.dumps(line) + "\n")
    return duplicates


def test_worker_killed_mid_delivery(cluster: Cluster, instance: PluginInstance) -> None:
    subscribe(cluster.receiver)
    cluster.receiver.delay = 0.3
    first = cluster.worker("w1")
    change_pools(instance, [f"p{i}" for i in range(12)], "one")
    # Wait until a request is in flight, then kill -9 the worker in the middle of it.
    deadline = time.monotonic() + TIMEOUT
    while len(cluster.receiver.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.15)
    first.kill()
    cluster.receiver.delay = 0.0
    change_pools(instance, [f"p{i}" for i in range(12)], "two")
    cluster.worker("w2")
    expected = expected_ids()
    assert len(expected) == 24
    report("worker killed (kill -9) mid-delivery", expected, wait_all_delivered(cluster.receiver, expected))


def test_broker_outage(cluster: Cluster, instance: PluginInstance) -> None:
    subscribe(cluster.receiver)
    cluster.worker("w1")
    change_pools(instance, [f"p{i}" for i in range(5)], "one")
    wait_all_delivered(cluster.receiver, expected_ids())
    cluster.redis.stop()
    # Changes while the broker is away: the after-commit publish fails, the rows are safe in the outbox.
    change_pools(instance, [f"p{i}" for i in range(5)], "two")
    change_pools(instance, [f"q{i}" for i in range(5)], "one")
    time.sleep(3)
    cluster.redis.start()
    expected = expected_ids()
    assert len(expected) == 15
    report("broker stopped for 3 s (queued messages lost)", expected, wait_all_delivered(cluster.receiver, expected))


def test_postgres_restart(cluster: Cluster, instance: PluginInstance) -> None:
    subscribe(cluster.receiver)
    cluster.receiver.delay = 0.1
    cluster.worker("w1")
    change_pools(instance, [f"p{i}" for i in range(20)], "one")
    while len(cluster.receiver.received) < 3:
        time.sleep(0.02)
    harness.restart_postgres(int(connection.settings_dict["PORT"]))
    connections.close_all()
    cluster.receiver.delay = 0.0
    change_pools(instance, [f"p{i}" for i in range(20)], "two")
    expected = expected_ids()
    assert len(expected) == 40
    report("PostgreSQL restarted mid-delivery", expected, wait_all_delivered(cluster.receiver, expected))


def test_receiver_fails_then_recovers(cluster: Cluster, instance: PluginInstance) -> None:
    subscription = subscribe(cluster.receiver)
    cluster.receiver.fail_with = 500
    cluster.worker("w1")
    change_pools(instance, [f"p{i}" for i in range(10)], "one")
    deadline = time.monotonic() + TIMEOUT
    while Subscription.objects.get(pk=subscription.pk).failure_count < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)
    cluster.receiver.fail_with = None
    expected = expected_ids()
    assert len(expected) == 10
    received = wait_all_delivered(cluster.receiver, expected)
    assert Subscription.objects.get(pk=subscription.pk).failure_count >= 3
    report("receiver answered 500 for ~3 s", expected, received)


def outbox_story(subscription: Subscription, pool_id: str) -> list[tuple[Any, ...]]:
    """What the outbox recorded for one pool, in row order: the evidence an ordering failure needs."""
    rows = subscription.notifications.order_by("id").values_list("id", "payload", "attempts", "delivered", "last_error")
    return [
        (
            pk,
            payload["notificationEventType"],
            (payload.get("postObjectState") or payload["priorObjectState"])["description"],
            attempts,
            delivered,
            error,
        )
        for pk, payload, attempts, delivered, error in rows
        if (payload.get("postObjectState") or payload["priorObjectState"])["resourcePoolId"] == pool_id
    ]


def test_order_per_subscription_under_concurrent_changes(cluster: Cluster, instance: PluginInstance) -> None:
    subscriptions = [subscribe(cluster.receiver, f"/s{i}") for i in range(3)]
    cluster.worker("w1")
    cluster.worker("w2")

    def writer(prefix: str) -> None:
        try:
            names = [f"{prefix}{i}" for i in range(4)]
            for step in range(5):
                change_pools(instance, names, f"v{step}")
            apply_changes(instance, deletes={"resourcePool": names})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(p,)) for p in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = expected_ids()
    assert len(expected) == 3 * 4 * 4 * 6
    wait_all_delivered(cluster.receiver, expected)
    for index, subscription in enumerate(subscriptions):
        path = f"/s{index}"
        # Delivery is at least once: a retried attempt the receiver had already taken (for example a response
        # lost to a timeout under load) repeats a notification. Receivers drop repeats by notificationId, as
        # SMOs do; the order is checked on what remains, and the repeats are counted in the report below.
        seen: set[str] = set()
        bodies = []
        for body in (r.json() for r in cluster.receiver.received if r.path == path):
            if body["notificationId"] not in seen:
                seen.add(body["notificationId"])
                bodies.append(body)
        # Per object, the notifications arrive in the order of its changes: create, 4 modifies, delete.
        per_object: dict[str, list[str]] = {}
        for body in bodies:
            state = body.get("postObjectState") or body["priorObjectState"]
            event = {0: "create", 1: "modify", 2: "delete"}[body["notificationEventType"]]
            per_object.setdefault(state["resourcePoolId"], []).append(f"{event}:{state['description']}")
        for pool_id, sequence in per_object.items():
            assert sequence == ["create:v0", "modify:v1", "modify:v2", "modify:v3", "modify:v4", "delete:v4"], (
                outbox_story(subscription, pool_id)
            )
        # And in the order the outbox holds them: delivery is strictly sequential per subscription.
        order = [
            str(p["notificationId"])
            for p in subscription.notifications.order_by("delivered", "id").values_list("payload", flat=True)
        ]
        assert [b["notificationId"] for b in bodies] == order
        assert cluster.receiver.max_in_flight[path] == 1
    report(
        "ordering: 4 writers x 3 subscriptions, 2 workers",
        expected,
        [b["notificationId"] for b in cluster.receiver.bodies()],
    )


def test_reconcile_is_unaffected_when_there_are_no_workers(cluster: Cluster, instance: PluginInstance) -> None:
    """Without a worker, changes still commit; the outbox holds their notifications until one starts."""
    subscribe(cluster.receiver)
    reconcile(instance, sdk.Inventory(None, [sdk.ResourcePool("a", "a")], None, None))
    assert Notification.objects.filter(status="pending").count() == 1
    cluster.worker("w1")
    expected = expected_ids()
    wait_all_delivered(cluster.receiver, expected)


def isolation_story(subscription: Subscription, got: list[str], order: list[str]) -> list[tuple[Any, ...]]:
    """Where the received order leaves the outbox order: the rows around the first difference."""
    first = next(i for i, (a, b) in enumerate(zip(got, order, strict=False)) if a != b)
    rows = {
        str(payload["notificationId"]): (pk, attempts, delivered, error)
        for pk, payload, attempts, delivered, error in subscription.notifications.values_list(
            "id", "payload", "attempts", "delivered", "last_error"
        )
    }
    return [("got", rows[n]) for n in got[first - 2 : first + 3]] + [
        ("outbox", rows[n]) for n in order[first - 2 : first + 3]
    ]


class BlackHole:
    """A callback that accepts TCP connections and never answers (nor reads)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.socket.getsockname()[1]}/hole"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        for held in self.held:
            held.close()
        self.socket.close()


def queue_sampler(url: str, stop: threading.Event, lengths: list[int]) -> None:
    """Delivery tasks waiting in the broker (Redis list `celery`) every 0.1 s. Beat's own tasks (the sweeper,
    the heartbeat) are left out: they pile up by themselves while every worker is busy."""
    import redis

    client = redis.Redis.from_url(url)
    while not stop.wait(0.1):
        with contextlib.suppress(redis.RedisError):
            messages = client.lrange("celery", 0, -1)
            lengths.append(
                sum(json.loads(m).get("headers", {}).get("task") == "inventory.deliver_subscription" for m in messages)
            )


def test_dead_receivers_delay_only_themselves(cluster: Cluster, instance: PluginInstance) -> None:
    """Regression (issue 13): 1 black-hole receiver (accepts, never answers), 1 refusing and 10 healthy ones, a
    backlog already waiting when the workers start: the healthy receivers get everything, in order, and the
    work waiting in the broker stays bounded by the number of subscriptions (it was one task per pending row
    per sweep, which buried the healthy subscriptions' tasks)."""
    from inventory.notifications.subscriptions import create_subscription

    hole = BlackHole()
    lengths: list[int] = []
    stop = threading.Event()
    try:
        create_subscription({"callback": hole.url})
        create_subscription({"callback": f"http://127.0.0.1:{harness.free_port()}/refused"})
        healthy = [subscribe(cluster.receiver, f"/h{i}") for i in range(10)]
        for batch in range(ISOLATION_CHANGES // 10):
            change_pools(instance, [f"p{batch}-{i}" for i in range(10)], "one")
        threading.Thread(target=queue_sampler, args=(cluster.redis.url, stop, lengths), daemon=True).start()
        cluster.worker("w1")
        cluster.worker("w2")
        expected = set().union(*(expected_ids(s) for s in healthy))
        assert len(expected) == 10 * ISOLATION_CHANGES
        received = wait_all_delivered(cluster.receiver, expected, ISOLATION_TIMEOUT)
        for index, subscription in enumerate(healthy):
            # Repeats (at least once) are dropped by notificationId, as SMOs do; the order is checked on the rest.
            got = list(
                dict.fromkeys(r.json()["notificationId"] for r in cluster.receiver.received if r.path == f"/h{index}")
            )
            order = [str(p["notificationId"]) for p in subscription.notifications.values_list("payload", flat=True)]
            assert got == order, isolation_story(subscription, got, order)
        # One task per subscription at most, plus beat's own (sweeper, heartbeat): never one per row.
        assert max(lengths) <= 2 * Subscription.objects.count(), max(lengths)
        report("1 black-hole + 1 refusing + 10 healthy receivers", expected, received)
    finally:
        stop.set()
        hole.close()


def test_the_sweeper_sees_an_empty_queue_after_a_broker_restart(tmp_path: Path) -> None:
    """A restarted Redis has forgotten the queue altogether (a passive declare answers 404): that is an empty
    queue, so the sweeper re-queues lost delivery tasks at once instead of after NETWEAVE_DELIVERY_REQUEUE_AFTER."""
    from inventory.notifications import scheduling
    from inventory.notifications.tasks import deliver_subscription

    redis = harness.RedisServer(tmp_path).start()
    previous = harness.use_broker(redis.url)
    try:
        assert scheduling.broker_backlog() == 0
        deliver_subscription.apply_async(("00000000-0000-0000-0000-000000000000",))
        assert scheduling.broker_backlog() == 1
        redis.stop()
        assert scheduling.broker_backlog() is None  # away: unknown, so the long threshold applies
        redis.start()
        assert scheduling.broker_backlog() == 0
    finally:
        redis.stop()
        harness.use_broker(previous)
