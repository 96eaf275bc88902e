"""The Prometheus plugin against the observability contract kit, on real Prometheus and Alertmanager with one
alert firing (tests/alarms/prometheus_harness.py). A backend stage (`make test-backends PLUGIN=prometheus`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from plugins.observability.prometheus.plugin import PrometheusObservabilityPlugin
from plugins.sdk.errors import BackendUnavailable
from plugins.testing.observability import ObservabilityPluginContract
from tests.alarms.prometheus_harness import Exporter, PrometheusStack, free_port

pytestmark = [pytest.mark.backend, pytest.mark.prometheus]


@pytest.fixture(scope="module")
def firing_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusStack]:
    exporter = Exporter()
    exporter.gauges["node-1"] = 90
    stack = PrometheusStack(tmp_path_factory.mktemp("prom"), exporter.port, f"http://127.0.0.1:{free_port()}/x", "t")
    stack.start()
    yield stack
    stack.stop()
    exporter.stop()


class TestPrometheusContract(ObservabilityPluginContract):
    metric_query = "netweave_test_temperature"

    @pytest.fixture
    def observability_plugin(self, firing_stack: PrometheusStack) -> Iterator[PrometheusObservabilityPlugin]:
        plugin = PrometheusObservabilityPlugin("contract")
        config = PrometheusObservabilityPlugin.config_class(
            data={"prometheusUrl": firing_stack.prometheus_url, "alertmanagerUrl": firing_stack.alertmanager_url}
        )
        assert config.is_valid(), config.errors
        plugin.initialize(config.validated_data)
        yield plugin
        plugin.close()

    @pytest.fixture
    def webhook_body(self) -> Any:
        return {
            "version": "4",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "A"},
                    "fingerprint": "f",
                    "startsAt": "2026-01-01T00:00:00Z",
                }
            ],
        }


def test_unreachable_backend_is_unhealthy_and_unavailable() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    plugin = PrometheusObservabilityPlugin("dead")
    plugin.initialize({"prometheusUrl": dead, "alertmanagerUrl": dead, "timeoutSeconds": 1.0, "severityLabel": "s"})
    status = plugin.health()
    assert not status.healthy
    assert set(status.details) == {"prometheusUrl", "alertmanagerUrl"}
    with pytest.raises(BackendUnavailable):
        plugin.list_alerts()
    plugin.close()
