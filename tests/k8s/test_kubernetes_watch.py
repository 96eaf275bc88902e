"""Realtime events from a real kube-apiserver: the watcher that `manage.py netweave_watch` runs
(inventory.watch.InstanceWatcher) feeds Node/MachineSet changes into reconcile and out as O2 notifications to a
subscriber; the plugin's watch relists after 410 Gone and carries on after an API-server restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError

from inventory.models import ChangeLogEntry, DeploymentManager, Resource
from inventory.notifications.receiver import Receiver
from inventory.watch import InstanceWatcher
from plugins import registry
from plugins.ims.kubernetes import client as k8s_client
from plugins.ims.kubernetes.plugin import KubernetesIMSPlugin
from plugins.sdk.ims import InventoryEvent
from tests.k8s.conftest import plugin_config
from tests.k8s.objects import KubeObjects, unique
from tests.k8s_harness import KubeCluster
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db(transaction=True)
SUBSCRIPTIONS = "/o2ims-infrastructureInventory/v1/subscriptions"


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = predicate()
        except OperationalError as exc:  # SQLite's shared-cache test database while the watcher writes
            if "locked" not in str(exc):
                raise
            found = None
        if found:
            return found
        time.sleep(interval)
    raise AssertionError(f"not within {timeout}s")


def in_database(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll the database gently: each read can hold SQLite's shared-cache table lock the watcher needs."""
    return wait_for(predicate, timeout, interval=0.25)


@pytest.fixture
def eager_delivery(settings: Any) -> Iterator[None]:
    """Deliver notifications in the committing thread (Celery eager), to a loopback receiver."""
    from netweave.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def watching(make_k8s_instance: Callable[..., Any]) -> Iterator[Any]:
    instance = make_k8s_instance("k8s-watch", resyncPeriod="1h")
    stop = threading.Event()
    watcher = InstanceWatcher(instance, stop)
    watcher.start()
    try:
        in_database(lambda: DeploymentManager.objects.filter(plugin_instance=instance).exists())  # the relist
        yield instance
        assert watcher.is_alive(), "the watcher thread died (see the thread exception warning)"
    finally:
        stop.set()
        watcher.join(timeout=15)
        registry.forget(instance.pk)
    assert not watcher.is_alive()


def test_node_changes_reach_a_subscriber_as_notifications(
    o2: O2Client, kube: KubeObjects, eager_delivery: None, watching: Any
) -> None:
    receiver = Receiver().start()
    try:
        response = o2.post(SUBSCRIPTIONS, {"callback": receiver.url, "consumerSubscriptionId": "k8s-watch"})
        assert response.status_code == 201, response.content
        name = unique("node")
        started = time.monotonic()
        kube.create_node(name)

        def created(bodies: list[Any]) -> bool:
            return any(
                b.get("notificationEventType") == 0
                and (b.get("postObjectState") or {}).get("extensions", {}).get("kubernetes.nodeName") == name
                for b in bodies
            )

        receiver.wait_for(created, timeout=30)
        print(f"\nnode created -> notification received: {time.monotonic() - started:.2f}s")

        kube.label_node(name, {"rack": "r7"})
        receiver.wait_for(
            lambda bodies: any(
                b.get("notificationEventType") == 1
                and (b.get("postObjectState") or {}).get("extensions", {}).get("kubernetes.labels", {}).get("rack")
                == "r7"
                for b in bodies
            )
        )
        kube.delete_node(name)
        receiver.wait_for(
            lambda bodies: any(
                b.get("notificationEventType") == 2
                and (b.get("priorObjectState") or {}).get("extensions", {}).get("kubernetes.nodeName") == name
                for b in bodies
            )
        )
        # Profile data is a credential: it is never part of a notification.
        assert not any("admin_client_key" in str(b) for b in receiver.bodies())
    finally:
        receiver.stop()


def test_watch_resumes_after_an_api_server_restart(kube: KubeObjects, kube_cluster: KubeCluster, watching: Any) -> None:
    kube_cluster.stop_apiserver()
    try:
        time.sleep(1.0)
    finally:
        kube_cluster.start()
    name = unique("node")
    kube.create_node(name)
    in_database(lambda: Resource.objects.filter(plugin_instance=watching, native_id=f"node/{name}").exists(), 60)
    assert ChangeLogEntry.objects.filter(
        source="watch", action="create", post_state__description=f"Node {name}"
    ).exists()


def test_expired_watch_relists_and_reports_what_changed(
    kube: KubeObjects, kube_cluster: KubeCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watch asked for a resourceVersion the server no longer keeps gets 410 Gone: the informer relists."""
    original = k8s_client.Connection.list
    stale = {"done": False}

    def list_with_a_stale_version(self: Any, source: Any, namespace: str) -> Any:
        items, version = original(self, source, namespace)
        if source.key == "nodes" and not stale["done"]:
            stale["done"] = True
            return items, "1"  # compacted away: the API server answers 410 Gone
        return items, version

    kube_cluster.compact_etcd()  # resourceVersion 1 is gone from etcd ...
    kube_cluster.stop_apiserver()  # ... and from a fresh watch cache
    kube_cluster.start()
    monkeypatch.setattr(k8s_client.Connection, "list", list_with_a_stale_version)
    plugin = KubernetesIMSPlugin("expiry")
    plugin.initialize(plugin_config(kube_cluster, resyncPeriod="1h"))
    events: list[InventoryEvent] = []
    stop = threading.Event()
    ready = threading.Event()
    thread = threading.Thread(target=plugin.watch, args=(events.append, stop.is_set, ready.set), daemon=True)
    thread.start()
    try:
        ready.wait(30)
        wait_for(lambda: plugin.last_informer is not None and plugin.last_informer.relists >= 1)
        name = unique("node")
        kube.create_node(name)
        wait_for(lambda: any(e.native_id == f"node/{name}" and e.obj is not None for e in list(events)))
    finally:
        stop.set()
        thread.join(timeout=15)
        plugin.close()
    assert not thread.is_alive()
