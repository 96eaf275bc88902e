"""store.py and demo.py: the generated O-Cloud, and the state file as the one truth shared by processes."""

from __future__ import annotations

import collections
import json
import multiprocessing
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from plugins.ims.mock import demo, mapping
from plugins.ims.mock.plugin import MockIMSPlugin
from plugins.ims.mock.store import (
    KIND_DEPLOYMENT_MANAGER,
    KIND_RESOURCE,
    KIND_RESOURCE_POOL,
    KIND_RESOURCE_TYPE,
    MockStore,
)
from plugins.sdk.errors import BackendUnavailable, Conflict, InvalidRequest, NotFound
from plugins.sdk.ims import ResourcePool

REPO = Path(__file__).resolve().parents[4]
KINDS = (KIND_DEPLOYMENT_MANAGER, KIND_RESOURCE_POOL, KIND_RESOURCE_TYPE, KIND_RESOURCE)


def open_store(path: Path, spec: demo.GenerationSpec | None = None) -> MockStore:
    store = MockStore(path)
    store.open(spec or demo.GenerationSpec())
    return store


def dump(store: MockStore) -> dict[str, list[dict[str, Any]]]:
    return {kind: [dict(row) for row in store.list_rows(kind)] for kind in KINDS}


def pool_row(name: str, native_id: str = "") -> dict[str, Any]:
    return mapping.resource_pool_to_row(ResourcePool(native_id=native_id, name=name))


# ---------------------------------------------------------------------------------------------- generation


def test_default_o_cloud_shape(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.sqlite3")
    assert store.counts() == {
        KIND_DEPLOYMENT_MANAGER: 3,
        KIND_RESOURCE_POOL: 6,
        KIND_RESOURCE_TYPE: 7,
        KIND_RESOURCE: 60,
    }
    pools = [row["native_id"] for row in store.list_rows(KIND_RESOURCE_POOL)]
    assert sorted(pools) == sorted(
        ["pool-edge-1a", "pool-edge-1b", "pool-regional-1a", "pool-regional-1b", "pool-central-1a", "pool-central-1b"]
    )
    assert [row["native_id"] for row in store.list_rows(KIND_DEPLOYMENT_MANAGER)] == [
        "dm-central-1",
        "dm-edge-1",
        "dm-regional-1",
    ]
    resources = store.list_rows(KIND_RESOURCE)
    assert resources[0]["native_id"] == "res-000001"
    per_type = collections.Counter(row["resource_type_id"] for row in resources)
    assert per_type == {
        "rt-cisco-n93180": 6,
        "rt-ceph-rbd": 2,
        "rt-dell-powerstore": 4,
        "rt-dell-xr11": 6,
        "rt-intel-acc100": 4,
        "rt-intel-e810": 22,
        "rt-dell-r750": 16,
    }
    types = {row["native_id"]: row for row in store.list_rows(KIND_RESOURCE_TYPE)}
    assert {(t["resource_kind"], t["resource_class"]) for t in types.values()} >= {
        ("PHYSICAL", "COMPUTE"),
        ("PHYSICAL", "NETWORKING"),
        ("PHYSICAL", "STORAGE"),
        ("LOGICAL", "STORAGE"),
    }
    assert sum(t["alarm_dictionary"] is not None for t in types.values()) == 3


def test_children_hang_off_a_server_of_their_own_pool(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.sqlite3")
    resources = {row["native_id"]: row for row in store.list_rows(KIND_RESOURCE)}
    children = [row for row in resources.values() if row["parent_id"]]
    assert len(children) == 26
    for child in children:
        parent = resources[child["parent_id"]]
        assert parent["resource_type_id"] in ("rt-dell-r750", "rt-dell-xr11")
        assert parent["resource_pool_id"] == child["resource_pool_id"]
        assert parent["parent_id"] is None
    servers = [row for row in resources.values() if row["resource_type_id"] in ("rt-dell-r750", "rt-dell-xr11")]
    for server in servers:
        ext = json.loads(server["extensions"])
        assert {"mock.site", "mock.cpuCores", "mock.memoryGiB", "mock.serialNumber", "mock.temperatureC"} <= set(ext)
        assert server["global_asset_id"] == ext["mock.serialNumber"]


def test_deployment_manager_capacity_adds_up_its_site_servers(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.sqlite3")
    for dm in store.list_rows(KIND_DEPLOYMENT_MANAGER):
        site = json.loads(dm["extensions"])["mock.site"]
        servers = [
            json.loads(r["extensions"])
            for r in store.list_rows(KIND_RESOURCE)
            if r["resource_type_id"] in ("rt-dell-r750", "rt-dell-xr11")
            and json.loads(r["extensions"])["mock.site"] == site
        ]
        capacity = json.loads(dm["capacity"])
        assert capacity["nodes"] == len(servers) > 0
        assert capacity["cpu"] == sum(s["mock.cpuCores"] for s in servers)


def test_generation_is_deterministic_in_the_seed(tmp_path: Path) -> None:
    a = dump(open_store(tmp_path / "a.sqlite3"))
    b = dump(open_store(tmp_path / "b.sqlite3"))
    assert a == b
    c = dump(open_store(tmp_path / "c.sqlite3", demo.GenerationSpec(seed=7)))
    assert [r["native_id"] for r in c[KIND_RESOURCE]] == [r["native_id"] for r in a[KIND_RESOURCE]]
    assert [r["extensions"] for r in c[KIND_RESOURCE]] != [r["extensions"] for r in a[KIND_RESOURCE]]


@pytest.mark.parametrize(
    ("spec", "counts"),
    [
        (demo.GenerationSpec(resources=0), (3, 6, 7, 0)),
        (demo.GenerationSpec(sites=1, pools_per_site=1, resources=1), (1, 1, 7, 1)),
        (demo.GenerationSpec(sites=14, pools_per_site=26, resources=5000), (14, 364, 7, 5000)),
    ],
)
def test_sizes(tmp_path: Path, spec: demo.GenerationSpec, counts: tuple[int, ...]) -> None:
    store = open_store(tmp_path / "s.sqlite3", spec)
    assert tuple(store.counts().values()) == counts
    sites = [json.loads(dm["extensions"])["mock.site"] for dm in store.list_rows(KIND_DEPLOYMENT_MANAGER)]
    assert len(set(sites)) == spec.sites
    names = [row["name"] for row in store.list_rows(KIND_RESOURCE_POOL)]
    assert len(set(names)) == len(names)


def test_one_hundred_thousand_resources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Benchmark-sized generation (timing is reported, not asserted: see bench/ for figures)."""
    started = time.perf_counter()
    store = open_store(tmp_path / "big.sqlite3", demo.GenerationSpec(resources=100_000))
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[mock IMS] generated 100000 resources in {elapsed:.2f} s")
    assert store.counts() == {
        KIND_DEPLOYMENT_MANAGER: 3,
        KIND_RESOURCE_POOL: 6,
        KIND_RESOURCE_TYPE: 7,
        KIND_RESOURCE: 100_000,
    }
    conn = sqlite3.connect(store.path)
    try:
        orphans = conn.execute(
            "SELECT count(*) FROM resources r LEFT JOIN resources p ON p.native_id = r.parent_id"
            " WHERE r.parent_id IS NOT NULL AND p.native_id IS NULL"
        ).fetchone()[0]
        assets = conn.execute(
            "SELECT count(*), count(DISTINCT global_asset_id) FROM resources WHERE global_asset_id != ''"
        ).fetchone()
    finally:
        conn.close()
    assert orphans == 0
    assert assets[0] == assets[1]  # asset tags are unique
    assert store.get_row(KIND_RESOURCE, "res-100000")["native_id"] == "res-100000"


# ---------------------------------------------------------------------------------------------- one truth


def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    one, two = open_store(path), open_store(path)
    created = one.create_pool(pool_row("shared"))
    assert two.get_row(KIND_RESOURCE_POOL, created["native_id"])["name"] == "shared"
    two.delete_pool(created["native_id"])
    assert one.find_row(KIND_RESOURCE_POOL, created["native_id"]) is None


def test_state_survives_reopening_and_is_never_regenerated(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = open_store(path)
    store.create_pool(pool_row("kept", "pool-kept"))
    store.close()
    again = MockStore(path)
    assert again.open(demo.GenerationSpec(resources=500, seed=1)) is False
    assert again.counts()[KIND_RESOURCE] == 60
    assert again.get_row(KIND_RESOURCE_POOL, "pool-kept")["name"] == "kept"
    assert json.loads(again.meta()["spec"]) == demo.GenerationSpec().as_dict()


def test_concurrent_writers_in_threads(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    open_store(path)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        store = MockStore(path)
        try:
            for i in range(10):
                store.create_pool(pool_row(f"t{n}-{i}"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert open_store(path).counts()[KIND_RESOURCE_POOL] == 6 + 40


def test_another_process_writes_and_this_one_reads(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    plugin = MockIMSPlugin("here")
    plugin.initialize({"stateFile": str(path)})
    code = (
        "import os, sys, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'netweave.settings')\n"
        "django.setup()\n"
        "from plugins.ims.mock.plugin import MockIMSPlugin\n"
        "from plugins.sdk.ims import ResourcePool\n"
        "p = MockIMSPlugin('there')\n"
        "p.initialize({'stateFile': sys.argv[1]})\n"
        "print(p.create_resource_pool(ResourcePool(native_id='', name='from another process')).native_id)\n"
        "p.delete_resource('res-000060')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    native_id = done.stdout.strip().splitlines()[-1]
    assert native_id == "pool-from-another-process"
    assert plugin.get_resource_pool(native_id).name == "from another process"
    with pytest.raises(NotFound):
        plugin.get_resource("res-000060")


def _child_creates_pool(store: MockStore, queue: Any) -> None:
    queue.put(store.create_pool(pool_row("forked"))["native_id"])


def test_a_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.sqlite3")
    store.counts()  # the parent's connection exists before the fork
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_creates_pool, args=(store, queue))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert store.get_row(KIND_RESOURCE_POOL, queue.get(timeout=5))["name"] == "forked"


# ---------------------------------------------------------------------------------------------- writes


def test_pool_rules(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.sqlite3")
    with pytest.raises(Conflict) as dup:
        store.create_pool(pool_row("paris-edge-1a"))
    assert dup.value.field == "name"
    with pytest.raises(Conflict):
        store.create_pool(pool_row("new name", "pool-edge-1a"))
    a = store.create_pool(pool_row("Lab A"))
    b = store.create_pool(pool_row("lab-a"))
    assert (a["native_id"], b["native_id"]) == ("pool-lab-a", "pool-lab-a-2")
    with pytest.raises(Conflict):
        store.update_pool(a["native_id"], pool_row("lab-a"))
    with pytest.raises(NotFound):
        store.update_pool("pool-nope", pool_row("x"))
    with pytest.raises(Conflict, match="still holds 10 resource"):
        store.delete_pool("pool-edge-1a")
    with pytest.raises(NotFound):
        store.delete_pool("pool-nope")


def test_resource_rules(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.sqlite3")
    base = {
        "native_id": "",
        "resource_type_id": "rt-dell-r750",
        "resource_pool_id": "pool-central-1a",
        "parent_id": None,
        "description": "",
        "global_asset_id": "",
        "extensions": "{}",
        "origin": "api",
    }
    for field, value in (("resource_type_id", "rt-nope"), ("resource_pool_id", "pool-nope"), ("parent_id", "res-x")):
        with pytest.raises(InvalidRequest) as bad:
            store.create_resource({**base, field: value})
        assert bad.value.field == field
    assert store.create_resource(base)["native_id"] == "res-000061"
    store.create_resource({**base, "native_id": "res-000062"})
    assert store.create_resource(base)["native_id"] == "res-000063"  # skips the id taken by hand
    with pytest.raises(Conflict):
        store.create_resource({**base, "native_id": "res-000061"})
    with pytest.raises(Conflict, match="child"):
        store.delete_resource("res-000013")  # an edge server with its NIC and accelerator
    with pytest.raises(NotFound):
        store.delete_resource("res-999999")


def test_journal_records_each_change(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.sqlite3")
    assert store.journal_head() == 0
    pool = store.create_pool(pool_row("j"))
    store.update_pool(pool["native_id"], pool_row("j2"))
    store.delete_pool(pool["native_id"])
    entries = store.journal_since(0)
    assert [(e.kind, e.native_id, e.action, e.source) for e in entries] == [
        (KIND_RESOURCE_POOL, "pool-j", "create", "api"),
        (KIND_RESOURCE_POOL, "pool-j", "modify", "api"),
        (KIND_RESOURCE_POOL, "pool-j", "delete", "api"),
    ]
    assert store.journal_since(entries[-1].seq) == []
    conn = sqlite3.connect(store.path)
    conn.execute("DELETE FROM journal WHERE seq <= 2")
    conn.commit()
    conn.close()
    with pytest.raises(BackendUnavailable, match="re-list"):
        store.journal_since(0)


# ---------------------------------------------------------------------------------------------- failures


def test_a_corrupt_file_is_backend_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BackendUnavailable, match=r"s\.sqlite3"):
        MockStore(path).open(demo.GenerationSpec())


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    open_store(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(BackendUnavailable, match="schema version 99"):
        MockStore(path).open(demo.GenerationSpec())
