"""Pure mapping and config validation of the Prometheus plugin (the backend itself is exercised end to end in
tests/alarms/test_prometheus_e2e.py)."""

from __future__ import annotations

import datetime as dt
import io
import socket
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from plugins.models import PluginInstance
from plugins.observability.prometheus import mapping
from plugins.observability.prometheus.config import PrometheusConfig
from plugins.observability.prometheus.plugin import PrometheusObservabilityPlugin

V2_ALERT = {
    "labels": {"alertname": "Hot", "node": "n1", "sev": "critical"},
    "annotations": {"summary": "hot"},
    "fingerprint": "f1",
    "startsAt": "2026-01-02T03:04:05.678Z",
    "endsAt": "2026-01-02T03:09:05.678Z",
    "status": {"state": "active", "silencedBy": [], "inhibitedBy": []},
}


def test_v2_alert() -> None:
    alert = mapping.alert_from_json(V2_ALERT, "sev")
    assert (alert.fingerprint, alert.name, alert.severity, alert.active) == ("f1", "Hot", "critical", True)
    assert alert.starts_at == dt.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)


def test_webhook_alerts() -> None:
    body = {
        "alerts": [
            {**V2_ALERT, "status": "resolved"},
            {**V2_ALERT, "status": "firing", "endsAt": "0001-01-01T00:00:00Z"},
        ]
    }
    resolved, firing = mapping.alerts_from_webhook(body, "sev")
    assert not resolved.active
    assert firing.active
    assert firing.ends_at is None
    for bad in ({}, {"alerts": {}}, [], {"alerts": [{"labels": {}}]}):
        with pytest.raises(ValueError, match="alert"):
            mapping.alerts_from_webhook(bad, "sev")


def test_definitions_from_rules() -> None:
    rules = {
        "data": {
            "groups": [
                {
                    "name": "g",
                    "rules": [
                        {"type": "recording", "name": "r"},
                        {"type": "alerting", "name": "Hot", "query": "t > 5", "labels": {"severity": "major"}},
                    ],
                }
            ]
        }
    }
    (definition,) = mapping.definitions_from_rules(rules)
    assert (definition.name, definition.severity, definition.extensions["expr"]) == ("Hot", "major", "t > 5")


def test_render_query_and_scalar() -> None:
    assert mapping.render_query('up{node="$node"}', {"node": 'a"b'}) == 'up{node="a\\"b"}'
    assert mapping.render_query('up{node="$node"}', {}) is None
    assert mapping.scalar_of({"data": {"result": [{"value": [1, "0.5"]}]}}) == 0.5
    assert mapping.scalar_of({"data": {"result": []}}) is None


def test_config_defaults_and_errors() -> None:
    config = PrometheusConfig(data={"prometheusUrl": "http://p:9090", "alertmanagerUrl": "http://a:9093"})
    assert config.is_valid(), config.errors
    assert [m["label"] for m in config.validated_data["resourceMatching"]] == ["node", "instance"]
    bad = PrometheusConfig(data={"prometheusUrl": "http://p", "alertmanagerUrl": "http://a", "colour": 1})
    assert not bad.is_valid()
    assert set(bad.errors) == {"colour"}
    bad = PrometheusConfig(data={"prometheusUrl": "ftp://p", "alertmanagerUrl": "http:///x"})
    assert not bad.is_valid()
    assert set(bad.errors) == {"prometheusUrl", "alertmanagerUrl"}
    bad = PrometheusConfig(
        data={"prometheusUrl": "http://p", "alertmanagerUrl": "http://a", "resourceMatching": [{"label": "1x"}]}
    )
    assert not bad.is_valid()
    assert "resourceMatching" in bad.errors


SAMPLE = Path(__file__).resolve().parents[1] / "sample.yaml"


def test_sample_yaml_documents_every_key_and_imports(db: None) -> None:
    block = yaml.safe_load(SAMPLE.read_text())["plugins"]["observability"][0]
    serializer = PrometheusConfig(data=block["config"])
    assert serializer.is_valid(), serializer.errors
    assert set(block["config"]) == set(PrometheusConfig().fields)
    call_command("netweave_config", "import", str(SAMPLE), stdout=io.StringIO())
    instance = PluginInstance.objects.get(name="prometheus")
    assert (instance.category, instance.plugin_type, instance.sync_interval) == ("observability", "prometheus", 30)
    assert PeriodicTask.objects.filter(task="inventory.reconcile_alerts").count() == 1


def test_messages_never_show_url_credentials() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    plugin = PrometheusObservabilityPlugin("secretive")
    url = f"http://admin:hunter2@127.0.0.1:{port}"
    plugin.initialize({"prometheusUrl": url, "alertmanagerUrl": url, "timeoutSeconds": 1.0, "severityLabel": "s"})
    status = plugin.health()
    plugin.close()
    assert not status.healthy
    assert "127.0.0.1" in status.message
    assert "hunter2" not in status.message
    assert "admin" not in status.message
