"""Project-wide error views: ProblemDetails for unknown paths and server faults."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from netweave.o2.problems import problem_response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(request, 404, f"No resource at {request.path}.")


def server_error(request: HttpRequest) -> HttpResponse:
    return problem_response(
        request, 500, "Internal server error. The request id in X-Request-ID identifies it in the logs."
    )
