"""Heartbeats of the background processes, so that a dead or hung worker or beat is seen, not silent.

- Worker: beat queues `netweave.heartbeat` every NETWEAVE_HEARTBEAT_INTERVAL seconds; a worker that runs it (in
  a pool process, so a hung pool stops the heartbeat too) records `worker:<hostname>` and touches
  `<data>/heartbeat/worker`, the file the `make run` supervisor watches (scripts/supervise.py).
- Beat: a thread started with the scheduler (celery's beat_init signal) records `beat` at the same interval.

Readiness (`/health/ready`) reports `degraded` and the metric `netweave_background_up{component}` is 0 when the
newest heartbeat of a component is older than NETWEAVE_HEARTBEAT_WINDOW seconds. With Celery eager (tasks run
in the web process, no worker exists) there is nothing to watch and both report ok.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.db.models import Max
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

logger = logging.getLogger(__name__)

COMPONENTS = ("worker", "beat")


def interval() -> float:
    return float(getattr(settings, "NETWEAVE_HEARTBEAT_INTERVAL", 15.0))


def window() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "NETWEAVE_HEARTBEAT_WINDOW", 60.0)))


def worker_file() -> Path:
    return Path(settings.DATA_DIR) / "heartbeat" / "worker"


def record(kind: str, name: str) -> None:
    from netweave.models import Heartbeat

    Heartbeat.objects.update_or_create(name=name, defaults={"kind": kind, "seen": timezone.now()})


def touch_worker_file() -> None:
    path = worker_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def watched() -> bool:
    """Whether there are background processes to watch (not with Celery eager)."""
    return not bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def last_seen() -> dict[str, datetime | None]:
    from netweave.models import Heartbeat

    seen: dict[str, datetime | None] = dict.fromkeys(COMPONENTS)
    for row in Heartbeat.objects.values("kind").annotate(last=Max("seen")):
        if row["kind"] in seen:
            seen[row["kind"]] = row["last"]
    return seen


def status() -> dict[str, str]:
    """`ok` or `stale` per component (`ok` for both when nothing runs in the background: Celery eager)."""
    if not watched():
        return dict.fromkeys(COMPONENTS, "ok")
    oldest = timezone.now() - window()
    return {kind: "ok" if seen is not None and seen >= oldest else "stale" for kind, seen in last_seen().items()}


class BackgroundCollector(Collector):
    """netweave_background_up{component} (1 ok, 0 stale) and netweave_background_heartbeat_age_seconds."""

    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "netweave_background_up",
            "1 when the component's last heartbeat is within NETWEAVE_HEARTBEAT_WINDOW, else 0.",
            labels=["component"],
        )
        age = GaugeMetricFamily(
            "netweave_background_heartbeat_age_seconds",
            "Seconds since the component's last heartbeat (absent: never seen).",
            labels=["component"],
        )
        return up, age

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        up, age = self._families()
        try:
            states, seen = status(), last_seen()
        except DatabaseError:
            return
        now = timezone.now()
        for kind in COMPONENTS:
            up.add_metric([kind], 1.0 if states[kind] == "ok" else 0.0)
            when = seen[kind]
            if when is not None:
                age.add_metric([kind], (now - when).total_seconds())
        yield from (up, age)


_registered = False


def register_metrics() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(BackgroundCollector())
        _registered = True


def start_beat_heartbeat() -> threading.Thread:
    """Record the beat heartbeat every interval from a daemon thread of the beat process."""

    def beat() -> None:
        while True:
            try:
                record("beat", "beat")
            except DatabaseError as exc:  # the database is away: the heartbeat goes stale, which is the truth
                logger.warning("Could not record the beat heartbeat: %s", exc)
            finally:
                close_old_connections()
            stop.wait(interval())

    stop = threading.Event()
    thread = threading.Thread(target=beat, name="netweave-beat-heartbeat", daemon=True)
    thread.start()
    return thread
