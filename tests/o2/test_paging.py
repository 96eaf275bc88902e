"""Keyset paging with signed opaque markers."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django.db.models import Model, QuerySet

from inventory.models import ResourcePool
from inventory.specs import RESOURCE_POOL
from netweave.o2.paging import MARKER_PARAM, MARKER_SALT, link_header, paginate, query_fingerprint
from netweave.o2.problems import BadRequest
from netweave.o2.query import filter_to_q, parse_filter
from plugins.models import PluginInstance

BASE = "http://testserver/o2ims-infrastructureInventory/v1/resourcePools"


@pytest.fixture
def pools(db: None) -> list[str]:
    plugin = PluginInstance.objects.create(name="p", category="ims", plugin_type="mock")
    ids = sorted(uuid.uuid4() for _ in range(7))
    for index, pk in enumerate(ids):
        ResourcePool.objects.create(
            id=pk,
            plugin_instance=plugin,
            native_id=f"n{index}",
            content_hash="x",
            name=f"pool {index % 2}",
            o_cloud_id=uuid.uuid4(),
        )
    return [str(pk) for pk in ids]


def marker_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)[MARKER_PARAM][0]


def page(url: str, marker: str | None, qs: QuerySet[Any] | None = None, size: int = 3) -> Any:
    queryset: QuerySet[Model] = qs if qs is not None else ResourcePool.objects.all()
    return paginate(queryset, RESOURCE_POOL, page_size=size, marker=marker, request_url=url, columns=["id", "name"])


def test_walks_all_pages_with_one_query_each(pools: list[str], django_assert_num_queries: Any) -> None:
    url: str | None = BASE + "?fields=name&x=a%20b"
    marker = None
    seen: list[str] = []
    while url is not None:
        with django_assert_num_queries(1):
            result = page(url, marker)
        seen += [str(row["id"]) for row in result.rows]
        url = result.next_url
        if url is not None:
            assert url.startswith(BASE + "?fields=name&x=a%20b&" + MARKER_PARAM + "=")
            marker = marker_of(url)
    assert seen == pools
    assert set(result.rows[0]) == {"id", "name"}


def test_last_page_has_no_next(pools: list[str]) -> None:
    assert page(BASE, None, size=7).next_url is None
    assert len(page(BASE, None, size=10).rows) == 7


def test_marker_is_replaced_not_duplicated(pools: list[str]) -> None:
    first = page(BASE, None)
    second = page(first.next_url or "", marker_of(first.next_url or ""))
    assert second.next_url is not None
    assert second.next_url.count(MARKER_PARAM) == 1
    assert marker_of(second.next_url) != marker_of(first.next_url or "")


def test_filter_is_kept_and_bound_to_the_marker(pools: list[str]) -> None:
    raw = "(eq,name,'pool 1')"
    url = BASE + "?filter=(eq,name,%27pool%201%27)"
    qs = ResourcePool.objects.filter(filter_to_q(parse_filter(raw), RESOURCE_POOL))
    first = page(url, None, qs, size=2)
    assert first.next_url is not None
    assert first.next_url.startswith(url + "&")
    marker = marker_of(first.next_url)
    assert [r["name"] for r in page(url, marker, qs, size=2).rows] == ["pool 1"]
    with pytest.raises(BadRequest, match="another query") as caught:
        page(BASE + "?filter=(eq,name,x)", marker)
    assert caught.value.attributes == {"parameter": MARKER_PARAM}
    with pytest.raises(BadRequest, match="another query"):
        page(BASE.replace("resourcePools", "other") + "?filter=(eq,name,%27pool%201%27)", marker)


@pytest.mark.parametrize(
    "marker",
    [
        "",
        "garbage",
        signing.dumps({"k": "x", "q": query_fingerprint("/o2ims-infrastructureInventory/v1/resourcePools", None)}),
        signing.dumps([1, 2], salt=MARKER_SALT),
        "x" * 5000,
    ],
)
def test_invalid_markers(db: None, marker: str) -> None:
    with pytest.raises(BadRequest) as caught:
        page(BASE, marker)
    assert caught.value.attributes == {"parameter": MARKER_PARAM}


def test_tampered_marker(pools: list[str]) -> None:
    marker = marker_of(page(BASE, None).next_url or "")
    tampered = marker[:-2] + ("AA" if not marker.endswith("AA") else "BB")
    with pytest.raises(BadRequest, match="altered"):
        page(BASE, tampered)


def test_expired_marker(pools: list[str], monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    marker = marker_of(page(BASE, None).next_url or "")
    now = signing.time.time()
    monkeypatch.setattr(signing.time, "time", lambda: now + settings.NETWEAVE_PAGE_MARKER_MAX_AGE + 5)
    with pytest.raises(BadRequest, match="expired"):
        page(BASE, marker)


def test_link_header() -> None:
    assert link_header("http://h/x?a=1") == '<http://h/x?a=1>; rel="next"'
