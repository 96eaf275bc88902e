"""The authorization matrix: every URL pattern Django resolves, every method, every role (and no credential).

Routes come from the resolver itself, so an endpoint added later is in the matrix automatically; one that the
policy table (netweave/security/policy.py) does not cover fails `test_every_route_has_a_policy_rule`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from netweave.security.policy import ALL_METHODS, WRITE_METHODS, Access, Rule, requirement_for, rule_for
from netweave.security.roles import Role, satisfies
from tests.o2client import check_problem

SAMPLE_ID = str(uuid.UUID(int=7))
ADMIN_PREFIX = "admin/"


def routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(route pattern, view callback) for every URL pattern, walking includes."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def api_routes() -> list[tuple[str, Any]]:
    return [(route, view) for route, view in routes() if not route.startswith(ADMIN_PREFIX)]


def concrete(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", SAMPLE_ID, route.lstrip("^").rstrip("$"))


def drf_view(view: Any) -> bool:
    return getattr(view, "cls", None) is not None


def implements(view: Any, method: str) -> bool:
    cls = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if cls is None:
        return method in ("GET", "HEAD")
    name = "get" if method == "HEAD" else method.lower()  # Django serves HEAD with get()
    return method.lower() in cls.http_method_names and hasattr(cls, name)


def test_every_route_has_a_policy_rule() -> None:
    uncovered = [route for route, _ in routes() if rule_for(route) is None]
    assert not uncovered, f"Routes without an access rule in netweave/security/policy.py: {uncovered}"


def test_every_implemented_api_method_is_reachable_by_admin() -> None:
    """A method a view implements but the policy denies to everybody is a forgotten rule, not a feature."""
    dead = [
        f"{method} {route}"
        for route, view in api_routes()
        for method in sorted(ALL_METHODS)
        if implements(view, method) and requirement_for(route, method, {}) is Access.DENY
    ]
    assert not dead, f"Implemented but denied to every role: {dead}"


@pytest.fixture
def tokens(make_api_token: Any) -> dict[Role | None, str]:
    made: dict[Role | None, str] = {role: make_api_token(role.value) for role in Role}
    return made


def _send(client: Any, method: str, path: str, token: str | None) -> Any:
    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = "{}" if method in WRITE_METHODS else ""
    return client.generic(method, path, body, content_type="application/json", **extra)


@pytest.mark.parametrize(("route", "view"), api_routes(), ids=[route for route, _ in api_routes()])
def test_matrix(route: str, view: Any, anonymous_client: Any, tokens: dict[Role | None, str]) -> None:
    path = concrete(route)
    for method in sorted(ALL_METHODS):
        required = requirement_for(route, method, {})
        for role in [None, *Role]:
            response = _send(anonymous_client, method, path, tokens.get(role))
            where = f"{method} {path} as {role.value if role else 'anonymous'}: {response.status_code}"
            assert response.status_code < 500, where
            if required is Access.PUBLIC:
                assert response.status_code not in (401, 403), where
            elif not implements(view, method):
                # Authenticated callers get the view's 405. A plain view's methods are not known before it runs,
                # so the policy may refuse first; views with their own permissions (the OpenAPI document) answer
                # 405 to anybody.
                expected = (405,) if role is not None and drf_view(view) else (401, 403, 405)
                assert response.status_code in expected, where
            elif role is None:
                assert response.status_code == 401, where
                assert response["WWW-Authenticate"].startswith("Bearer"), where
            elif isinstance(required, Role) and satisfies({role}, required):
                assert response.status_code not in (401, 403), where
            else:
                assert response.status_code == 403, where
            if response.status_code in (401, 403) and method != "HEAD":
                check_problem(response)


def test_profile_data_needs_deployer(anonymous_client: Any, tokens: dict[Role | None, str]) -> None:
    path = f"/o2ims-infrastructureInventory/v1/deploymentManagers/{SAMPLE_ID}?profile=native_k8sapi"
    for role in Role:
        status = _send(anonymous_client, "GET", path, tokens[role]).status_code
        assert (status == 403) == (role not in (Role.DEPLOYER, Role.ADMIN)), f"{role}: {status}"
    without_profile = path.split("?")[0]
    assert _send(anonymous_client, "GET", without_profile, tokens[Role.READER]).status_code == 404


def test_admin_pages_need_the_admin_login(anonymous_client: Any, tokens: dict[Role | None, str]) -> None:
    """An API token, even an admin one, is no admin login."""
    response = _send(anonymous_client, "GET", "/admin/", tokens[Role.ADMIN])
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# Endpoints other families will add: the table already says what they need (O2-REFERENCE.md §1, §7).
ANTICIPATED = [
    ("o2ims-infrastructureInventory/v1/subscriptions", "POST", Role.SUBSCRIBER),
    ("o2ims-infrastructureInventory/v1/subscriptions/<str:subscriptionId>", "DELETE", Role.SUBSCRIBER),
    ("o2ims-infrastructureInventory/v1/subscriptions", "GET", Role.READER),
    ("o2ims-infrastructureInventory/v2/locations/<str:globalLocationId>", "GET", Role.READER),
    ("o2ims-infrastructureMonitoring/v1/alarms/<str:alarmEventRecordId>", "PATCH", Role.MAINTAINER),
    ("o2ims-infrastructureMonitoring/v1/alarmServiceConfiguration", "PUT", Role.MAINTAINER),
    ("o2ims-infrastructureMonitoring/v1/alarmSubscriptions", "POST", Role.SUBSCRIBER),
    ("o2ims-infrastructureMonitoring/v1/alarms", "GET", Role.READER),
    ("o2ims-infrastructureProvisioning/v1/provisioningRequests", "POST", Role.PROVISIONER),
    ("o2ims-infrastructurePerformance/v1/measurementJobs", "POST", Role.PROVISIONER),
    ("o2dms/v1/<str:deploymentManagerId>/O2dms_DeploymentLifecycle/NfDeployment", "POST", Role.DEPLOYER),
    ("o2dms/v1/<str:deploymentManagerId>/O2dms_DeploymentLifecycle/NfDeployment/<str:id>", "DELETE", Role.DEPLOYER),
    ("o2dms/v1/<str:deploymentManagerId>/O2dms_DeploymentLifecycle/NfDeployment", "GET", Role.READER),
    ("netweave-ims-ext/v1/resourcePools", "POST", Role.PROVISIONER),
]


@pytest.mark.parametrize(("route", "method", "role"), ANTICIPATED)
def test_policy_for_the_o2_families(route: str, method: str, role: Role) -> None:
    assert requirement_for(route, method, {}) is role


def test_unknown_routes_are_denied() -> None:
    assert rule_for("some-new-api/v1/things") is None
    assert requirement_for("some-new-api/v1/things", "GET", {}) is Access.DENY
    assert requirement_for(None, "GET", {}) is Access.DENY


def test_reader_never_writes_and_admin_always_may() -> None:
    rules: list[Rule] = []
    for route, _ in api_routes():
        rule = rule_for(route)
        assert rule is not None
        rules.append(rule)
        for method in WRITE_METHODS:
            required = requirement_for(route, method, {})
            if isinstance(required, Role):
                assert required is not Role.READER, f"{method} {route}"
                assert satisfies({Role.ADMIN}, required)
    assert rules
