"""SOL013 attribute selectors."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict

from inventory.specs import DEPLOYMENT_MANAGER, RESOURCE
from netweave.o2.problems import BadRequest
from netweave.o2.selectors import parse_selection

OBJ: dict[str, Any] = {
    "resourceId": "r1",
    "resourceTypeId": "t1",
    "resourcePoolId": "p1",
    "globalAssetId": "g1",
    "parentId": None,
    "description": "d",
    "extensions": {"vendor": {"cpu": "x", "ram": 4}, "site": "s1"},
}
DEFAULT = ["resourceId", "resourceTypeId", "resourcePoolId", "globalAssetId", "parentId", "description"]
# Declared attributes left out by exclude_default (the spec may declare render-only ones such as `elements`).
DEFAULT_NAMES = tuple(f.name for f in RESOURCE.fields if not f.default_excluded)


def select(query: str, obj: dict[str, Any] = OBJ) -> dict[str, Any]:
    return parse_selection(QueryDict(query), RESOURCE).apply(obj)


def test_no_selector_means_exclude_default() -> None:
    assert list(select("")) == DEFAULT
    assert list(select("exclude_default")) == DEFAULT
    assert parse_selection(QueryDict(""), RESOURCE).wanted_fields == DEFAULT_NAMES
    assert "extensions" not in DEFAULT_NAMES


def test_all_fields() -> None:
    assert select("all_fields") == OBJ


def test_fields_adds_to_the_default_set() -> None:
    assert select("fields=extensions") == OBJ
    assert select("fields=extensions&exclude_default") == OBJ
    assert select("fields=description") == {k: OBJ[k] for k in DEFAULT}


def test_fields_nested_path_selects_a_sub_key() -> None:
    assert select("fields=extensions/vendor/cpu")["extensions"] == {"vendor": {"cpu": "x"}}
    assert select("fields=extensions/site,extensions/@vendor")["extensions"] == OBJ["extensions"]
    assert select("fields=extensions/nosuch")["extensions"] == {}
    assert select("fields=extensions/site,extensions")["extensions"] == OBJ["extensions"]


def test_exclude_fields_removes_from_the_full_set() -> None:
    result = select("exclude_fields=description,globalAssetId")
    assert list(result) == ["resourceId", "resourceTypeId", "resourcePoolId", "parentId", "extensions"]
    assert select("exclude_fields=extensions/vendor")["extensions"] == {"site": "s1"}


@pytest.mark.parametrize(
    ("query", "same_as"),
    [
        # all_fields > fields > exclude_fields > exclude_default (O2-REFERENCE.md §3): the highest one decides.
        ("all_fields&fields=description", "all_fields"),
        ("all_fields&exclude_fields=extensions", "all_fields"),
        ("all_fields&exclude_default", "all_fields"),
        ("all_fields&fields=description&exclude_fields=extensions&exclude_default", "all_fields"),
        ("fields=extensions&exclude_fields=extensions", "fields=extensions"),
        ("fields=extensions&exclude_default", "fields=extensions"),
        ("fields=description&exclude_fields=description&exclude_default", "fields=description"),
        ("exclude_fields=description&exclude_default", "exclude_fields=description"),
    ],
)
def test_combined_selectors_follow_the_precedence(query: str, same_as: str) -> None:
    assert select(query) == select(same_as)
    assert list(select(query)) == list(select(same_as))


def test_identifiers_are_always_returned() -> None:
    assert "resourceId" in select("exclude_fields=resourceId")
    assert "deploymentManagerId" in parse_selection(QueryDict("fields=capacity"), DEPLOYMENT_MANAGER).wanted_fields


def test_apply_does_not_modify_the_input() -> None:
    select("exclude_fields=extensions/vendor/cpu")
    assert OBJ["extensions"]["vendor"] == {"cpu": "x", "ram": 4}


@pytest.mark.parametrize(
    ("query", "parameter", "names"),
    [
        ("fields=nosuch", "fields", ["nosuch"]),
        ("fields=description,extensions,bad", "fields", ['"bad"']),
        ("exclude_fields=nope", "exclude_fields", ["nope"]),
        ("fields=description/x", "fields", ["description/x", "not an object"]),
        ("fields=", "fields", ["at least one"]),
        ("fields=description,,extensions", "fields", ["not a valid attribute name"]),
        # An overridden selector's names are still checked.
        ("all_fields&fields=nosuch", "fields", ["nosuch"]),
        ("fields=description&exclude_fields=nope", "exclude_fields", ["nope"]),
    ],
)
def test_errors(query: str, parameter: str, names: list[str]) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_selection(QueryDict(query), RESOURCE)
    assert caught.value.attributes == {"parameter": parameter}
    for name in names:
        assert name in caught.value.detail
