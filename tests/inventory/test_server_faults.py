"""A real server fault still answers ProblemDetails 500, with no internals in the body."""

from __future__ import annotations

import pytest

from inventory.api import views
from tests.o2client import json_of

pytestmark = pytest.mark.django_db


def test_unexpected_errors_are_500_problems_without_internals(o2, monkeypatch) -> None:
    def explode(self, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(views.ResourcePoolList, "get_queryset", explode)
    response = o2.get("/o2ims-infrastructureInventory/v1/resourcePools", HTTP_X_REQUEST_ID="fault-1")
    assert response.status_code == 500
    body = json_of(response)
    assert "hunter2" not in response.content.decode()
    assert "X-Request-ID" in body["detail"]
    assert response["X-Request-ID"] == "fault-1"
