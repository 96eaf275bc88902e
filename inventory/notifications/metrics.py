"""Prometheus metrics of the notification outbox, read from the database at scrape time.

Deliveries happen in Celery workers and scrapes hit web processes, so per-process counters would show each a
different part of the truth. The outbox rows and the per-subscription counters (added while the worker holds the
subscription, every few deliveries; see delivery.Tally) are the one shared truth; this collector renders them:

- netweave_outbox_depth{subscription}: pending notifications;
- netweave_outbox_expired{subscription}: expired notifications awaiting a re-drive;
- netweave_subscription_paused{subscription}: 1 while an operator has paused delivery (the depth then grows);
- netweave_notification_deliveries_total / netweave_notification_delivery_failures_total{subscription};
- netweave_notification_delivery_latency_seconds{subscription}: summary (sum and count) of change-to-delivery time.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from inventory.models import Notification, Subscription

LABELS = ["subscription"]


class OutboxCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        """The metric names, without touching the database (the registry asks at registration)."""
        yield from self._families()

    def _families(
        self,
    ) -> tuple[
        GaugeMetricFamily,
        GaugeMetricFamily,
        GaugeMetricFamily,
        CounterMetricFamily,
        CounterMetricFamily,
        SummaryMetricFamily,
    ]:
        depth = GaugeMetricFamily("netweave_outbox_depth", "Notifications waiting for delivery.", labels=LABELS)
        expired = GaugeMetricFamily(
            "netweave_outbox_expired", "Notifications expired undelivered (re-drivable in the admin).", labels=LABELS
        )
        paused = GaugeMetricFamily(
            "netweave_subscription_paused", "1 while delivery to the subscription is paused.", labels=LABELS
        )
        delivered = CounterMetricFamily("netweave_notification_deliveries", "Notifications delivered.", labels=LABELS)
        failures = CounterMetricFamily(
            "netweave_notification_delivery_failures", "Failed delivery attempts.", labels=LABELS
        )
        latency = SummaryMetricFamily(
            "netweave_notification_delivery_latency_seconds",
            "Time from the change to its delivery.",
            labels=LABELS,
        )
        return depth, expired, paused, delivered, failures, latency

    def collect(self) -> Iterator[Metric]:
        depth, expired, paused, delivered, failures, latency = self._families()
        counts = {
            (str(row["subscription_id"]), row["status"]): row["n"]
            for row in Notification.objects.exclude(status=Notification.Status.DELIVERED)
            .values("subscription_id", "status")
            .annotate(n=Count("id"))
        }
        for sub in Subscription.objects.values("id", "delivered_count", "failure_count", "latency_sum", "paused"):
            label = [str(sub["id"])]
            depth.add_metric(label, counts.get((label[0], Notification.Status.PENDING), 0))
            expired.add_metric(label, counts.get((label[0], Notification.Status.EXPIRED), 0))
            paused.add_metric(label, 0 if sub["paused"] is None else 1)
            delivered.add_metric(label, sub["delivered_count"])
            failures.add_metric(label, sub["failure_count"])
            latency.add_metric(label, count_value=sub["delivered_count"], sum_value=sub["latency_sum"])
        yield from (depth, expired, paused, delivered, failures, latency)


_registered = False


def register() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(OutboxCollector())
        _registered = True
