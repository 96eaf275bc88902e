"""The public health endpoints: liveness always answers; readiness checks the database and counts the plugin
instances by their last recorded health, without names or messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError

from plugins.registry import check_health
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db


def test_liveness_and_readiness_need_no_credential(anonymous_client: Any) -> None:
    assert anonymous_client.get("/health").status_code == 200
    assert anonymous_client.get("/health/ready").status_code == 200


def test_readiness_counts_plugin_health(o2: O2Client, make_mock_instance: Any) -> None:
    good = make_mock_instance("good")
    bad = make_mock_instance("bad", default=False, failHealth=True)
    make_mock_instance("never-checked", default=False)
    check_health(good)
    check_health(bad)
    body = json_of(o2.get("/health/ready"))
    assert body == {"status": "ok", "database": "ok", "plugins": {"healthy": 1, "unhealthy": 1, "unchecked": 1}}
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
