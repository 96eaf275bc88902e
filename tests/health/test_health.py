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
