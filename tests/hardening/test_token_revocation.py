"""Issue 13 item 9: revoking, deleting or changing an API token used to take up to 60 s (the per-process token
cache). Now it takes effect on the next request in every process. A second process is simulated by its token
cache: the entry it made before the change is put back after the admin (in "this" process) forgot it."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.utils import timezone

from netweave.models import ApiToken
from netweave.security import tokens
from tests.o2client import O2Client

OCLOUD = "/o2ims-infrastructureInventory/v1"
POOLS_EXT = "/netweave-ims-ext/v1/resourcePools"


@pytest.fixture
def anon(anonymous_client: Any, db: None, settings: Any) -> Iterator[O2Client]:
    settings.NETWEAVE_TOKEN_CACHE_SECONDS = 60
    with tokens._cache_lock:
        tokens._cache.clear()
    yield O2Client(anonymous_client)
    with tokens._cache_lock:
        tokens._cache.clear()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _warm(anon: O2Client, token: str) -> dict[str, Any]:
    """Use the token (it is now cached) and return a copy of the cache: the other process's memory."""
    assert anon.get(OCLOUD, **bearer(token)).status_code == 200
    with tokens._cache_lock:
        assert tokens._cache, "the token was cached"
        return dict(tokens._cache)


def _as_other_process(cached: dict[str, Any]) -> None:
    with tokens._cache_lock:
        tokens._cache.clear()
        tokens._cache.update(cached)


def test_a_deleted_token_is_refused_on_the_next_request_in_another_process(
    anon: O2Client, make_api_token: Any, admin_client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token = make_api_token("reader")
    cached = _warm(anon, token)
    row = ApiToken.objects.get(key=tokens.parse(token).key)  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/admin/netweave/apitoken/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    _as_other_process(cached)  # the admin's process forgot the token; the other process did not
    assert anon.get(OCLOUD, **bearer(token)).status_code == 401


def test_a_token_deleted_by_a_plain_query_is_refused_too(
    anon: O2Client, make_api_token: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token = make_api_token("reader")
    cached = _warm(anon, token)
    with django_capture_on_commit_callbacks(execute=True):
        ApiToken.objects.filter(key=tokens.parse(token).key).delete()  # type: ignore[union-attr]
    _as_other_process(cached)
    assert anon.get(OCLOUD, **bearer(token)).status_code == 401


def test_a_token_made_read_only_or_expired_is_so_on_the_next_request(
    anon: O2Client, make_api_token: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token = make_api_token("admin")
    row = ApiToken.objects.get(key=tokens.parse(token).key)  # type: ignore[union-attr]
    cached = _warm(anon, token)
    with django_capture_on_commit_callbacks(execute=True):
        row.write_enabled = False
        row.save()
    _as_other_process(cached)
    assert anon.post(POOLS_EXT, {"name": "p"}, **bearer(token)).status_code == 403

    cached = _warm(anon, token)
    with django_capture_on_commit_callbacks(execute=True):
        row.expires = timezone.now() - datetime.timedelta(seconds=1)
        row.save()
    _as_other_process(cached)
    assert anon.get(OCLOUD, **bearer(token)).status_code == 401


def test_the_cache_still_serves_unchanged_tokens(anon: O2Client, make_api_token: Any) -> None:
    token = make_api_token("reader")
    _warm(anon, token)
    with tokens._cache_lock:
        ((stamp_time, stamp, row),) = tokens._cache.values()
    assert anon.get(OCLOUD, **bearer(token)).status_code == 200
    with tokens._cache_lock:
        assert list(tokens._cache.values()) == [(stamp_time, stamp, row)]  # a hit: not verified again


def test_a_lost_generation_stamp_never_lets_a_cached_token_through(
    anon: O2Client, make_api_token: Any, django_capture_on_commit_callbacks: Any
) -> None:
    token = make_api_token("reader")
    cached = _warm(anon, token)
    ApiToken.objects.filter(key=tokens.parse(token).key).delete()  # type: ignore[union-attr]
    caches["throttle"].delete(tokens.GENERATION_KEY)  # e.g. culled, or the cache was flushed
    _as_other_process(cached)
    assert anon.get(OCLOUD, **bearer(token)).status_code == 401
