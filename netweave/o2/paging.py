"""Keyset paging for O2 collections (O2-REFERENCE.md §3) behind an opaque, signed marker.

Pages are ordered by the spec's unique order column and continue with ``column > last key``, so results are
stable while rows come and go and every page costs one indexed query, however deep. The marker is signed with
django.core.signing (salt ``netweave.o2.paging``) and carries the last key and a fingerprint of the path and
filter, so it cannot be forged, expires after NETWEAVE_PAGE_MARKER_MAX_AGE seconds and cannot be replayed on
another query. Any marker problem is a 400 on ``nextpage_opaque_marker``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.db.models import Model, QuerySet

from netweave.o2.problems import BadRequest
from netweave.o2.spec import ObjectSpec

MARKER_PARAM = "nextpage_opaque_marker"
MARKER_SALT = "netweave.o2.paging"
MAX_MARKER_LENGTH = 1024


@dataclass(frozen=True)
class Page:
    """One page of `.values()` rows and the URL of the next page (None on the last page)."""

    rows: list[dict[str, Any]]
    next_url: str | None


def paginate(
    queryset: QuerySet[Model],
    spec: ObjectSpec,
    *,
    page_size: int,
    marker: str | None,
    request_url: str,
    columns: Sequence[str] | None = None,
) -> Page:
    """Fetch one page of `queryset` in exactly one query.

    `columns` are the `.values()` columns to fetch (default: all of the spec's); the order column is added when
    missing. `request_url` is the full URL of this request; the next URL is built from it.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    order = spec.order_column
    parts = urlsplit(request_url)
    fingerprint = query_fingerprint(parts.path, _last_param(parts.query, "filter"))
    if marker is not None:
        queryset = queryset.filter(**{f"{order}__gt": _decode_marker(marker, fingerprint)})
    fetch = list(dict.fromkeys([*(columns if columns is not None else spec.columns), order]))
    rows = list(queryset.order_by(order).values(*fetch)[: page_size + 1])
    if len(rows) <= page_size:
        return Page(rows, None)
    rows = rows[:page_size]
    next_marker = _encode_marker(rows[-1][order], fingerprint)
    return Page(rows, with_marker(request_url, next_marker))


def link_header(next_url: str) -> str:
    """The RFC 8288 Link header value for the next page."""
    return f'<{next_url}>; rel="next"'


def query_fingerprint(path: str, filter_text: str | None) -> str:
    """What a marker is bound to: the collection path and the filter (selectors do not change the rows)."""
    digest = hashlib.sha256(f"{path}\0{filter_text or ''}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def _last_param(query: str, name: str) -> str | None:
    """The last value of a query parameter, splitting only on '&' (a bare ';' is part of a filter)."""
    found: str | None = None
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if unquote_plus(key) == name:
            found = unquote_plus(value)
    return found


def with_marker(request_url: str, marker: str) -> str:
    """`request_url` with nextpage_opaque_marker replaced or added; other parameters keep their encoding."""
    parts = urlsplit(request_url)
    kept = [p for p in parts.query.split("&") if p and unquote_plus(p.partition("=")[0]) != MARKER_PARAM]
    kept.append(f"{MARKER_PARAM}={quote(marker, safe=':')}")
    return urlunsplit(parts._replace(query="&".join(kept)))


def _encode_marker(key: Any, fingerprint: str) -> str:
    value = key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)
    return signing.dumps({"k": value, "q": fingerprint}, salt=MARKER_SALT, compress=True)


def _bad_marker(problem: str) -> BadRequest:
    return BadRequest(
        f"Invalid {MARKER_PARAM}: {problem} Restart from the first page (without the marker).",
        parameter=MARKER_PARAM,
    )


def _decode_marker(marker: str, fingerprint: str) -> Any:
    """The last key of the previous page, after checking signature, age and that it belongs to this query."""
    if not marker or len(marker) > MAX_MARKER_LENGTH:
        raise _bad_marker("it is empty or too long.")
    try:
        payload = signing.loads(marker, salt=MARKER_SALT, max_age=settings.NETWEAVE_PAGE_MARKER_MAX_AGE)
    except signing.SignatureExpired:
        raise _bad_marker("it has expired.") from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise _bad_marker("it was not issued by this server or was altered.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), str | int):
        raise _bad_marker("it was not issued by this server or was altered.")
    if payload.get("q") != fingerprint:
        raise _bad_marker("it belongs to another query (path or filter changed).")
    return payload["k"]
