"""The observability plugin contract kit: one pytest suite every observability plugin's tests run against their
real backend.

Use it from a test module::

    from plugins.testing.observability import ObservabilityPluginContract

    class TestMyBackendContract(ObservabilityPluginContract):
        @pytest.fixture
        def observability_plugin(self, my_backend):   # initialized, on a backend with one alert firing
            ...

        @pytest.fixture
        def webhook_body(self):                        # a push the backend would send (or None: no webhooks)
            ...

What it checks: health is a HealthStatus and healthy; declared capabilities are served and undeclared ones raise
NotSupported; with `alert-management`, list_alerts eventually returns at least one active alert with a
fingerprint and a name, every alert definition has a name, a webhook body parses into alerts with fingerprints,
and a body that is not one is InvalidRequest; with `metrics-collection`, an instant query returns samples.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import InvalidRequest, NotSupported
from plugins.sdk.observability import ObservabilityPlugin


class ObservabilityPluginContract:
    alert_timeout = 60.0
    metric_query = "up"

    @pytest.fixture
    def observability_plugin(self) -> ObservabilityPlugin:
        raise NotImplementedError("override observability_plugin")

    @pytest.fixture
    def webhook_body(self) -> Any:
        return None

    def test_health(self, observability_plugin: ObservabilityPlugin) -> None:
        status = observability_plugin.health()
        assert isinstance(status, HealthStatus)
        assert status.healthy, status.message

    def test_alerts(self, observability_plugin: ObservabilityPlugin) -> None:
        if Capability.ALERT_MANAGEMENT not in observability_plugin.capabilities():
            with pytest.raises(NotSupported):
                observability_plugin.list_alerts()
            return
        deadline = time.monotonic() + self.alert_timeout
        alerts = observability_plugin.list_alerts()
        while not alerts and time.monotonic() < deadline:
            time.sleep(0.5)
            alerts = observability_plugin.list_alerts()
        assert alerts, "no active alert within the timeout"
        for alert in alerts:
            assert alert.fingerprint
            assert alert.name
            assert alert.active
        definitions = observability_plugin.list_alert_definitions()
        assert definitions
        assert all(d.name for d in definitions)

    def test_webhook(self, observability_plugin: ObservabilityPlugin, webhook_body: Any) -> None:
        if webhook_body is None:
            with pytest.raises(NotSupported):
                observability_plugin.parse_webhook({})
            return
        alerts = observability_plugin.parse_webhook(webhook_body)
        assert alerts
        assert all(a.fingerprint for a in alerts)
        with pytest.raises(InvalidRequest):
            observability_plugin.parse_webhook({"not": "a webhook"})

    def test_metrics(self, observability_plugin: ObservabilityPlugin) -> None:
        if Capability.METRICS_COLLECTION not in observability_plugin.capabilities():
            with pytest.raises(NotSupported):
                observability_plugin.query_metric(self.metric_query)
            return
        deadline = time.monotonic() + self.alert_timeout
        samples = observability_plugin.query_metric(self.metric_query)
        while not samples and time.monotonic() < deadline:
            time.sleep(0.5)
            samples = observability_plugin.query_metric(self.metric_query)
        assert samples

    def test_undeclared_tracing(self, observability_plugin: ObservabilityPlugin) -> None:
        if Capability.DISTRIBUTED_TRACING not in observability_plugin.capabilities():
            with pytest.raises(NotSupported):
                observability_plugin.get_trace("0" * 32)
