"""Generic O2 read views: thin classes declaring a queryset and an ObjectSpec; the work happens in the
query engine (filters, selectors, paging) and the spec's renderer. Rendering bypasses DRF serializers on
purpose: pages are built from `.values()` rows and encoded with orjson (see docs/decisions/0002-fast-reads.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from netweave.o2.paging import link_header, paginate
from netweave.o2.problems import BadRequest, O2Problem
from netweave.o2.query import filter_to_q, parse_filter
from netweave.o2.rendering import dumps
from netweave.o2.selectors import parse_selection
from netweave.o2.spec import ObjectSpec, parse_uuid
from netweave.o2.urls import public_url

SELECTOR_PARAMETERS = frozenset({"all_fields", "fields", "exclude_fields", "exclude_default"})
COLLECTION_PARAMETERS = SELECTOR_PARAMETERS | {"filter", "nextpage_opaque_marker"}


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(dumps(body), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def reject_unknown_parameters(params: Iterable[str], allowed: Iterable[str]) -> None:
    """Unknown query parameters are almost always typos (`filters=`); say so rather than ignore them."""
    allowed_set = set(allowed)
    unknown = sorted(p for p in params if p not in allowed_set)
    if unknown:
        raise BadRequest(
            f"Unknown query parameter '{unknown[0]}'. Allowed here: {', '.join(sorted(allowed_set)) or 'none'}.",
            parameter=unknown[0],
        )


def path_uuid(value: str, what: str) -> Any:
    """A path id that is not a UUID cannot name any object: 404, as for any unknown id."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise O2Problem(404, f"No {what} with id '{value}'.")
    return parsed


class O2CollectionView(APIView):
    spec: ClassVar[ObjectSpec]

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        raise NotImplementedError

    def check_empty(self, **kwargs: Any) -> None:
        """Called only when a page is empty: raise O2Problem(404) if the parent in the path does not exist."""

    def decorate_page(self, body: list[dict[str, Any]], wanted: frozenset[str]) -> None:
        """Add attributes that have no column (a site's `resourcePools`) to a page's objects, in one query for the
        whole page, when the selection `wanted` names them."""

    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        params = request.query_params
        reject_unknown_parameters(params.keys(), COLLECTION_PARAMETERS)
        selection = parse_selection(params, self.spec)
        queryset = self.get_queryset(**kwargs)
        raw_filter = params.get("filter")
        if raw_filter is not None:
            queryset = queryset.filter(filter_to_q(parse_filter(raw_filter), self.spec))
        # Fetch and render only the selected attributes (by default no `extensions` JSON to read and decode).
        columns, encode = self.spec.encoder(set(selection.wanted_fields))
        page = paginate(
            queryset,
            self.spec,
            columns=columns,
            page_size=settings.NETWEAVE_PAGE_SIZE,
            marker=params.get("nextpage_opaque_marker"),
            request_url=public_url(request.get_full_path(), request),
        )
        if not page.rows:
            self.check_empty(**kwargs)
        body = [encode(row) for row in page.rows]
        if body:
            self.decorate_page(body, frozenset(selection.wanted_fields))
        if selection.project or selection.remove:
            body = [selection.apply(o2) for o2 in body]
        headers = {"Link": link_header(page.next_url)} if page.next_url else None
        return json_response(body, headers=headers)


class O2ItemView(APIView):
    spec: ClassVar[ObjectSpec]
    extra_parameters: ClassVar[frozenset[str]] = frozenset()
    what: ClassVar[str] = "object"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        raise NotImplementedError

    def decorate(self, o2: dict[str, Any], row: dict[str, Any], request: Request) -> dict[str, Any]:
        """Add what only the single-object GET carries (for example a resource's `elements`)."""
        return o2

    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        params = request.query_params
        reject_unknown_parameters(params.keys(), SELECTOR_PARAMETERS | self.extra_parameters)
        selection = parse_selection(params, self.spec)
        row = self.get_row(**kwargs)
        o2 = self.decorate(self.spec.render(row), row, request)
        return json_response(selection.apply(o2))


def first_row(queryset: QuerySet[Any], spec: ObjectSpec, what: str, ident: str) -> dict[str, Any]:
    row = queryset.values(*spec.columns).first()
    if row is None:
        raise O2Problem(404, f"No {what} with id '{ident}'.")
    return dict(row)
