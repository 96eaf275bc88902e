"""Request ids: every request gets one (the caller's X-Request-ID, or a new UUID), echoed in the response,
attached to log lines and recorded in the change log."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from netweave import context

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Take a well-formed X-Request-ID from the caller or mint one, and make it the ambient request id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _VALID_REQUEST_ID.match(offered) else str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        with context.bind(request_id=request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` to every log record (a dash outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class NulCharacterMiddleware:
    """A NUL character (U+0000) in the path or a query parameter is a 400 ProblemDetails naming it: PostgreSQL
    cannot compare text with NUL, so such a value would otherwise end as a 500 in whichever view used it in a
    query. Bodies are checked by the JSON parsers and netweave/o2/storable.py."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from netweave.o2.problems import problem_response

        if "\x00" in request.path:
            return problem_response(None, 400, "The path holds a NUL character (%00), which is not accepted.")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                printable = name.replace("\x00", "%00")
                return problem_response(
                    request,
                    400,
                    f"Query parameter '{printable}' holds a NUL character (%00), which is not accepted.",
                    attributes={"parameter": printable},
                )
        return self.get_response(request)
