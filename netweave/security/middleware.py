"""Request-level guards: the body size limit (413), the policy for views outside DRF, and the audit of writes
and denials. The middleware sits just inside RequestIdMiddleware, so its responses and audit rows carry the
request id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from netweave.models import AuditEvent
from netweave.o2.problems import problem_response
from netweave.security import audit
from netweave.security.permissions import enforce_on_plain_view

_LOGIN_PATHS = ("/admin/login/", "/admin/logout/")  # recorded by the login signals instead


class SecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        too_large = self._too_large(request)
        if too_large is not None:
            audit.record(request, AuditEvent.Outcome.REJECTED, status=413, detail=too_large)
            return problem_response(request, 413, too_large, attributes={"field": "body"})
        response = self.get_response(request)
        if request.path.startswith(_LOGIN_PATHS) or request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return response
        if audit.should_record(request, response):
            audit.record_response(request, response)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        return enforce_on_plain_view(request, view_func)

    def _too_large(self, request: HttpRequest) -> str | None:
        limit = settings.NETWEAVE_MAX_BODY_BYTES
        if request.path.startswith("/admin/"):
            return None  # the admin's forms are bounded by Django's DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # Django reads no body at all when the length is not a number
        if length > limit:
            return f"The request body is {length} bytes; at most {limit} are accepted."
        return None
