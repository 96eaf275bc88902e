"""Issue 13 item 5: a JSON body nested 1,000 deep (a few kilobytes) was a 500 (RecursionError) on 11 write
endpoints. Every write operation of the published OpenAPI that takes a JSON body is enumerated from the
schema (so a new endpoint is covered without editing this test) and must answer a 400 ProblemDetails."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from netweave.o2.parsers import nests_deeper_than
from tests.o2client import O2Client, check_problem, json_of, published_schema

JSON_TYPES = ("application/json", "application/merge-patch+json")


def json_write_operations() -> list[tuple[str, str, str]]:
    operations = []
    for path, methods in published_schema()["paths"].items():
        for method, operation in methods.items():
            content = (operation.get("requestBody") or {}).get("content", {})
            for media_type in JSON_TYPES:
                if media_type in content and method in ("post", "put", "patch"):
                    operations.append((method, path, media_type))
    return operations


def deep(levels: int, kind: str = "array") -> bytes:
    if kind == "array":
        return b"[" * levels + b"]" * levels
    return b'{"a":' * levels + b"1" + b"}" * levels


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


def test_the_schema_lists_the_write_operations() -> None:
    assert len(json_write_operations()) >= 14


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "media_type"), json_write_operations())
@pytest.mark.parametrize("kind", ["array", "object"])
def test_a_deeply_nested_body_is_a_400_on_every_write_operation(
    o2: O2Client, world: dict[str, str], method: str, path: str, media_type: str, kind: str
) -> None:
    response = getattr(o2.client, method)(_fill(path, world), deep(1000, kind), content_type=media_type)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    problem = check_problem(response)
    assert "nests deeper than 64 levels" in problem["detail"]
    assert problem["additionalAttributes"]["field"] == "body"


@pytest.mark.django_db
def test_the_limit_is_a_setting(o2: O2Client, settings: Any) -> None:
    settings.NETWEAVE_JSON_MAX_DEPTH = 3
    body = b'{"callback": "https://x.example/n", "filter": "", "consumerSubscriptionId": "a", "x": [[[1]]]}'
    response = o2.post("/o2ims-infrastructureInventory/v1/subscriptions", body)
    assert response.status_code == 400
    assert "deeper than 3 levels" in json_of(response)["detail"]


@pytest.mark.parametrize(
    ("raw", "limit", "expected"),
    [
        (b"[[[]]]", 3, False),
        (b"[[[[]]]]", 3, True),
        (b'{"a": "[[[[[[[[[["}', 2, False),  # brackets inside strings do not count
        (b'{"a": "\\"[[[[[[", "b": [[1]]}', 3, False),
        (b'{"a": [{"b": [{"c": 1}]}]}', 5, False),
        (b'{"a": [{"b": [{"c": 1}]}]}', 4, True),
        (b"[" * 1000 + b"}" + b"]" * 1000, 64, False),  # malformed: left to the decoder (RecursionError caught)
    ],
)
def test_nesting_is_measured_without_decoding(raw: bytes, limit: int, expected: bool) -> None:
    assert nests_deeper_than(raw, limit) is expected


@pytest.mark.django_db
def test_a_malformed_deep_body_is_still_a_400(o2: O2Client) -> None:
    response = o2.client.post(
        "/o2ims-infrastructureInventory/v1/subscriptions", b"[" * 5000 + b"}", content_type="application/json"
    )
    assert response.status_code == 400
    check_problem(response)
