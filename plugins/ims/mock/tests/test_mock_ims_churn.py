"""Churn: the simulated O-Cloud changing by itself, deterministically and once per step across processes."""

from __future__ import annotations

import collections
import json
from pathlib import Path
from typing import Any

from plugins.ims.mock import demo
from plugins.ims.mock.plugin import MockIMSPlugin
from plugins.ims.mock.store import (
    KIND_RESOURCE,
    MAX_CHURN_STEPS_PER_CALL,
    ChurnSettings,
    MockStore,
)


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(path: Path, clock: FakeClock | None = None, *, enabled: bool = True, per_minute: int = 60) -> MockStore:
    store = MockStore(
        path, churn=ChurnSettings(enabled=enabled, changes_per_minute=per_minute), clock=clock or FakeClock()
    )
    store.open(demo.GenerationSpec())
    return store


def resources(store: MockStore) -> dict[str, dict[str, Any]]:
    return {row["native_id"]: dict(row) for row in store.list_rows(KIND_RESOURCE)}


def test_churn_now_is_deterministic_in_seed_and_step(tmp_path: Path) -> None:
    a, b = make(tmp_path / "a.db", enabled=False), make(tmp_path / "b.db", enabled=False)
    a.churn_now(120)
    b.churn_now(70)
    b.churn_now(50)  # the same steps in two calls
    assert resources(a) == resources(b)
    assert a.meta()["churn_step"] == b.meta()["churn_step"] == "120"


def test_churn_modifies_adds_and_deletes(tmp_path: Path) -> None:
    store = make(tmp_path / "s.db", enabled=False)
    before = resources(store)
    store.churn_now(400)
    after = resources(store)
    actions = collections.Counter((e.action, e.source) for e in store.journal_since(0, limit=10_000))
    assert set(actions) == {("modify", "churn"), ("create", "churn"), ("delete", "churn")}
    assert sum(actions.values()) == 400
    assert actions[("create", "churn")] - actions[("delete", "churn")] == len(after) - len(before)
    # Seeded resources are modified, never deleted; only servers get sensor changes.
    assert set(before) <= set(after)
    changed = [nid for nid in before if before[nid]["extensions"] != after[nid]["extensions"]]
    assert changed
    for nid in changed:
        old, new = json.loads(before[nid]["extensions"]), json.loads(after[nid]["extensions"])
        assert set(old) == set(new)
        assert {k for k in old if old[k] != new[k]} <= {"mock.temperatureC", "mock.powerState"}
    added = [row for nid, row in after.items() if nid not in before]
    assert all(
        row["origin"] == "churn" and row["resource_type_id"] in ("rt-dell-r750", "rt-dell-xr11") for row in added
    )
    assert all(row["native_id"] > "res-000060" for row in added)


def test_churn_is_due_with_time_and_applied_on_reads(tmp_path: Path) -> None:
    clock = FakeClock()
    store = make(tmp_path / "s.db", clock, per_minute=60)  # one step a second
    clock.now += 0.9
    store.counts()
    assert store.meta()["churn_step"] == "0"
    clock.now += 4.2  # 5.1 s after generation
    store.list_rows(KIND_RESOURCE)
    assert store.meta()["churn_step"] == "5"
    clock.now += 0.95  # 6.05 s: the fraction carried over makes the sixth step due
    store.counts()
    assert store.meta()["churn_step"] == "6"


def test_time_based_churn_equals_churn_now(tmp_path: Path) -> None:
    clock = FakeClock()
    timed = make(tmp_path / "t.db", clock, per_minute=30)
    manual = make(tmp_path / "m.db", enabled=False)
    clock.now += 60.0
    manual.churn_now(30)
    assert resources(timed) == resources(manual)


def test_a_long_idle_backlog_is_bounded(tmp_path: Path) -> None:
    clock = FakeClock()
    store = make(tmp_path / "s.db", clock, per_minute=600)
    clock.now += 3600.0  # 36000 steps would be due
    store.counts()
    assert store.meta()["churn_step"] == str(MAX_CHURN_STEPS_PER_CALL)
    assert float(store.meta()["churn_last"]) == clock.now
    store.counts()
    assert store.meta()["churn_step"] == str(MAX_CHURN_STEPS_PER_CALL)


def test_two_processes_sharing_a_file_apply_each_step_once(tmp_path: Path) -> None:
    clock = FakeClock()
    one = make(tmp_path / "s.db", clock)
    two = MockStore(one.path, churn=ChurnSettings(enabled=True, changes_per_minute=60), clock=clock)
    two.open(demo.GenerationSpec())
    clock.now += 10.0
    one.counts()
    two.counts()
    assert two.meta()["churn_step"] == "10"
    assert len(one.journal_since(0)) == 10


def test_disabled_churn_changes_nothing_over_time(tmp_path: Path) -> None:
    clock = FakeClock()
    store = make(tmp_path / "s.db", clock, enabled=False)
    before = resources(store)
    clock.now += 86_400.0
    assert resources(store) == before
    assert store.journal_head() == 0


def test_plugin_churn_now_and_config(tmp_path: Path) -> None:
    plugin = MockIMSPlugin("churny")
    clock = FakeClock()
    plugin.clock = clock
    plugin.initialize({"stateFile": str(tmp_path / "s.db"), "churn": {"enabled": True, "changesPerMinute": 120}})
    assert plugin.churn_now(3) == 3
    clock.now += 1.0  # two more steps due
    plugin.list_resources()
    assert plugin.store.meta()["churn_step"] == "5"
