"""AWS IMS benchmark: N EC2 instances in EKS node groups on moto in server mode, synced into netweave.

Standalone (own SQLite database in a temporary directory, own moto server on a free loopback port):

    .venv/bin/python bench/aws/aws_bench.py --instances 5000 --out /tmp/aws-bench.json

Phases: create the instances (10 node groups, their Auto Scaling groups launch them, as EKS would); one
describe pass of the plugin alone, with its Python heap peak (tracemalloc); the initial sync; a re-poll of the
unchanged account (skipped by the fingerprint); the same no-change sync with the skip disabled (the full
reconcile that the fingerprint avoids); a scale-up of one node group by 50 nodes and the sync that picks them up.
The process's peak RSS is reported at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="netweave-aws-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ.setdefault("NETWEAVE_DATA_DIR", str(WORK))

import django  # noqa: E402

from bench.polling import sync_phases, timed  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from tests.aws.conftest import ACCESS_KEY, NODE_ROLE, REGION, SECRET_KEY, AwsAccount, _wait_up, free_port  # noqa: E402

NODEGROUPS = 10


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)

    from inventory import sync
    from plugins.ims.aws import mapping
    from plugins.models import PluginInstance, Secret
    from plugins.registry import get_plugin
    from plugins.secrets import secret_ref, set_secret_value

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false"},
    )
    results: dict[str, Any] = {"instances": args.instances, "nodegroups": NODEGROUPS}
    try:
        problem = _wait_up(url, server, 60)
        if problem:
            raise SystemExit(problem)
        aws = AwsAccount(url)
        per_group = args.instances // NODEGROUPS

        def populate() -> None:
            aws.create_cluster("bench")
            for i in range(NODEGROUPS):
                # one subnet each, spread over the zones: a default subnet (/20) holds about 4,000 addresses
                aws.eks.create_nodegroup(
                    clusterName="bench",
                    nodegroupName=f"ng-{i}",
                    subnets=[aws.subnet_ids(3)[i % 3]],
                    nodeRole=NODE_ROLE,
                    scalingConfig={"minSize": 0, "maxSize": per_group + 100, "desiredSize": per_group},
                    instanceTypes=["m5.large"],
                )
            aws.settle()

        results["create_instances_seconds"], _ = timed(populate)
        secret = set_secret_value(Secret(name="bench-aws-secret"), SECRET_KEY)
        instance = PluginInstance.objects.create(
            name="bench-aws",
            category="ims",
            plugin_type="aws",
            is_default=True,
            sync_interval=0,
            config={
                "region": REGION,
                "endpointUrl": url,
                "accessKeyId": ACCESS_KEY,
                "secretAccessKey": secret_ref(secret.name),
                "requestTimeoutSeconds": 300,  # moto renders a page of 1,000 instances in tens of seconds here
            },
        )
        plugin = get_plugin(instance)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        results["describe_pass_seconds"], described = timed(plugin.snapshot)
        results["map_seconds"], _ = timed(partial(mapping.map_snapshot, described))
        results["describe_pass_peak_rss_growth_mib"] = round(
            (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1
        )

        sync_phases(instance, results, per_group * NODEGROUPS)

        aws.eks.update_nodegroup_config(
            clusterName="bench", nodegroupName="ng-0", scalingConfig={"desiredSize": per_group + 50}
        )
        aws.settle()
        results["scale_up_50_sync_seconds"], scaled = timed(lambda: sync.sync_instance(instance))
        results["scale_up_50_sync"] = scaled.summary()
        results["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    finally:
        server.kill()
        server.wait(timeout=30)
        shutil.rmtree(WORK, ignore_errors=True)
    text = json.dumps(results, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
