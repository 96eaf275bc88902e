"""Filter grammar, error reporting and Python evaluation (no database)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from inventory.specs import DEPLOYMENT_MANAGER, RESOURCE
from netweave.o2.problems import BadRequest
from netweave.o2.query import FilterTerm, filter_to_q, format_filter, matches, parse_filter

RID = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def test_single_term() -> None:
    assert parse_filter("(eq,name,abc)") == [FilterTerm("eq", ("name",), ("abc",))]


def test_terms_joined_by_semicolon_keep_their_text() -> None:
    terms = parse_filter("(eq,name,a);(in,description,b,c)")
    assert [t.text for t in terms] == ["(eq,name,a)", "(in,description,b,c)"]
    assert terms[1].values == ("b", "c")


def test_quoted_values_and_doubled_quotes() -> None:
    (term,) = parse_filter("(in,name,'a,b;c) d','it''s','')")
    assert term.values == ("a,b;c) d", "it's", "")


def test_null_literal_is_bare_word_only() -> None:
    assert parse_filter("(eq,parentId,null)")[0].values == (None,)
    assert parse_filter("(eq,name,'null')")[0].values == ("null",)


def test_paths_and_map_keys() -> None:
    (term,) = parse_filter("(eq,extensions/@vendor.cpu/x,1)")
    assert term.path == ("extensions", "vendor.cpu", "x")
    assert parse_filter("(eq,extensions/vendor.cpu,1)")[0].path == ("extensions", "vendor.cpu")
    assert parse_filter("(eq,extensions/@@odd,1)")[0].path == ("extensions", "@odd")


def test_format_round_trip() -> None:
    raw = "(eq,name,'a b');(nin,extensions/@@k,null,'null','it''s');(cont,description,'')"
    terms = parse_filter(raw)
    assert parse_filter(format_filter(terms)) == terms
    assert format_filter(terms) == raw


@pytest.mark.parametrize(
    ("raw", "term", "problem"),
    [
        ("(eq,name,a);(foo,name,b)", "(foo,name,b)", 'unknown operator "foo"'),
        ("(eq,name,a,b)", "(eq,name,a,b)", "exactly one value, got 2"),
        ("(eq,name)", "(eq,name)", "expected (operator,attribute,value"),
        ("(in,name,'abc)", "(in,name,'abc)", "unbalanced quote"),
        ("(eq,name,a", "(eq,name,a", "missing the closing ')'"),
        ("(eq,name,a;(eq,name,b)", "(eq,name,a", "before ';'"),
        ("eq,name,a", "eq,name,a", "parentheses"),
        ("(eq,name,a)x", "(eq,name,a)x", "unexpected text"),
        ("(eq,name,a);;(eq,name,b)", ";", "empty term"),
        ("(eq,name,a);", ";", "empty term"),
        ("(eq,name,it's)", "(eq,name,it's)", "quote inside an unquoted value"),
        ("(eq,name,'a'b)", "(eq,name,'a'b)", "unexpected 'b'"),
        ("(eq,name,)", "(eq,name,)", "empty value"),
        ("(eq,,a)", "(eq,,a)", "attribute name is empty"),
        ("(eq,extensions//a,1)", "(eq,extensions//a,1)", "empty path segment"),
        ("(gt,name,null)", "(gt,name,null)", "null is only allowed"),
        ("(cont,name,null)", "(cont,name,null)", "null is only allowed"),
        ("(eq,name,a\x00)", "(eq,name,a\x00)", "NUL"),
    ],
)
def test_syntax_errors_name_the_term(raw: str, term: str, problem: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_filter(raw)
    assert caught.value.attributes == {"parameter": "filter"}
    assert f'"{term}' in caught.value.detail
    assert problem in caught.value.detail


@pytest.mark.parametrize("raw", ["", "   "])
def test_empty_filter(raw: str) -> None:
    with pytest.raises(BadRequest, match="empty"):
        parse_filter(raw)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("(eq,nosuch,1)", 'unknown attribute "nosuch"'),
        ("(eq,description/x,1)", "only object attributes have sub-attributes"),
        ("(eq,parentId,not-a-uuid)", '"not-a-uuid" is not a UUID'),
        ("(in,resourceTypeId,3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f,zz)", '"zz" is not a UUID'),
        ("(cont,parentId,3f1c)", "applies to string attributes"),
    ],
)
def test_semantic_errors_name_the_term(raw: str, problem: str) -> None:
    with pytest.raises(BadRequest) as caught:
        filter_to_q(parse_filter(raw), RESOURCE)
    assert f'"{raw}"' in caught.value.detail
    assert problem in caught.value.detail
    with pytest.raises(BadRequest):
        matches(parse_filter(raw), RESOURCE, {"resourceId": RID})


def test_array_attribute_has_no_sub_attributes() -> None:
    with pytest.raises(BadRequest, match="is an array"):
        filter_to_q(parse_filter("(eq,supportedLocations/x,1)"), DEPLOYMENT_MANAGER)


def test_semicolon_survives_query_dict() -> None:
    """Django's QueryDict splits on '&' only, so a bare ';' between terms reaches the parser intact."""
    request = RequestFactory().get("/o2ims/v1/resources?filter=(eq,name,a);(eq,description,b)&x=1")
    assert request.GET["filter"] == "(eq,name,a);(eq,description,b)"
    assert len(parse_filter(request.GET["filter"])) == 2
    quoted = RequestFactory().get("/r?filter=(eq,name,%27a%20b%3Bc%27);(neq,description,%27it%27%27s%27)")
    assert [t.values for t in parse_filter(quoted.GET["filter"])] == [("a b;c",), ("it's",)]


RESOURCE_OBJ = {
    "resourceId": RID,
    "parentId": None,
    "description": "Edge server",
    "extensions": {"cores": 8, "vendor.cpu": "intel", "vendor": {"cpu": "amd"}, "tags": ["a", 2, True]},
    "objectType": "ResourceInfo",
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(eq,description,Edge server)", True),
        ("(eq,description,edge server)", False),
        ("(cont,description,dge,zzz)", True),
        ("(ncont,description,zzz)", True),
        ("(eq,parentId,null)", True),
        ("(neq,parentId,null)", False),
        (f"(neq,parentId,{RID})", True),  # absent is "not equal"
        (f"(eq,resourceId,{RID.upper()})", True),  # UUIDs compare as UUIDs
        ("(eq,extensions/cores,8)", True),
        ("(eq,extensions/cores,8.0)", True),
        ("(gt,extensions/cores,10)", False),
        ("(lte,extensions/cores,8)", True),
        ("(gt,extensions/cores,a)", False),  # text comparison only applies to JSON strings
        ("(eq,extensions/@vendor.cpu,intel)", True),
        ("(eq,extensions/vendor/cpu,amd)", True),
        ("(eq,extensions/vendor,amd)", False),  # objects never equal a value
        ("(eq,extensions/missing,null)", True),
        ("(neq,extensions/missing,x)", True),
        ("(eq,extensions/tags,a)", True),  # arrays: any element
        ("(eq,extensions/tags,2)", True),
        ("(eq,extensions/tags,true)", True),
        ("(nin,extensions/tags,b,3)", True),
        ("(eq,objectType,ResourceInfo)", True),  # a virtual attribute present in the object
    ],
)
def test_matches_with_spec(raw: str, expected: bool) -> None:
    assert matches(parse_filter(raw), RESOURCE, RESOURCE_OBJ) is expected


def test_matches_without_spec_uses_json_semantics() -> None:
    obj = {"objectType": "ResourceInfo", "count": 3}
    assert matches(parse_filter("(eq,objectType,ResourceInfo);(gte,count,3)"), None, obj)
    assert matches(parse_filter("(eq,nosuch,null);(neq,nosuch,a)"), None, obj)
    assert not matches(parse_filter("(eq,count,'3.5')"), None, obj)
