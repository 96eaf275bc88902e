"""Kubernetes IMS benchmark: N Nodes on a real kube-apiserver (the test harness's), then

1. the initial sync (plugin list + derive + reconcile + change log) and a no-change re-sync;
2. realtime latency through the watcher `manage.py netweave_watch` runs (inventory.watch.InstanceWatcher):
   from the write on the API server to (a) the change-log row and (b) the O2 notification received by a
   subscriber's HTTP endpoint on loopback (Celery eager: delivered in the committing thread).

Standalone (own SQLite database in a temporary directory, own API server):

    .venv/bin/python bench/kubernetes/k8s_bench.py --nodes 5000 --events 30 --out /tmp/k8s-bench.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="netweave-k8s-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("NETWEAVE_DATA_DIR", str(WORK))
os.environ["NETWEAVE_CALLBACK_ALLOWED_HOSTS"] = "127.0.0.1"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.k8s.objects import KubeObjects  # noqa: E402
from tests.k8s_harness import start_cluster  # noqa: E402


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 4),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 4),
        "max": round(ordered[-1], 4),
    }


def create_nodes(kube: KubeObjects, count: int) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda i: kube.create_node(
                    f"bench-{i:05d}",
                    labels={"netweave.io/pool": f"pool-{i % 10}", "node.kubernetes.io/instance-type": "m5.xlarge"},
                ),
                range(count),
            )
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from netweave.celery import app

    app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)

    from inventory.models import ChangeLogEntry, Resource
    from inventory.notifications.receiver import Receiver
    from inventory.sync import sync_instance
    from inventory.watch import InstanceWatcher
    from plugins.models import PluginInstance, Secret

    results: dict[str, Any] = {"nodes": args.nodes}
    started = time.perf_counter()
    cluster = start_cluster(WORK / "kube")
    results["apiserver_start_seconds"] = round(time.perf_counter() - started, 2)
    try:
        kube = KubeObjects(cluster)
        results["node_creation_seconds"] = round(create_nodes(kube, args.nodes), 2)

        secret = Secret.objects.create(name="bench-kubeconfig", provider="file", reference=str(cluster.kubeconfig))
        instance = PluginInstance.objects.create(
            name="bench-k8s",
            category="ims",
            plugin_type="kubernetes",
            is_default=True,
            sync_interval=0,
            config={"kubeconfig": {"secretRef": secret.name}, "resyncPeriod": "1h"},
        )
        started = time.perf_counter()
        first = sync_instance(instance)
        results["initial_sync_seconds"] = round(time.perf_counter() - started, 2)
        results["initial_sync"] = first.summary()
        started = time.perf_counter()
        again = sync_instance(instance)
        results["nochange_resync_seconds"] = round(time.perf_counter() - started, 2)
        assert again.changed == 0, again.summary()
        assert Resource.objects.filter(plugin_instance=instance).count() == args.nodes

        receiver = Receiver().start()
        from inventory.notifications.subscriptions import create_subscription

        create_subscription({"callback": receiver.url, "consumerSubscriptionId": "bench"})
        stop = threading.Event()
        watcher = InstanceWatcher(instance, stop)
        watcher.start()
        time.sleep(5)  # the watcher's relist of N nodes, then its watches
        to_log: list[float] = []
        to_notification: list[float] = []
        try:
            for i in range(args.events):
                name = f"bench-{i * 97 % args.nodes:05d}"
                marker = f"v{i}"
                last_id = ChangeLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
                t0 = time.perf_counter()
                kube.label_node(name, {"bench.netweave.io/round": marker})
                while not ChangeLogEntry.objects.filter(
                    id__gt=last_id, source="watch", post_state__description=f"Node {name}"
                ).exists():
                    time.sleep(0.005)
                to_log.append(time.perf_counter() - t0)

                def arrived(bodies: list[Any], marker: str = marker) -> bool:
                    return any(
                        (b.get("postObjectState") or {})
                        .get("extensions", {})
                        .get("kubernetes.labels", {})
                        .get("bench.netweave.io/round")
                        == marker
                        for b in bodies
                    )

                receiver.wait_for(arrived, timeout=60)
                to_notification.append(time.perf_counter() - t0)
        finally:
            stop.set()
            watcher.join(timeout=30)
            receiver.stop()
        results["event_to_changelog_seconds"] = percentiles(to_log)
        results["event_to_notification_seconds"] = percentiles(to_notification)
    finally:
        cluster.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
