"""vSphere IMS benchmark on vcsim (VMware's vCenter simulator, the tests' harness), then

1. the initial sync of a vCenter with at least 1,000 VMs (PropertyCollector retrieve + derive + reconcile + change
   log), its memory (tracemalloc peak of the sync, and the process's peak RSS), and a no-change re-sync;
2. realtime latency through the watcher `manage.py netweave_watch` runs (inventory.watch.InstanceWatcher) and the
   plugin's `WaitForUpdatesEx` watch: from a VM's power-off in vCenter to (a) its change-log row and (b) the O2
   notification received by a subscriber's HTTP endpoint on loopback (Celery eager: delivered in the committing
   thread).

Standalone (own SQLite database in a temporary directory, own vcsim):

    .venv/bin/python bench/vsphere/vsphere_bench.py --clusters 4 --hosts 4 --pools 5 --vms 50 --events 30
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import ssl
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="netweave-vsphere-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("NETWEAVE_DATA_DIR", str(WORK))
os.environ["NETWEAVE_CALLBACK_ALLOWED_HOSTS"] = "127.0.0.1"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import vim  # noqa: E402

from tests.vsphere.harness import start_vcsim  # noqa: E402


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 4),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 4),
        "max": round(ordered[-1], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=4)
    parser.add_argument("--hosts", type=int, default=4, help="hosts per cluster")
    parser.add_argument("--pools", type=int, default=5, help="resource pools per cluster")
    parser.add_argument("--vms", type=int, default=50, help="VMs per resource pool")
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from netweave.celery import app

    app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)

    from inventory.models import ChangeLogEntry, Resource
    from inventory.notifications.receiver import Receiver
    from inventory.notifications.subscriptions import create_subscription
    from inventory.sync import sync_instance
    from inventory.watch import InstanceWatcher
    from plugins import registry
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_ref, set_secret_value

    results: dict[str, Any] = {"model": vars(args) | {"out": None}}
    started = time.perf_counter()
    sim = start_vcsim(cluster=args.clusters, host=args.hosts, pool=args.pools, vm=args.vms)
    results["vcsim_start_seconds"] = round(time.perf_counter() - started, 2)
    admin = SmartConnect(
        host="127.0.0.1", port=sim.port, user=sim.username, pwd=sim.password,
        sslContext=ssl.create_default_context(cafile=sim.ca_file),
    )  # fmt: skip
    try:
        config = sim.plugin_config()
        secret = set_secret_value(Secret(name="bench-vsphere-password"), str(config.pop("password")))
        instance = PluginInstance.objects.create(
            name="bench-vsphere",
            category="ims",
            plugin_type="vsphere",
            is_default=True,
            sync_interval=0,
            config={**config, "password": secret_ref(secret.name)},
        )
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        first = sync_instance(instance)
        results["initial_sync_seconds"] = round(time.perf_counter() - started, 2)
        results["initial_sync"] = first.summary()
        results["process_peak_rss_mib"] = {
            "before_sync": round(rss_before / 1024, 1),
            "after_sync": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        # Memory of one whole collection (PropertyCollector retrieve, snapshot, derived O2 objects), measured apart:
        # tracemalloc slows every allocation, so it must not be on while a time is taken.
        plugin = registry.get_plugin(instance)
        tracemalloc.start()
        started = time.perf_counter()
        inventory = plugin.collect_inventory()
        traced = time.perf_counter() - started
        results["collection_tracemalloc_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
        started = time.perf_counter()
        plugin.collect_inventory()
        results["collection_seconds"] = round(time.perf_counter() - started, 2)
        results["collection_seconds_under_tracemalloc"] = round(traced, 2)
        results["collected_objects"] = sum(len(getattr(inventory, k) or ()) for k in ("resource_pools", "resources"))
        vms = Resource.objects.filter(plugin_instance=instance, native_id__startswith="vm-").count()
        results["vms"] = vms
        results["resources"] = Resource.objects.filter(plugin_instance=instance).count()
        started = time.perf_counter()
        again = sync_instance(instance)
        results["nochange_resync_seconds"] = round(time.perf_counter() - started, 2)
        assert again.changed == 0, again.summary()

        results["vcsim_update_seconds"], results["derive_seconds"] = raw_update_latency(admin, sim, args.events)

        receiver = Receiver().start()
        create_subscription({"callback": receiver.url, "consumerSubscriptionId": "bench"})
        stop = threading.Event()
        watcher = InstanceWatcher(instance, stop)
        watcher.start()
        content = admin.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        machines = sorted(view.view, key=lambda v: v._moId)
        view.Destroy()
        time.sleep(5)  # the watcher's relist, then its first WaitForUpdatesEx
        to_log: list[float] = []
        to_notification: list[float] = []
        try:
            for i in range(args.events):
                vm = machines[i * 97 % len(machines)]
                on = vm.runtime.powerState == "poweredOn"
                wanted = "poweredOff" if on else "poweredOn"
                last_id = ChangeLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
                t0 = time.perf_counter()
                task = vm.PowerOffVM_Task() if on else vm.PowerOnVM_Task()
                while not _logged(ChangeLogEntry, last_id, vm._moId, wanted):
                    time.sleep(0.005)
                to_log.append(time.perf_counter() - t0)

                def arrived(bodies: list[Any], moid: str = vm._moId, wanted: str = wanted) -> bool:
                    return any(
                        ((b.get("postObjectState") or {}).get("extensions") or {}).get("vsphere.moid") == moid
                        and b["postObjectState"]["extensions"].get("vsphere.powerState") == wanted
                        for b in bodies
                    )

                receiver.wait_for(arrived, timeout=60)
                to_notification.append(time.perf_counter() - t0)
                while task.info.state not in ("success", "error"):
                    time.sleep(0.01)
        finally:
            stop.set()
            watcher.join(timeout=30)
            receiver.stop()
        results["power_change_to_changelog_seconds"] = percentiles(to_log)
        results["power_change_to_notification_seconds"] = percentiles(to_notification)
    finally:
        Disconnect(admin)
        sim.stop()
        sim.log_path.unlink(missing_ok=True)
        shutil.rmtree(WORK, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


def raw_update_latency(admin: Any, sim: Any, events: int) -> tuple[dict[str, float], dict[str, float]]:
    """Where the time goes: a VM power change until vcsim's WaitForUpdatesEx answers a collector with the plugin's
    own filter (no netweave in the path), and the plugin's re-derivation of the O2 inventory from its snapshot."""
    from pyVmomi import vmodl

    from plugins.ims.vsphere import client, mapping
    from plugins.ims.vsphere.watch import apply_update

    connection = client.Connection(
        sim.url, sim.username, sim.password, ssl_context=ssl.create_default_context(cafile=sim.ca_file), timeout=60
    )
    content = connection.content()
    collector = content.propertyCollector.CreatePropertyCollector()
    view = client.container_view(content)
    collector.CreateFilter(client.filter_spec(content, view), partialUpdates=False)
    snapshot: dict[str, Any] = {}
    update = collector.WaitForUpdatesEx("", vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=0))
    while update is not None:
        apply_update(snapshot, update)
        if not update.truncated:
            break
        update = collector.WaitForUpdatesEx(update.version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=0))
    version = update.version if update is not None else ""
    about = mapping.About("bench", "vcsim", "", sim.url)
    machines = [m for m in admin.RetrieveContent().viewManager.CreateContainerView(
        admin.RetrieveContent().rootFolder, [vim.VirtualMachine], True).view][: max(1, events // 3)]  # fmt: skip
    waits: list[float] = []
    derives: list[float] = []
    wait = vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=30)
    for vm in machines:
        started = time.perf_counter()
        vm.PowerOffVM_Task() if vm.runtime.powerState == "poweredOn" else vm.PowerOnVM_Task()
        update = collector.WaitForUpdatesEx(version, wait)
        waits.append(time.perf_counter() - started)
        apply_update(snapshot, update)
        version = update.version
        started = time.perf_counter()
        mapping.derive(snapshot, about)
        derives.append(time.perf_counter() - started)
    collector.DestroyPropertyCollector()
    connection.close()
    return percentiles(waits), percentiles(derives)


def _logged(model: Any, last_id: int, moid: str, wanted: str) -> bool:
    """The change-log row of the watch for this VM in the wanted power state (checked in Python: SQLite has no
    JSON containment lookup)."""
    for post in model.objects.filter(id__gt=last_id, source="watch").values_list("post_state", flat=True):
        extensions = (post or {}).get("extensions") or {}
        if extensions.get("vsphere.moid") == moid and extensions.get("vsphere.powerState") == wanted:
            return True
    return False


if __name__ == "__main__":
    main()
