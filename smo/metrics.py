"""Prometheus metrics of the SMO northbound sync, read from the cursors at scrape time (pushes happen in
workers, scrapes hit web processes; the cursor rows are the one shared truth, as for the notification outbox):

- netweave_smo_lag_entries{instance}: change-log entries not yet pushed (head of the log minus the position);
- netweave_smo_events_pending{instance}: events in the outbox not yet published;
- netweave_smo_objects_pushed_total / netweave_smo_events_published_total{instance}: rate() gives push rates;
- netweave_smo_errors_total / netweave_smo_duplicates_total{instance}.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import REGISTRY, Collector

from smo import changes
from smo.models import NorthboundCursor, OutboundEvent

LABELS = ["instance"]


class NorthboundCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def _families(self) -> list[Metric]:
        return [
            GaugeMetricFamily("netweave_smo_lag_entries", "Change-log entries not yet pushed.", labels=LABELS),
            GaugeMetricFamily("netweave_smo_events_pending", "Events waiting to be published.", labels=LABELS),
            CounterMetricFamily("netweave_smo_objects_pushed", "Inventory objects pushed.", labels=LABELS),
            CounterMetricFamily("netweave_smo_events_published", "Events published.", labels=LABELS),
            CounterMetricFamily("netweave_smo_errors", "Failed pushes and publishes.", labels=LABELS),
            CounterMetricFamily(
                "netweave_smo_duplicates", "Objects or events sent again after an interrupted push.", labels=LABELS
            ),
        ]

    def collect(self) -> Iterator[Metric]:
        lag, pending, pushed, published, errors, duplicates = self._families()
        head = changes.head()
        waiting = {
            row["instance_id"]: row["n"]
            for row in OutboundEvent.objects.filter(status=OutboundEvent.Status.PENDING)
            .values("instance_id")
            .annotate(n=Count("id"))
        }
        for cursor in NorthboundCursor.objects.select_related("instance"):
            label = [cursor.instance.name]
            lag.add_metric(label, max(head - cursor.position, 0))  # type: ignore[attr-defined]
            pending.add_metric(label, waiting.get(cursor.instance_id, 0))  # type: ignore[attr-defined]
            pushed.add_metric(label, cursor.objects_pushed + cursor.objects_deleted)  # type: ignore[attr-defined]
            published.add_metric(label, cursor.events_published)  # type: ignore[attr-defined]
            errors.add_metric(label, cursor.errors)  # type: ignore[attr-defined]
            duplicates.add_metric(label, cursor.duplicates)  # type: ignore[attr-defined]
        yield from (lag, pending, pushed, published, errors, duplicates)


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(NorthboundCollector())
        _registered = True
