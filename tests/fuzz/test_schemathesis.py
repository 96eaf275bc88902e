"""Schemathesis against the published OpenAPI document (issue 13): every operation, writes included, is
called in-process through the Django WSGI app with an admin, write-enabled API token and generated inputs
(valid and invalid). The checks: no response is a 5xx, and every response matches the schema (status code,
content type, headers, body). Part of the unit stage; NETWEAVE_FUZZ_EXAMPLES bounds the examples per
operation (default 5: about two minutes on two busy cores)."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import ServerError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.o2client import published_schema

EXAMPLES = int(os.environ.get("NETWEAVE_FUZZ_EXAMPLES", "5"))
# A backend that lacks a capability, refuses netweave's credentials or is down is a documented 501/502/503
# (the fuzz world's Prometheus instance points at a closed port); any other 5xx is a netweave fault.
BACKEND_STATUSES = frozenset({501, 502, 503})


def not_a_netweave_fault(ctx: Any, response: Any, case: Any) -> bool:
    if response.status_code >= 500 and response.status_code not in BACKEND_STATUSES:
        raise ServerError(operation=case.operation.label, status_code=response.status_code)
    return True


CHECKS = [
    not_a_netweave_fault,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db: None, world: dict[str, str]) -> Iterator[Any]:
    """The published schema, served by the Django WSGI app in this process. Every other case has its path
    parameters replaced by the ids of real objects (`world`: pools, resources, a deployment manager with a
    package and a deployment), so generated bodies and queries reach the views behind the lookups. As in
    Django's test client, the per-request connection cleanup is off: it would close the connection holding
    the test's transaction."""
    schema = schemathesis.openapi.from_dict(published_schema())
    schema.app = WSGIHandler()

    def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
        # Decided by the generated values themselves, so that Hypothesis can replay a case exactly.
        if not path_parameters or zlib.crc32(repr(sorted(path_parameters.items())).encode()) % 2:
            return path_parameters
        return {name: world.get(name, value) for name, value in path_parameters.items()}

    schema.hook(map_path_parameters)
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
