"""Phases shared by the benchmarks of polling IMS plugins (bench/aws, bench/azure): the initial sync, a re-poll of
the unchanged backend (skipped by the fingerprint, docs/decisions/0011-polling-fingerprint.md) and the same
no-change sync with the skip disabled."""

from __future__ import annotations

import time
from typing import Any


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    value = action()
    return round(time.perf_counter() - started, 2), value


def sync_phases(instance: Any, results: dict[str, Any], expected_resources: int) -> None:
    """Time the three syncs into `results` (seconds and the initial sync's summary)."""
    from inventory import sync
    from inventory.models import Resource

    results["initial_sync_seconds"], first = timed(lambda: sync.sync_instance(instance))
    results["initial_sync"] = first.summary()
    assert Resource.objects.filter(plugin_instance=instance).count() == expected_resources
    results["unchanged_poll_seconds"], again = timed(lambda: sync.sync_instance(instance))
    assert again.skipped, again.summary()
    sync._reconciled_fingerprints.clear()  # the same no-change sync, without the fingerprint's skip
    results["nochange_full_reconcile_seconds"], full = timed(lambda: sync.sync_instance(instance))
    assert not full.skipped, full.summary()
    assert full.changed == 0, full.summary()
