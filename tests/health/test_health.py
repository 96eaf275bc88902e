"""The public health endpoints: liveness always answers; readiness checks the database and counts the plugin
instances by their last recorded health, without names or messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError
from django.utils import timezone

from netweave import heartbeat
from netweave.models import Heartbeat
from plugins.registry import check_health
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db


def test_liveness_and_readiness_need_no_credential(anonymous_client: Any) -> None:
    assert anonymous_client.get("/health").status_code == 200
    assert anonymous_client.get("/health/ready").status_code == 200


def test_readiness_counts_plugin_health(o2: O2Client, make_mock_instance: Any) -> None:
    heartbeat.record("worker", "worker:w1@test")
    heartbeat.record("beat", "beat")
    good = make_mock_instance("good")
    bad = make_mock_instance("bad", default=False, failHealth=True)
    make_mock_instance("never-checked", default=False)
    check_health(good)
    check_health(bad)
    body = json_of(o2.get("/health/ready"))
    assert body == {
        "status": "ok",
        "database": "ok",
        "plugins": {"healthy": 1, "unhealthy": 1, "unchecked": 1},
        "background": {"worker": "ok", "beat": "ok"},
    }
    assert "bad" not in o2.get("/health/ready").content.decode()
    assert json_of(o2.get("/health")) == {"status": "ok"}


def test_readiness_is_503_when_the_database_does_not_answer(o2: O2Client, monkeypatch: Any) -> None:
    from netweave import health

    def refuse() -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(health, "plugin_counts", refuse)
    response = o2.get("/health/ready")
    assert response.status_code == 503
    assert "database" in json_of(response)["detail"]
    assert o2.get("/health").status_code == 200


def test_unknown_parameters_are_400(o2: O2Client) -> None:
    response = o2.get("/health?verbose=1")
    assert response.status_code == 400
    assert json_of(response)["additionalAttributes"] == {"parameter": "verbose"}


def test_a_saved_instance_gets_its_health_checked_within_the_save(run_tasks: Any, make_mock_instance: Any) -> None:
    """Saving queues the check (a Celery task, run here as a worker would); no one has to click Test connection."""
    from plugins.models import PluginInstance

    good = run_tasks(lambda: make_mock_instance("fresh"))
    good.refresh_from_db()
    assert good.health_ok is True
    assert good.health_checked is not None
    bad = run_tasks(lambda: make_mock_instance("broken", default=False, failHealth=True))
    bad.refresh_from_db()
    assert bad.health_ok is False
    assert bad.health_message
    # Reconfigured: the old answer no longer counts until the queued check has answered.
    good.config = {**good.config, "failHealth": True}
    good.save()
    counts = {"healthy": 0, "unhealthy": 1, "unchecked": 1}
    from netweave.health import plugin_counts

    assert plugin_counts() == counts
    run_tasks(lambda: PluginInstance.objects.get(pk=good.pk).save())
    assert plugin_counts() == {"healthy": 0, "unhealthy": 2, "unchecked": 0}


def test_a_sync_records_health(make_mock_instance: Any) -> None:
    from inventory.sync import sync_instance

    instance = make_mock_instance("synced")
    sync_instance(instance)
    instance.refresh_from_db()
    assert instance.health_ok is True
    assert instance.health_checked is not None


def test_readiness_is_degraded_without_recent_worker_and_beat_heartbeats(
    o2: O2Client, anonymous_client: Any, settings: Any
) -> None:
    """Regression (issue 13): with every worker dead, readiness said ok. Now a worker and beat must have been
    heard from within NETWEAVE_HEARTBEAT_WINDOW; readiness stays 200 (the web process serves) but says degraded,
    and the metric says which component is down."""
    settings.NETWEAVE_HEARTBEAT_WINDOW = 30.0
    never = json_of(anonymous_client.get("/health/ready"))
    assert (never["status"], never["background"]) == ("degraded", {"worker": "stale", "beat": "stale"})
    heartbeat.record("worker", "worker:w1@test")
    heartbeat.record("beat", "beat")
    response = anonymous_client.get("/health/ready")
    assert response.status_code == 200
    assert json_of(response)["status"] == "ok"
    metrics = o2.client.get("/metrics").content.decode()
    assert 'netweave_background_up{component="worker"} 1.0' in metrics
    Heartbeat.objects.filter(kind="worker").update(seen=timezone.now() - timedelta(seconds=31))
    body = json_of(anonymous_client.get("/health/ready"))
    assert (body["status"], body["background"]) == ("degraded", {"worker": "stale", "beat": "ok"})
    metrics = o2.client.get("/metrics").content.decode()
    assert 'netweave_background_up{component="worker"} 0.0' in metrics
    assert 'netweave_background_up{component="beat"} 1.0' in metrics
    settings.NETWEAVE_HEARTBEAT_WINDOW = 60.0
    assert json_of(anonymous_client.get("/health/ready"))["status"] == "ok"


def test_the_heartbeat_task_records_the_worker_and_touches_the_supervised_file(settings: Any, tmp_path: Any) -> None:
    from netweave.tasks import heartbeat as heartbeat_task

    settings.DATA_DIR = tmp_path
    heartbeat_task.apply()
    assert Heartbeat.objects.filter(kind="worker").exists()
    assert (tmp_path / "heartbeat" / "worker").exists()
    assert "netweave: worker heartbeat" in settings.CELERY_BEAT_SCHEDULE


def test_a_save_while_the_broker_is_away_is_kept_and_says_why(
    make_mock_instance: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The fault stage found it: a sync saving its instance while Redis restarted ended with the broker's
    OperationalError raised from the commit hook. The save stands; the check is not queued, and a warning says so."""
    from kombu.exceptions import OperationalError

    from inventory import tasks

    def refuse(*args: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.check_plugin_health, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        instance = make_mock_instance("while-redis-restarts")
    assert callbacks
    instance.refresh_from_db()
    assert instance.name == "while-redis-restarts"
    assert instance.health_checked is None
    assert "Could not queue a health check" in caplog.text
