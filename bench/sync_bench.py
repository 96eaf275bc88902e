"""Sync benchmark: the mock IMS plugin at N resources, reconciled into the configured database.

Run by bench/run.sh (standalone, with django.setup()); needs an EMPTY inventory (a fresh database):

    DATABASE_URL=postgres://... python bench/sync_bench.py --resources 100000 --out bench/results/sync.json

Phases, each timed around `inventory.sync.sync_instance` (plugin listing + reconcile + change log):

1. initial sync of N resources (every object created, one change-log row each);
2. no-change re-syncs (nothing written);
3. re-syncs after 1% of the resources were modified in the backend (SQL on the mock's state file: each
   round rewrites the `extensions` of a seeded random 1% sample);
4. informational: a mixed 1% (half modified, a quarter created and a quarter deleted through the plugin API).

Then it picks the read benchmark's target: the (pool, resource type) pair with the most resources, checks
that the filtered page is full (NETWEAVE_PAGE_SIZE items) through Django's test client, counts its queries,
and writes the page body to --body-file (the bare view's body). The page is read with an API token (reader
role), written to --token-file for wrk.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from inventory.models import ChangeLogEntry, DeploymentManager, Resource, ResourcePool, ResourceType  # noqa: E402
from inventory.sync import SyncResult, sync_instance  # noqa: E402
from plugins.models import PluginInstance  # noqa: E402
from plugins.registry import forget, get_plugin  # noqa: E402
from plugins.sdk import ims as sdk  # noqa: E402

INSTANCE_NAME = "bench-mock"


def log(message: str) -> None:
    print(f"[sync_bench] {message}", file=sys.stderr, flush=True)


def counts_of(result: SyncResult) -> dict[str, dict[str, int]]:
    return {kind: vars(c).copy() for kind, c in result.counts.items()}


def timed_sync(instance: PluginInstance, label: str) -> dict[str, Any]:
    instance.refresh_from_db()
    changelog_before = ChangeLogEntry.objects.count()
    started = time.perf_counter()
    result = sync_instance(instance)
    total = time.perf_counter() - started
    changelog_rows = ChangeLogEntry.objects.count() - changelog_before
    log(f"{label}: {total:.2f} s (reconcile {result.seconds:.2f} s) {result.summary()}; +{changelog_rows} log rows")
    return {
        "seconds": round(total, 3),
        "reconcile_seconds": round(result.seconds, 3),
        "changed": result.changed,
        "changelog_rows": changelog_rows,
        "counts": counts_of(result),
    }


def modify_in_backend(state_file: Path, native_ids: list[str], revision: str) -> None:
    """Change the content of the given resources directly in the mock's state file (a backend-side edit)."""
    conn = sqlite3.connect(state_file, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            """UPDATE resources SET extensions = json_set(extensions, '$."bench.revision"', ?) WHERE native_id = ?""",
            [(revision, n) for n in native_ids],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def all_resource_ids(state_file: Path) -> tuple[list[str], list[str]]:
    """(every resource native id, the leaves: resources nobody names as parent)."""
    conn = sqlite3.connect(state_file, timeout=30)
    try:
        every = [r[0] for r in conn.execute("SELECT native_id FROM resources ORDER BY native_id")]
        leaves = [
            r[0]
            for r in conn.execute(
                "SELECT native_id FROM resources AS r WHERE NOT EXISTS "
                "(SELECT 1 FROM resources AS c WHERE c.parent_id = r.native_id) ORDER BY native_id"
            )
        ]
    finally:
        conn.close()
    return every, leaves


def median_of(runs: list[dict[str, Any]]) -> float:
    return round(statistics.median(r["seconds"] for r in runs), 3)


def pick_read_target(body_file: Path, token: str) -> dict[str, Any]:
    page_size = settings.NETWEAVE_PAGE_SIZE
    pair = (
        Resource.objects.values("resource_pool_id", "resource_type_id")
        .annotate(n=Count("id"))
        .order_by("-n", "resource_pool_id", "resource_type_id")
        .first()
    )
    if pair is None or pair["n"] <= page_size:
        raise SystemExit(f"no (pool, type) pair with more than {page_size} resources: the page would not be full")
    path = (
        f"/o2ims-infrastructureInventory/v1/resourcePools/{pair['resource_pool_id']}/resources"
        f"?filter=(eq,resourceTypeId,{pair['resource_type_id']})"
    )
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get(path)  # warm caches before counting queries
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:500]!r}")
    items = json.loads(response.content)
    if len(items) != page_size or "Link" not in response:
        raise SystemExit(f"GET {path} returned {len(items)} items (Link: {response.get('Link')}); expected a full page")
    body_file.parent.mkdir(parents=True, exist_ok=True)
    body_file.write_bytes(response.content)
    log(f"read target {path}: {pair['n']} matching rows, {len(response.content)} bytes, {len(queries)} queries")
    return {
        "path": path,
        "matching_rows": pair["n"],
        "pool_resources": Resource.objects.filter(resource_pool_id=pair["resource_pool_id"]).count(),
        "page_items": len(items),
        "body_bytes": len(response.content),
        "queries": len(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--pools-per-site", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--state-file", type=Path, default=Path("/tmp/netweave-bench/mock-ims.sqlite3"))
    parser.add_argument("--body-file", type=Path, default=ROOT / "bench" / "results" / "page.json")
    parser.add_argument("--token-file", type=Path, default=ROOT / "bench" / "results" / "token")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "sync.json")
    parser.add_argument("--no-change-runs", type=int, default=3)
    parser.add_argument("--one-percent-runs", type=int, default=3)
    args = parser.parse_args()

    vendor = connection.vendor
    if Resource.objects.exists() or PluginInstance.objects.filter(name=INSTANCE_NAME).exists():
        raise SystemExit("the database already holds inventory: run the benchmark on a fresh database")

    for suffix in ("", "-wal", "-shm"):
        Path(f"{args.state_file}{suffix}").unlink(missing_ok=True)
    args.state_file.parent.mkdir(parents=True, exist_ok=True)

    instance = PluginInstance.objects.create(
        name=INSTANCE_NAME,
        category="ims",
        plugin_type="mock",
        is_default=False,
        sync_interval=0,
        config={
            "seed": args.seed,
            "sites": args.sites,
            "poolsPerSite": args.pools_per_site,
            "resources": args.resources,
            "stateFile": str(args.state_file),
            "churn": {"enabled": False, "changesPerMinute": 6},
        },
    )
    started = time.perf_counter()
    plugin = get_plugin(instance)
    generate_seconds = time.perf_counter() - started
    log(f"mock O-Cloud generated in {generate_seconds:.2f} s ({args.resources} resources) [not part of any sync]")
    assert isinstance(plugin, sdk.IMSPlugin)

    started = time.perf_counter()
    inventory = plugin.collect_inventory()
    collect_seconds = time.perf_counter() - started
    log(f"plugin listing alone: {collect_seconds:.2f} s ({len(inventory.resources or ())} resources)")
    del inventory

    initial = timed_sync(instance, "initial sync")
    objects = {
        "resources": Resource.objects.count(),
        "resource_pools": ResourcePool.objects.count(),
        "resource_types": ResourceType.objects.count(),
        "deployment_managers": DeploymentManager.objects.count(),
    }
    if objects["resources"] != args.resources:
        raise SystemExit(f"expected {args.resources} resources after the initial sync, found {objects['resources']}")

    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after a bulk load; keeps runs comparable
    no_change = [timed_sync(instance, f"no-change re-sync #{i + 1}") for i in range(args.no_change_runs)]

    every, leaves = all_resource_ids(args.state_file)
    rng = random.Random(args.seed)
    sample_size = max(1, len(every) // 100)
    one_percent = []
    for i in range(args.one_percent_runs):
        sample = rng.sample(every, sample_size)
        modify_in_backend(args.state_file, sample, f"r{i + 1}")
        run = timed_sync(instance, f"1% modified re-sync #{i + 1} ({sample_size} resources)")
        if run["counts"].get("resource", {}).get("modified") != sample_size:
            raise SystemExit(f"expected {sample_size} modified resources, got {run['counts']}")
        one_percent.append(run)

    # Mixed 1% (informational): half modified, a quarter created, a quarter deleted, via the plugin's API.
    quarter = sample_size // 4
    modify_in_backend(args.state_file, rng.sample(every, sample_size - 2 * quarter), "mixed")
    for native_id in rng.sample(leaves, quarter):
        plugin.delete_resource(native_id)
    template = plugin.get_resource(leaves[0])
    for n in range(quarter):
        plugin.create_resource(
            sdk.Resource(
                native_id=f"bench-{n:05d}",
                resource_type_id=template.resource_type_id,
                resource_pool_id=template.resource_pool_id,
                description=f"benchmark resource {n}",
                global_asset_id=f"BENCH-{n:05d}",
                extensions={"bench.n": n},
            )
        )
    mixed = timed_sync(instance, f"mixed 1% re-sync ({sample_size - 2 * quarter} ~, {quarter} +, {quarter} -)")

    # The read benchmark authenticates like an SMO: an API token with the reader role (docs/security.md).
    from netweave.security.tokens import create_token

    _, token = create_token("bench-reader", ["reader"])
    args.token_file.parent.mkdir(parents=True, exist_ok=True)
    args.token_file.write_text(token)
    args.token_file.chmod(0o600)
    read_target = pick_read_target(args.body_file, token)
    forget(instance.pk)

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT sqlite_version()")
        database_version = cursor.fetchone()[0]
    results = {
        "database": vendor,
        "database_version": database_version,
        "resources": args.resources,
        "layout": {"sites": args.sites, "pools_per_site": args.pools_per_site, "seed": args.seed},
        "objects": objects,
        "mock_generate_seconds": round(generate_seconds, 3),
        "plugin_listing_seconds": round(collect_seconds, 3),
        "initial": initial,
        "no_change": {"median_seconds": median_of(no_change), "runs": no_change},
        "one_percent": {"median_seconds": median_of(one_percent), "changed": sample_size, "runs": one_percent},
        "mixed_one_percent": mixed,
        "changelog_rows_total": ChangeLogEntry.objects.count(),
        "read_target": read_target,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
