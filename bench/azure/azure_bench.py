"""Azure IMS benchmark: N VMSS instances in AKS agent pools on the fake ARM (tests/azure/fake_arm.py), synced into
netweave through the real SDK clients over HTTPS.

Standalone (own SQLite database in a temporary directory, the fake ARM in this process on a free loopback port):

    .venv/bin/python bench/azure/azure_bench.py --instances 5000 --out /tmp/azure-bench.json

Phases: one read pass of the plugin alone (clusters, agent pools, scale sets, instances in pages of --page-size,
VM sizes); mapping it; the initial sync; a re-poll of the unchanged subscription (skipped by the fingerprint); the
same no-change sync with the skip disabled; a scale of one agent pool by +50 through the plugin (the agent pool PUT
and its long-running operation polled to Succeeded) and the sync that picks the new instances up. The fake checks
every answer against the spec schema, in this process: its share is in every wall time below.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="netweave-azure-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("NETWEAVE_DATA_DIR", str(WORK))

import django  # noqa: E402

from bench.polling import sync_phases, timed  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.azure import fake_arm  # noqa: E402
from tests.dtias.test_dtias_tls import self_signed  # noqa: E402

POOLS = 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)

    from inventory import sync
    from plugins.models import PluginInstance, Secret
    from plugins.registry import get_plugin
    from plugins.sdk.ims import ResourcePool
    from plugins.secrets import secret_ref, set_secret_value

    cert, key = self_signed(WORK)
    world = fake_arm.World(page_size=args.page_size)
    server = fake_arm.FakeArmServer(world, cert, key).start()
    per_pool = args.instances // POOLS
    results: dict[str, Any] = {"instances": per_pool * POOLS, "pools": POOLS, "page_size": args.page_size}
    try:
        world.add_cluster("rg-bench", "aks-bench")
        for i in range(POOLS):
            world.add_pool("rg-bench", "aks-bench", f"np{i}", count=per_pool, zones=[str(1 + i % 3)])
        secret = set_secret_value(Secret(name="bench-azure-secret"), world.client_secret)
        instance = PluginInstance.objects.create(
            name="bench-azure",
            category="ims",
            plugin_type="azure",
            is_default=True,
            sync_interval=0,
            config={
                "subscriptionId": world.subscription,
                "tenantId": world.tenant,
                "clientId": world.client_id,
                "clientSecret": secret_ref(secret.name),
                "armEndpoint": server.url,
                "authorityHost": server.url,
                "caBundle": cert,
                "operationPollSeconds": 0.05,
            },
        )
        plugin = get_plugin(instance)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results["read_pass_seconds"], read = timed(plugin.snapshot)
        results["map_seconds"], _ = timed(partial(plugin._mapped, read))
        results["read_pass_peak_rss_growth_mib"] = round(
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1
        )
        results["arm_requests_per_pass"] = len(world.requests)

        sync_phases(instance, results, per_pool * POOLS)

        pool = plugin.get_resource_pool("rg-bench/aks-bench/np0")
        grown = ResourcePool(**{**pool.__dict__, "extensions": {"azure.count": per_pool + 50}})
        results["scale_up_50_operation_seconds"], _ = timed(lambda: plugin.update_resource_pool(pool.native_id, grown))
        results["scale_up_50_sync_seconds"], scaled = timed(lambda: sync.sync_instance(instance))
        results["scale_up_50_sync"] = scaled.summary()
        results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    finally:
        server.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
