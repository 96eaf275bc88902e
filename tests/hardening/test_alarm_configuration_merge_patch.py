"""Issue 13 item 7: PATCH alarmServiceConfiguration is an RFC 7396 JSON merge patch, accepted only as
application/merge-patch+json (another content type is a 415 ProblemDetails); `null` removes a key."""

from __future__ import annotations

from typing import Any

import pytest

from inventory.alarms.views import merge_patch
from tests.o2client import O2Client, check_problem, json_of, published_schema

pytestmark = pytest.mark.django_db
CONFIGURATION = "/o2ims-infrastructureMonitoring/v1/alarmServiceConfiguration"
MERGE = "application/merge-patch+json"


@pytest.fixture
def configured(o2: O2Client) -> None:
    body = {"retentionPeriod": 7, "extensions": {"site": "lab", "owner": {"team": "ran", "pager": "x"}}}
    assert o2.put(CONFIGURATION, body).status_code == 200


def test_null_removes_a_key_and_objects_merge(o2: O2Client, configured: None) -> None:
    response = o2.patch(CONFIGURATION, {"extensions": {"site": None, "owner": {"pager": None}}}, content_type=MERGE)
    assert response.status_code == 200, response.content
    assert json_of(response) == {"retentionPeriod": 7, "extensions": {"owner": {"team": "ran"}}}
    assert json_of(o2.get(CONFIGURATION)) == json_of(response)


def test_members_replace_and_others_stay(o2: O2Client, configured: None) -> None:
    body = json_of(o2.patch(CONFIGURATION, {"retentionPeriod": 30, "extensions": {"new": 1}}, content_type=MERGE))
    assert body == {
        "retentionPeriod": 30,
        "extensions": {"site": "lab", "owner": {"team": "ran", "pager": "x"}, "new": 1},
    }
    body = json_of(o2.patch(CONFIGURATION, {"extensions": None}, content_type=MERGE))
    assert body == {"retentionPeriod": 30, "extensions": {}}


def test_retention_period_cannot_be_removed(o2: O2Client, configured: None) -> None:
    response = o2.patch(CONFIGURATION, {"retentionPeriod": None}, content_type=MERGE)
    assert response.status_code == 400
    assert check_problem(response)["additionalAttributes"]["field"] == "retentionPeriod"
    assert json_of(o2.get(CONFIGURATION))["retentionPeriod"] == 7


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "application/json-patch+json"])
def test_other_content_types_are_415(o2: O2Client, configured: None, content_type: str) -> None:
    response = o2.patch(CONFIGURATION, {"retentionPeriod": 1}, content_type=content_type)
    assert response.status_code == 415
    check_problem(response)
    assert json_of(o2.get(CONFIGURATION))["retentionPeriod"] == 7


def test_a_patch_that_is_not_an_object_is_400(o2: O2Client, configured: None) -> None:
    response = o2.patch(CONFIGURATION, [1], content_type=MERGE)
    assert response.status_code == 400
    check_problem(response)


def test_the_openapi_document_says_merge_patch() -> None:
    operation = published_schema()["paths"][CONFIGURATION]["patch"]
    assert list(operation["requestBody"]["content"]) == [MERGE]
    put = published_schema()["paths"][CONFIGURATION]["put"]
    assert list(put["requestBody"]["content"]) == ["application/json"]


@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [  # RFC 7396 appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result
