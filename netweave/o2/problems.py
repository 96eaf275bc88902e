"""RFC 7807 ProblemDetails for every O2 error (O2-REFERENCE.md §4).

Every error an O2 endpoint returns goes through here: DRF's own exceptions, plugin errors, O2 query errors
and Django's 404/500 handlers, so callers always get `application/problem+json` with `status` and `detail`,
and `additionalAttributes` naming the offending parameter or field where there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response

from netweave.o2.rendering import dumps
from plugins.sdk.errors import PluginError
from plugins.sdk.validation import error_paths

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


class O2Problem(Exception):
    """An error with a status, a human detail and optional attributes (parameter or field names)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        attributes: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.attributes = dict(attributes or {})
        self.headers = dict(headers or {})


class BadRequest(O2Problem):
    """400 naming the parameter (query) or field (body) at fault."""

    def __init__(self, detail: str, *, parameter: str | None = None, field: str | None = None) -> None:
        attributes = {}
        if parameter:
            attributes["parameter"] = parameter
        if field:
            attributes["field"] = field
        super().__init__(400, detail, attributes=attributes)


def problem_body(
    status: int, detail: str, *, title: str | None = None, instance: str = "", attributes: Mapping[str, str] = {}
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if attributes:
        body["additionalAttributes"] = {k: str(v) for k, v in attributes.items()}
    return body


def problem_response(
    request: HttpRequest | None,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    attributes: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    body = problem_body(
        status, detail, title=title, instance=request.path if request else "", attributes=attributes or {}
    )
    response = HttpResponse(dumps(body), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every exception raised in an O2 view becomes a ProblemDetails response."""
    request = context.get("request")
    instance = request.path if request is not None else ""
    headers: dict[str, str] = {}
    attributes: dict[str, str] = {}
    title: str | None = None

    if isinstance(exc, O2Problem):
        status, detail, title = exc.status, exc.detail, exc.title
        attributes, headers = exc.attributes, exc.headers
    elif isinstance(exc, PluginError):
        status, detail, title = exc.status, exc.detail, exc.title
        if exc.field:
            attributes["field"] = exc.field
    elif isinstance(exc, exceptions.ValidationError):
        pairs = error_paths(exc.detail, root="body")
        status = 400
        detail = "; ".join(f"{path}: {message}" for path, message in pairs) or "Invalid request body."
        if pairs:
            attributes["field"] = pairs[0][0]
    elif isinstance(exc, exceptions.ParseError):
        status, detail = 400, f"Malformed request body: {exc.detail}"
        attributes["field"] = "body"
    elif isinstance(exc, exceptions.MethodNotAllowed):
        status, detail = 405, str(exc.detail)
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status, detail = 401, str(exc.detail)
        headers["WWW-Authenticate"] = 'Bearer realm="netweave"'
    elif isinstance(exc, exceptions.APIException):
        status, detail = exc.status_code, str(exc.detail)
        if isinstance(exc, exceptions.Throttled) and getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(int(getattr(exc, "wait", 0)) + 1)
    elif isinstance(exc, Http404):
        status, detail = 404, str(exc) or "Not found."
    else:
        logger.exception("Unhandled error in %s", instance)
        status, detail = 500, "Internal server error. The request id in X-Request-ID identifies it in the logs."

    body = problem_body(status, detail, title=title, instance=instance, attributes=attributes)
    response = Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    return response
