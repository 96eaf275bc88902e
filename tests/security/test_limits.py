"""Per-identity rate limits (429 with Retry-After) and the request body size limit (413), as ProblemDetails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache

from netweave.models import AuditEvent
from tests.o2client import O2Client, json_of

OCLOUD = "/o2ims-infrastructureInventory/v1"
POOLS_EXT = "/netweave-ims-ext/v1/resourcePools"


def test_rate_limit_is_per_identity(anonymous_client: Any, make_api_token: Any, settings: Any, tmp_path: Path) -> None:
    # the production throttle cache, a file cache every web process shares (the other tests keep it in memory)
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)},
    }
    assert isinstance(caches["throttle"], FileBasedCache)
    settings.NETWEAVE_API_RATE = "3/min"
    o2 = O2Client(anonymous_client)
    busy, other = make_api_token("reader"), make_api_token("reader")
    for _ in range(3):
        assert o2.get(OCLOUD, HTTP_AUTHORIZATION=f"Bearer {busy}").status_code == 200
    response = o2.get(OCLOUD, HTTP_AUTHORIZATION=f"Bearer {busy}")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in json_of(response)["detail"].lower()
    assert o2.get(OCLOUD, HTTP_AUTHORIZATION=f"Bearer {other}").status_code == 200
    assert AuditEvent.objects.filter(outcome="throttled", identity__startswith="token:").count() == 1
    assert list(tmp_path.glob("*.djcache"))  # the history went to the file cache


def test_body_size_limit_is_413_problem(o2: O2Client, settings: Any) -> None:
    settings.NETWEAVE_MAX_BODY_BYTES = 1000
    response = o2.post(POOLS_EXT, {"name": "x" * 2000})
    assert response.status_code == 413
    body = json_of(response)
    assert body["additionalAttributes"]["field"] == "body"
    assert "at most 1000" in body["detail"]
    assert response["X-Request-ID"]
    event = AuditEvent.objects.get(outcome="rejected")
    assert event.status == 413
    assert event.request_id == response["X-Request-ID"]
