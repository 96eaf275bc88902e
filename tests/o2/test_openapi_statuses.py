"""Every status the O2 APIs can answer is in the OpenAPI document.

Two halves: (1) walk the URL conf and the published schema: every O2 route is documented, and each operation
lists the errors any request can meet (400 bad query, 401/403 credential and role, 404, 405, 406 Accept, 500;
415 on writes); (2) tests/o2client.py fails any test that observes a status its operation does not list, so
every status some test provokes is checked too. A few are provoked here on purpose.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.o2client import O2Client, published_schema

O2_PREFIXES = (
    "o2ims-infrastructureInventory",
    "o2ims-infrastructureMonitoring",
    "o2ims-infrastructureProvisioning",
    "o2ims-infrastructurePerformance",
    "o2dms",
    "netweave-ims-ext",
    "netweave-dms-ext",
)
ALWAYS = {"400", "401", "403", "404", "405", "406", "500"}
WRITES = {"415"}


def _routes(resolver: Any = None, prefix: str = "") -> list[str]:
    """Every URL pattern of the app as a schema path (`<str:x>` -> `{x}`)."""
    found: list[str] = []
    for entry in (resolver or get_resolver()).url_patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry, text)
        elif isinstance(entry, URLPattern):
            found.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text))
    return found


def test_every_o2_route_is_documented() -> None:
    paths = published_schema()["paths"]
    o2_routes = [route for route in _routes() if route.lstrip("/").startswith(O2_PREFIXES)]
    assert len(o2_routes) > 30
    missing = [route for route in o2_routes if route not in paths]
    assert missing == []


def test_every_operation_documents_the_errors_it_can_answer() -> None:
    problems: list[str] = []
    for path, operations in published_schema()["paths"].items():
        if not path.lstrip("/").startswith(O2_PREFIXES):
            continue
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            expected = ALWAYS | (WRITES if method in {"post", "put", "patch"} else set())
            missing = expected - set(operation["responses"])
            if missing:
                problems.append(f"{method.upper()} {path}: {sorted(missing)}")
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    media = response.get("content", {})
                    if "application/problem+json" not in media:
                        problems.append(f"{method.upper()} {path} {status}: not a ProblemDetails")
    assert problems == []


@pytest.mark.django_db
def test_the_statuses_tests_provoke_are_documented(o2: O2Client, anonymous_client: Any, synced_mock: Any) -> None:
    """Through the validating client: an undocumented status would fail here (tests/o2client.py)."""
    v1 = "/o2ims-infrastructureInventory/v1"
    assert o2.get(f"{v1}/resourcePools", HTTP_ACCEPT="application/xml").status_code == 406
    assert o2.get(f"{v1}/oCloudSites?bad=1").status_code == 400
    assert o2.get(f"{v1}/locations/nowhere").status_code == 404
    assert o2.post(f"{v1}/subscriptions", b"x", content_type="text/plain").status_code == 415
    assert O2Client(anonymous_client).get(f"{v1}/alarmDictionaries").status_code == 401
    assert o2.delete(f"{v1}/oCloudSites").status_code == 405
