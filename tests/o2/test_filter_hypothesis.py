"""Property tests: the parser only ever raises BadRequest, and formatting round-trips."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.specs import DEPLOYMENT_MANAGER, RESOURCE
from netweave.o2.problems import BadRequest
from netweave.o2.query import (
    MULTI_VALUE_OPS,
    SINGLE_VALUE_OPS,
    FilterTerm,
    filter_to_q,
    format_filter,
    matches,
    parse_filter,
)

GRAMMAR_CHARS = st.sampled_from([*"(),;'@/ \\\"", "eq", "in", "cont", "null", "name", "extensions", "a"])
filter_like = st.lists(st.one_of(GRAMMAR_CHARS, st.text(max_size=3)), max_size=30).map("".join)
value_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
key_text = value_text.filter(lambda s: s != "" and "/" not in s)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), filter_like))
def test_arbitrary_text_only_raises_bad_request(raw: str) -> None:
    try:
        terms = parse_filter(raw)
    except BadRequest as error:
        problem: BadRequest | None = error
    else:
        problem = None
    if problem is not None:
        assert problem.attributes == {"parameter": "filter"}
        return
    for spec in (RESOURCE, DEPLOYMENT_MANAGER):
        try:
            filter_to_q(terms, spec)
            matches(terms, spec, {})
        except BadRequest:
            pass
    matches(terms, None, {"name": "a", "extensions": {"a": [1, "x"]}})


@st.composite
def terms(draw: st.DrawFn) -> FilterTerm:
    op = draw(st.sampled_from(sorted(SINGLE_VALUE_OPS | MULTI_VALUE_OPS)))
    path = tuple(draw(st.lists(key_text, min_size=1, max_size=3)))
    nullable = op in ("eq", "neq", "in", "nin")
    value = st.one_of(value_text, st.none()) if nullable else value_text
    count = 1 if op in SINGLE_VALUE_OPS else draw(st.integers(1, 4))
    return FilterTerm(op, path, tuple(draw(value) for _ in range(count)))


@settings(max_examples=300, deadline=None)
@given(st.lists(terms(), min_size=1, max_size=4))
def test_format_then_parse_round_trips(generated: list[FilterTerm]) -> None:
    text = format_filter(generated)
    parsed = parse_filter(text)
    assert parsed == generated
    assert [t.text for t in parsed] == [t.format() for t in generated]


@given(value_text)
def test_quoting_edge_cases(value: str) -> None:
    (term,) = parse_filter(FilterTerm("eq", ("name",), (value,)).format())
    assert term.values == (value,)


def test_quoting_examples() -> None:
    cases = {"": "''", "null": "'null'", "it's": "'it''s'", "a b": "'a b'", "(x)": "'(x)'", "plain": "plain"}
    for value, written in cases.items():
        assert FilterTerm("eq", ("name",), (value,)).format() == f"(eq,name,{written})"
    assert FilterTerm("eq", ("extensions", "@k", "a.b"), ("1",)).format() == "(eq,extensions/@@k/a.b,1)"
