"""The product's URL map plus one benchmark-only route: a bare Django view returning pre-encoded bytes.

The bare view is the framework's ceiling for the read benchmark: same gunicorn, same middleware, no query,
no rendering. Its body is the filtered page the benchmark measures (captured by sync_bench.py into the file
named by NETWEAVE_BENCH_BODY), so both responses have the same size.
"""

import os
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

_body: list[bytes] = []


def _load_body() -> bytes:
    """Read once per process, at the first request (the file does not exist yet when migrate loads the URLs)."""
    if not _body:
        name = os.environ.get("NETWEAVE_BENCH_BODY", "")
        _body.append(Path(name).read_bytes() if name and Path(name).exists() else b"[]")
    return _body[0]


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_load_body(), content_type="application/json")


urlpatterns = [
    # Under `health`, which the authorization policy (netweave/security/policy.py) makes public: the ceiling is
    # the framework and the middleware, without authentication.
    path("health/bench-bare", bare),
    path("", include("netweave.urls")),
]

handler404 = "netweave.views.not_found"
handler500 = "netweave.views.server_error"
