"""Schemathesis against the published OpenAPI document (issue 13): every operation, writes included, is
called in-process through the Django WSGI app with an admin, write-enabled API token and generated inputs
(valid and invalid). The checks: no response is a 5xx, and every response matches the schema (status code,
content type, headers, body). Part of the unit stage; NETWEAVE_FUZZ_EXAMPLES bounds the examples per
operation (default 5: about two minutes on two busy cores)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.o2client import published_schema

EXAMPLES = int(os.environ.get("NETWEAVE_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db: None) -> Iterator[Any]:
    """The published schema, served by the Django WSGI app in this process. As in Django's test client, the
    per-request connection cleanup is off: it would close the connection holding the test's transaction."""
    schema = schemathesis.openapi.from_dict(published_schema())
    schema.app = WSGIHandler()
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schema
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(make_api_token: Callable[..., str], synced_mock: Any, settings: Any) -> str:
    """An admin token and an O-Cloud to act on; the callback policy is the production one."""
    settings.NETWEAVE_API_RATE = "1000000/min"
    return make_api_token("admin")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api(case: Any, token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
