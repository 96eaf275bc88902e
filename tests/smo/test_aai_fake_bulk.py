"""The fake A&AI's bulk single-transaction API behaves as A&AI documents it (bulkApi.rst and aai-resources'
BulkSingleTransactionConsumer): all operations or none, the first failure's status, the payload limit, the same
schema and resource-version checks as single requests; and the collection GETs the plugin reads versions from."""

from __future__ import annotations

import json
from typing import Any

from tests.smo.aai_fake import FakeAai

BULK = "/aai/v29/bulk/single-transaction"
COMPLEX = "/cloud-infrastructure/complexes/complex"


def place(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "physical-location-id": key,
        "physical-location-type": "site",
        "street1": "1 Main St",
        "city": "Paris",
        "postal-code": "75001",
        "country": "FR",
        "region": "EU",
        **extra,
    }


def bulk(fake: FakeAai, *operations: dict[str, Any]) -> tuple[int, Any]:
    return fake.handle("POST", BULK, json.dumps({"operations": list(operations)}).encode())


def put(key: str, **extra: Any) -> dict[str, Any]:
    return {"action": "put", "uri": f"{COMPLEX}/{key}", "body": place(key, **extra)}


def test_all_or_nothing_with_the_first_failure_status() -> None:
    fake = FakeAai()
    status, answer = bulk(fake, put("a"), put("b"))
    assert status == 201
    assert [r["response-status-code"] for r in answer["operation-responses"]] == [201, 201]
    version = fake.objects[f"{COMPLEX}/a"]["resource-version"]
    # An update with the current version, then one without: 412 for operation 1, and operation 0 rolled back.
    status, answer = bulk(fake, put("a", **{"resource-version": version, "city": "Lyon"}), put("b", city="Nice"))
    assert status == 412
    assert "Operation 1 with action (put)" in answer["requestError"]["serviceException"]["text"]
    assert fake.objects[f"{COMPLEX}/a"]["city"] == "Paris"
    assert fake.objects[f"{COMPLEX}/a"]["resource-version"] == version


def test_deletes_need_the_current_version_and_creates_none() -> None:
    fake = FakeAai()
    bulk(fake, put("a"))
    version = fake.objects[f"{COMPLEX}/a"]["resource-version"]
    stale = {"action": "delete", "uri": f"{COMPLEX}/a?resource-version=1", "body": {}}
    assert bulk(fake, stale)[0] == 412
    assert bulk(fake, put("c", **{"resource-version": "1"}))[0] == 412  # a create carrying a version
    delete = {"action": "delete", "uri": f"/aai/v29{COMPLEX}/a?resource-version={version}", "body": {}}
    assert bulk(fake, delete)[0] == 201  # the uri may carry the /aai/<version> prefix
    assert f"{COMPLEX}/a" not in fake.objects


def test_refusals_are_400() -> None:
    fake = FakeAai(bulk_limit=2)
    assert bulk(fake, put("a"), put("b"), put("c"))[0] == 400  # over the payload limit
    assert bulk(fake)[0] == 400  # no operations
    assert bulk(fake, {"action": "get", "uri": f"{COMPLEX}/a", "body": {}})[0] == 400
    assert bulk(fake, {"action": "put", "uri": f"{COMPLEX}/a"})[0] == 400  # no body
    assert bulk(fake, put("a", colour="blue"))[0] == 400  # not an A&AI complex property
    assert fake.objects == {}


def test_collection_get_and_nodes_only() -> None:
    fake = FakeAai()
    assert fake.handle("GET", f"/aai/v29{COMPLEX[: -len('/complex')]}", b"")[0] == 404  # empty: A&AI says 404
    link = {"related-to": "complex", "related-link": f"/aai/v29{COMPLEX}/a"}
    bulk(fake, put("a"), put("b", **{"relationship-list": {"relationship": [link]}}))
    status, answer = fake.handle("GET", "/aai/v29/cloud-infrastructure/complexes?depth=0&nodes-only=true", b"")
    assert status == 200
    assert {c["physical-location-id"] for c in answer["complex"]} == {"a", "b"}
    assert all("relationship-list" not in c and c["resource-version"] for c in answer["complex"])
