"""Realtime events from vcsim through the watcher `manage.py netweave_watch` runs (inventory.watch.InstanceWatcher):
VMs created, powered off and removed in vCenter reach a subscriber as O2 notifications, through the
PropertyCollector's WaitForUpdatesEx; the watch survives the loss of its vCenter session (a full update on a new
session, then versions again). A vCenter outage: reads keep serving from the database, health turns unhealthy,
the backend alarm is raised and is cleared when vCenter is back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError

from inventory.models import Resource
from inventory.notifications.receiver import Receiver
from inventory.sync import SyncFailed, sync_instance
from inventory.watch import InstanceWatcher
from plugins import registry
from tests.alarms.conftest import ALARMS
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client, json_of
from tests.vsphere.conftest import Admin
from tests.vsphere.harness import Vcsim

V1 = "/o2ims-infrastructureInventory/v1"
BACKEND_ALARM = "netweave-ims-backend-unreachable"


def in_database(predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll gently: SQLite's shared-cache test database answers 'table is locked' while the watcher writes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = predicate()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            found = None
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not within {timeout}s")


@pytest.fixture
def eager_delivery(settings: Any) -> Iterator[None]:
    """Deliver notifications in the committing thread (Celery eager), as a worker would."""
    from netweave.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def watching(vcsim: Vcsim, make_vsphere_instance: Callable[..., Any]) -> Iterator[Any]:
    instance = make_vsphere_instance(vcsim, "vsphere-watch")
    stop = threading.Event()
    watcher = InstanceWatcher(instance, stop)
    watcher.start()
    try:
        in_database(lambda: Resource.objects.filter(plugin_instance=instance).exists())  # the relist
        yield instance
        assert watcher.is_alive(), "the watcher thread died"
    finally:
        stop.set()
        watcher.join(timeout=15)
        registry.forget(instance.pk)
    assert not watcher.is_alive()


def _event(bodies: list[Any], kind: int, name: str, **extensions: Any) -> bool:
    for body in bodies:
        state = body.get("postObjectState") if kind != 2 else body.get("priorObjectState")
        ext = (state or {}).get("extensions", {})
        wanted = all(ext.get(f"vsphere.{key}") == value for key, value in extensions.items())
        if body.get("notificationEventType") == kind and ext.get("vsphere.name") == name and wanted:
            return True
    return False


@pytest.mark.django_db(transaction=True)
def test_vm_created_powered_off_and_removed_reach_a_subscriber(
    o2: O2Client, vc: Admin, receiver: Receiver, eager_delivery: None, watching: Any
) -> None:
    subscribe(o2, receiver.url + "/smo", consumerSubscriptionId="smo-vsphere")
    name = f"vm-watch-{int(time.time() * 1000) % 100000}"
    started = time.monotonic()
    vm = vc.create_vm(name)
    receiver.wait_for(lambda bodies: _event(bodies, 0, name, powerState="poweredOff"), timeout=30)
    print(f"\nVM created in vCenter -> notification: {time.monotonic() - started:.2f}s")
    try:
        vc.wait(vm.PowerOnVM_Task())
        receiver.wait_for(lambda bodies: _event(bodies, 1, name, powerState="poweredOn"), timeout=30)
        started = time.monotonic()
        vc.wait(vm.PowerOffVM_Task())
        receiver.wait_for(lambda bodies: _event(bodies, 1, name, powerState="poweredOff"), timeout=30)
        print(f"VM powered off -> notification: {time.monotonic() - started:.2f}s")
    finally:
        vc.wait(vm.Destroy_Task())
    receiver.wait_for(lambda bodies: _event(bodies, 2, name), timeout=30)
    in_database(lambda: not Resource.objects.filter(native_id=vm._moId).exists())
    assert all(b["consumerSubscriptionId"] == "smo-vsphere" for b in receiver.bodies())


@pytest.mark.django_db(transaction=True)
def test_watch_takes_a_full_update_after_losing_its_session(vc: Admin, watching: Any) -> None:
    plugin = registry.get_plugin(watching)
    watch = in_database(lambda: plugin.last_watch)
    assert vc.terminate_other_sessions() >= 1  # the watch's and the plugin's sessions
    in_database(lambda: watch.full_updates >= 1)  # a new session, a new collector, a full update
    name = f"vm-after-loss-{int(time.time() * 1000) % 100000}"
    vm = vc.create_vm(name)
    try:
        in_database(lambda: Resource.objects.filter(plugin_instance=watching, native_id=vm._moId).exists())
    finally:
        vc.wait(vm.Destroy_Task())
    in_database(lambda: not Resource.objects.filter(plugin_instance=watching, native_id=vm._moId).exists())


def backend_alarms(o2: O2Client) -> list[dict[str, Any]]:
    return json_of(o2.get(f"{ALARMS}?filter=(eq,alarmDefinitionId,{BACKEND_ALARM})&all_fields"))


@pytest.mark.django_db
def test_outage_reads_from_the_database_raises_and_clears_the_alarm(
    o2: O2Client, outage_vcsim: Vcsim, make_vsphere_instance: Any, forget_plugin_objects: None
) -> None:
    instance = make_vsphere_instance(outage_vcsim)
    sync_instance(instance)
    pools = json_of(o2.get(f"{V1}/resourcePools"))
    assert backend_alarms(o2) == []

    outage_vcsim.stop()
    assert json_of(o2.get(f"{V1}/resourcePools")) == pools  # reads never touch the backend
    status = registry.check_health(instance)
    assert not status.healthy
    assert status.message.startswith("unreachable: vCenter is unreachable")
    with pytest.raises(SyncFailed):
        sync_instance(instance)
    (alarm,) = backend_alarms(o2)
    assert alarm["perceivedSeverity"] == 1
    assert alarm["extensions"]["pluginInstance"] == instance.name

    outage_vcsim.start()  # same port; the plugin's old session is gone with the process: it logs in again
    assert registry.check_health(instance).healthy
    sync_instance(instance)
    (cleared,) = backend_alarms(o2)
    assert cleared["perceivedSeverity"] == 5
    assert json_of(o2.get(f"{V1}/resourcePools")) == pools
