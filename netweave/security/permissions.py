"""The one authorization check, applied to every view that is not the admin.

DRF views get it as their permission class (REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"]); plain Django views
(e.g. /metrics) get the same check from SecurityMiddleware.process_view (see `enforce_on_plain_view`). Either way
the policy table decides what the resolved route and method need, and views declare nothing; a route the table
does not know is denied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.settings import api_settings

from netweave.o2.problems import problem_response
from netweave.security.policy import WRITE_METHODS, Access, requirement_for
from netweave.security.principals import Principal
from netweave.security.roles import parse_roles, satisfies

WWW_AUTHENTICATE = 'Bearer realm="netweave"'


def anonymous_principal() -> Principal:
    """The caller without a credential when NETWEAVE_AUTH_REQUIRED is off (never in production)."""
    return Principal(identity="anonymous", method="anonymous", roles=parse_roles(settings.NETWEAVE_ANONYMOUS_ROLES))


def implements(view: Any, method: str) -> bool:
    return method.lower() in view.http_method_names and hasattr(view, method.lower())


def authorize(
    user: object, route: str | None, method: str, query_params: Mapping[str, object], *, implemented: bool = True
) -> Principal | None:
    """Check a request against the policy. Returns the principal acting (None on a public route); raises
    NotAuthenticated (401) or PermissionDenied (403)."""
    required = requirement_for(route, method, query_params)
    if required is Access.PUBLIC:
        return None
    principal = user if isinstance(user, Principal) else None
    if principal is None:
        if settings.NETWEAVE_AUTH_REQUIRED:
            raise exceptions.NotAuthenticated("Authentication credentials were not provided.")
        principal = anonymous_principal()
    if not implemented:
        return principal  # the view answers 405 with its Allow header, to any authenticated caller
    if isinstance(required, Access):
        raise exceptions.PermissionDenied("No access policy allows this endpoint and method.")
    if method in WRITE_METHODS and not principal.write_enabled:
        raise exceptions.PermissionDenied("This credential is read-only.")
    if not satisfies(principal.roles, required):
        raise exceptions.PermissionDenied(f"This operation needs the '{required.value}' role.")
    return principal


class PolicyPermission(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        match = request._request.resolver_match
        method = request.method or "GET"
        principal = authorize(
            request.user,
            match.route if match else None,
            method,
            request.query_params,
            implemented=implements(view, method),
        )
        if principal is not None and request.user is not principal:
            request.user = principal  # type: ignore[assignment]
        return True


def enforce_on_plain_view(request: HttpRequest, view_func: Any) -> HttpResponse | None:
    """The policy for a view outside DRF: authenticate with the same classes, then `authorize`."""
    if getattr(view_func, "cls", None) is not None:
        return None  # a DRF view: PolicyPermission does it, after DRF's own authentication
    match = request.resolver_match
    route = match.route if match else None
    required = requirement_for(route, request.method or "GET", request.GET)
    if required in (Access.PUBLIC, Access.NOT_API):
        return None
    authenticator_classes: list[Any] = list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    drf_request = Request(request, authenticators=[cls() for cls in authenticator_classes])
    try:
        principal = authorize(drf_request.user, route, request.method or "GET", request.GET)
    except exceptions.APIException as exc:
        headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if exc.status_code == 401 else None
        return problem_response(request, exc.status_code, str(exc.detail), headers=headers)
    if principal is not None:
        request.user = principal  # type: ignore[assignment]
    return None
