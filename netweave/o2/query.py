"""ETSI NFV-SOL 013 attribute-based filtering (O2-REFERENCE.md §3) for every O2 collection GET.

Three parts share one set of semantics so that a list and a subscription can never disagree:

- ``parse_filter`` turns the raw ``filter`` parameter into ``FilterTerm`` values with a small hand-written
  scanner. Any input either parses or raises ``BadRequest`` naming the term, never anything else, because the
  text comes straight from a URL.
- ``filter_to_q`` translates terms into a Django ``Q`` that runs in the database (SQLite and PostgreSQL).
- ``matches`` evaluates the same terms in Python over an O2 JSON dict (subscription filters).

Semantics (see also docs in the report / docs/o2-api.md):

- ``neq``, ``nin`` and ``ncont`` are exactly the negation of ``eq``, ``in`` and ``cont``: an absent attribute
  does not equal anything, so it is *included* by the negative operators.
- The bare word ``null`` is the null literal: ``(eq,a,null)`` means absent or null, ``(neq,a,null)`` present.
  The quoted ``'null'`` is the four-letter string. ``null`` is allowed with eq, neq, in and nin only.
- Typed columns: strings compare by code point on every database; UUID attributes take only valid UUIDs
  (400 "not a UUID" otherwise); ``cont`` applies to string attributes only (400 otherwise).
- JSON values (``extensions/...``, object and array attributes, attributes without a spec) are typed by their
  JSON value: ``eq`` matches a JSON string equal to the value, a JSON number numerically equal to it and a
  boolean whose text (``true``/``false``) equals it. Ordering operators compare JSON numbers when the value is
  a number and JSON strings otherwise. ``cont`` matches JSON strings only. A JSON array matches when any of its
  scalar elements does. Objects never match a value.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Func, Q, TextField, Value
from django.db.models.expressions import Expression
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual
from django.db.models.sql.compiler import SQLCompiler
from django.utils.dateparse import parse_datetime

from netweave.o2.problems import BadRequest
from netweave.o2.spec import FieldType, O2Field, ObjectSpec, parse_uuid

SINGLE_VALUE_OPS = frozenset({"eq", "neq", "gt", "gte", "lt", "lte"})
MULTI_VALUE_OPS = frozenset({"in", "nin", "cont", "ncont"})
OPERATORS = SINGLE_VALUE_OPS | MULTI_VALUE_OPS
ORDERING_OPS = frozenset({"gt", "gte", "lt", "lte"})
NULL_OPS = frozenset({"eq", "neq", "in", "nin"})
# Each negative operator is evaluated as NOT of its positive twin, so absent attributes are included.
NEGATIONS = {"neq": "eq", "nin": "in", "ncont": "cont"}

# Limits that keep a hostile filter from producing a huge SQL statement.
MAX_FILTER_LENGTH = 8192
MAX_TERMS = 50
MAX_VALUES = 100

_STRUCTURAL = frozenset(",;)'")
_QUOTE_TRIGGERS = frozenset(",;)'(")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_FORBIDDEN_CHARS = re.compile("[\x00\ud800-\udfff]")
_SYMBOLS = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@dataclass(frozen=True)
class FilterTerm:
    """One ``(op,attr,value[,value...])`` term.

    ``values`` holds ``None`` for the bare ``null`` literal. ``text`` is the term as written, kept for error
    messages; it does not take part in equality so a re-formatted term equals the parsed one.
    """

    op: str
    path: tuple[str, ...]
    values: tuple[str | None, ...]
    text: str = field(default="", compare=False)

    @property
    def attribute(self) -> str:
        """The attribute path as a client writes it (``extensions/@a.b`` style)."""
        return "/".join(_format_segment(s) for s in self.path)

    def format(self) -> str:
        """The canonical text of the term: ``parse_filter(term.format()) == [term]``."""
        items = [self.op, _quote(self.attribute), *("null" if v is None else _quote(v) for v in self.values)]
        return "(" + ",".join(items) + ")"


def format_filter(terms: Iterable[FilterTerm]) -> str:
    """The canonical ``filter`` parameter for terms (used for subscriptions and tests)."""
    return ";".join(t.format() for t in terms)


# --------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Item:
    value: str
    quoted: bool


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _bad(term_text: str | None, problem: str) -> BadRequest:
    """A 400 on the filter parameter whose detail quotes the offending term."""
    if term_text is None:
        return BadRequest(f"Invalid filter: {problem}", parameter="filter")
    return BadRequest(f'Invalid filter term "{_clip(term_text)}": {problem}', parameter="filter")


def _term_extent(raw: str, start: int) -> str:
    """The text of the term starting at `start` up to its closing ')' (or the end), for error messages."""
    quoted = False
    for i in range(start, len(raw)):
        ch = raw[i]
        if ch == "'":
            quoted = not quoted
        elif ch == ")" and not quoted:
            return raw[start : i + 1]
        elif ch == ";" and not quoted and i > start:
            return raw[start:i]
    return raw[start:]


def _skip_spaces(raw: str, pos: int) -> int:
    while pos < len(raw) and raw[pos].isspace():
        pos += 1
    return pos


def parse_filter(raw: str) -> list[FilterTerm]:
    """Parse the ``filter`` parameter. Raises BadRequest (parameter="filter") for any malformed input."""
    if not raw or not raw.strip():
        raise _bad(None, "the filter is empty; expected (operator,attribute,value[,value...]).")
    if len(raw) > MAX_FILTER_LENGTH:
        raise _bad(None, f"the filter is longer than {MAX_FILTER_LENGTH} characters.")
    forbidden = _FORBIDDEN_CHARS.search(raw)
    if forbidden:
        start = max(raw.rfind("(", 0, forbidden.start()), 0)
        raise _bad(_term_extent(raw, start), "contains a NUL or unpaired surrogate character.")
    terms: list[FilterTerm] = []
    pos = _skip_spaces(raw, 0)
    while True:
        term, pos = _parse_term(raw, pos)
        terms.append(term)
        if len(terms) > MAX_TERMS:
            raise _bad(None, f"more than {MAX_TERMS} terms.")
        pos = _skip_spaces(raw, pos)
        if pos == len(raw):
            return terms
        if raw[pos] != ";":
            raise _bad(term.text + raw[pos:], "unexpected text after the term; join terms with ';'.")
        pos = _skip_spaces(raw, pos + 1)


def _parse_term(raw: str, start: int) -> tuple[FilterTerm, int]:
    if start >= len(raw) or raw[start] == ";":
        raise _bad(raw[max(0, start - 1) : start + 1] or raw, "empty term; terms are joined by a single ';'.")
    if raw[start] != "(":
        raise _bad(_term_extent(raw, start), "a term must be enclosed in parentheses: (operator,attribute,value).")
    items: list[_Item] = []
    pos = start + 1
    while True:
        item, pos = _parse_item(raw, pos, start)
        items.append(item)
        if pos >= len(raw):
            raise _bad(raw[start:], "missing the closing ')'.")
        ch = raw[pos]
        pos += 1
        if ch == ")":
            break
        if ch != ",":
            what = "missing the closing ')' before ';'" if ch == ";" else f"unexpected {ch!r} after a quoted value"
            raise _bad(_term_extent(raw, start), what + ".")
    return _build_term(items, raw[start:pos]), pos


def _parse_item(raw: str, pos: int, start: int) -> tuple[_Item, int]:
    """One comma-separated item: a single-quoted string ('' is a quote) or bare text up to , ; ) or '."""
    if pos < len(raw) and raw[pos] == "'":
        chars: list[str] = []
        i = pos + 1
        while i < len(raw):
            if raw[i] == "'":
                if raw.startswith("''", i):
                    chars.append("'")
                    i += 2
                    continue
                return _Item("".join(chars), quoted=True), i + 1
            chars.append(raw[i])
            i += 1
        raise _bad(raw[start:], "unbalanced quote: a quoted value must end with ' (write '' for a quote inside it).")
    end = pos
    while end < len(raw) and raw[end] not in _STRUCTURAL:
        end += 1
    if end < len(raw) and raw[end] == "'":
        raise _bad(_term_extent(raw, start), "a quote inside an unquoted value; quote the whole value and double it.")
    return _Item(raw[pos:end], quoted=False), end


def _parse_path(text: str, term_text: str) -> tuple[str, ...]:
    """``a/b/@c.d`` -> ("a", "b", "c.d"): '/' separates segments, a leading '@' marks a literal map key."""
    if not text:
        raise _bad(term_text, "the attribute name is empty.")
    segments: list[str] = []
    for segment in text.split("/"):
        key = segment[1:] if segment.startswith("@") else segment
        if not key:
            raise _bad(term_text, f'empty path segment in attribute "{text}".')
        segments.append(key)
    return tuple(segments)


def _build_term(items: list[_Item], text: str) -> FilterTerm:
    if len(items) < 3:
        raise _bad(text, "expected (operator,attribute,value[,value...]).")
    op = items[0].value
    if op not in OPERATORS:
        raise _bad(text, f'unknown operator "{op}"; use one of {", ".join(sorted(OPERATORS))}.')
    path = _parse_path(items[1].value, text)
    values = tuple(_term_value(item, text) for item in items[2:])
    if op in SINGLE_VALUE_OPS and len(values) != 1:
        raise _bad(text, f"operator {op} takes exactly one value, got {len(values)}.")
    if len(values) > MAX_VALUES:
        raise _bad(text, f"more than {MAX_VALUES} values.")
    if None in values and op not in NULL_OPS:
        raise _bad(text, f"null is only allowed with eq, neq, in and nin, not with {op}.")
    return FilterTerm(op, path, values, text)


def _term_value(item: _Item, text: str) -> str | None:
    if item.quoted:
        return item.value
    if item.value == "":
        raise _bad(text, "empty value; write '' for the empty string.")
    return None if item.value == "null" else item.value


def _quote(value: str) -> str:
    """Quote a value when it needs it (SOL013: ',' ';' ')' and spaces), doubling inner quotes."""
    needs = value in ("", "null") or any(c in _QUOTE_TRIGGERS or c.isspace() for c in value)
    return "'" + value.replace("'", "''") + "'" if needs else value


def _format_segment(segment: str) -> str:
    return "@" + segment if segment.startswith("@") else segment


# --------------------------------------------------------------------------------------------- values


def _as_number(text: str) -> Decimal | None:
    """The value as a JSON number, or None. Oversized numbers stay text so the database never overflows."""
    if len(text) > 40 or not _NUMBER.fullmatch(text):
        return None
    number = Decimal(text)
    return number if abs(number.adjusted()) <= 300 else None


@dataclass(frozen=True)
class _JSONValue:
    """A filter value as compared against JSON: its text and, when it is one, its number."""

    text: str
    number: Decimal | None

    @classmethod
    def of(cls, text: str) -> _JSONValue:
        return cls(text, _as_number(text))

    @property
    def boolean(self) -> bool:
        return self.text in ("true", "false")


def _json_decimal(value: int | float) -> Decimal | None:
    """A JSON number as the exact decimal its JSON text denotes (what PostgreSQL's numeric sees)."""
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    return Decimal(value)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "eq":
        return bool(left == right)
    if op == "gt":
        return bool(left > right)
    if op == "gte":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    return bool(left <= right)


def _json_scalar_matches(node: Any, op: str, value: _JSONValue) -> bool:
    """One JSON scalar against one value under a positive operator (eq, gt, gte, lt, lte, cont)."""
    if isinstance(node, bool):
        return op == "eq" and value.text == ("true" if node else "false")
    if isinstance(node, int | float):
        number = _json_decimal(node)
        return op != "cont" and value.number is not None and number is not None and _compare(number, op, value.number)
    if isinstance(node, str):
        if op == "cont":
            return value.text in node
        if op in ORDERING_OPS and value.number is not None:
            return False
        return _compare(node, op, value.text)
    return False


def _json_node_matches(node: Any, op: str, value: _JSONValue) -> bool:
    """A JSON node matches when it is a matching scalar or an array with a matching scalar element."""
    if isinstance(node, list):
        return any(_json_scalar_matches(element, op, value) for element in node)
    return _json_scalar_matches(node, op, value)


_MISSING: Any = object()


def _walk(node: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


# --------------------------------------------------------------------------------------------- typed fields


@dataclass(frozen=True)
class _TypedKind:
    """How a typed (non-JSON) column converts filter values and rendered values, and which ops it allows."""

    parse: Callable[[str], Any]  # filter text -> comparable value, raising ValueError when invalid
    coerce: Callable[[Any], Any]  # rendered O2 value -> comparable value or None (absent)
    expected: str
    ordered: bool = True
    contains: bool = False


def _parse_uuid_value(text: str) -> uuid.UUID:
    value = parse_uuid(text)
    if value is None:
        raise ValueError(text)
    return value


def _parse_int(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _parse_bool(text: str) -> bool:
    if text not in ("true", "false"):
        raise ValueError(text)
    return text == "true"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _parse_dt(text: str) -> datetime:
    value = parse_datetime(text)  # raises ValueError for well-formed but impossible dates
    if value is None:
        raise ValueError(text)
    return _aware(value)


def _coerce_dt(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return _aware(value)
    try:
        return _parse_dt(value) if isinstance(value, str) else None
    except ValueError:
        return None


_TYPED: dict[FieldType, _TypedKind] = {
    FieldType.STRING: _TypedKind(str, lambda v: v if isinstance(v, str) else None, "a string", contains=True),
    FieldType.UUID: _TypedKind(
        _parse_uuid_value, lambda v: None if v is None else parse_uuid(str(v)), "a UUID", ordered=True
    ),
    FieldType.INTEGER: _TypedKind(
        _parse_int, lambda v: v if isinstance(v, int) and not isinstance(v, bool) else None, "an integer"
    ),
    FieldType.BOOLEAN: _TypedKind(
        _parse_bool, lambda v: v if isinstance(v, bool) else None, "true or false", ordered=False
    ),
    FieldType.DATETIME: _TypedKind(_parse_dt, _coerce_dt, "an ISO 8601 date-time"),
}


# --------------------------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class _Target:
    """What a term's attribute resolves to: a typed column, or a JSON node (column + keys, or obj + keys)."""

    name: str
    column: str | None  # None: evaluated only in Python over the O2 dict (extra or spec-less attributes)
    kind: _TypedKind | None  # None: JSON semantics
    keys: tuple[str, ...] = ()


def _resolve(term: FilterTerm, spec: ObjectSpec | None, obj: Mapping[str, Any] | None = None) -> _Target:
    """Validate the attribute path against the spec and say how to evaluate it."""
    name = term.path[0]
    o2_field = spec.by_name.get(name) if spec is not None else None
    if o2_field is None:
        if spec is None or (obj is not None and name in obj):
            return _Target(name, None, None, term.path[1:])
        raise _bad(term.text, f'unknown attribute "{name}" for {spec.object_type}.')
    return _resolve_field(term, o2_field)


def _resolve_field(term: FilterTerm, o2_field: O2Field) -> _Target:
    name = o2_field.name
    if o2_field.column is None:
        raise _bad(term.text, f'attribute "{name}" cannot be used in a filter.')
    if o2_field.type is FieldType.OBJECT:
        return _Target(name, o2_field.column, None, term.path[1:])
    if len(term.path) > 1:
        what = "an array" if o2_field.type is FieldType.ARRAY else f"a {o2_field.type.value}"
        raise _bad(term.text, f'attribute "{name}" is {what}; only object attributes have sub-attributes.')
    if o2_field.type is FieldType.ARRAY:
        return _Target(name, o2_field.column, None)
    return _Target(name, o2_field.column, _TYPED[o2_field.type])


def _typed_operands(term: FilterTerm, target: _Target, positive: str) -> list[Any]:
    """The term's values converted for a typed column; None stays None (the null literal)."""
    kind = target.kind
    assert kind is not None
    if positive == "cont" and not kind.contains:
        raise _bad(term.text, f'{term.op} applies to string attributes; "{target.name}" is not one.')
    if positive in ORDERING_OPS and not kind.ordered:
        raise _bad(term.text, f'{term.op} does not apply to "{target.name}" ({kind.expected}).')
    operands: list[Any] = []
    for value in term.values:
        try:
            operands.append(None if value is None else kind.parse(value))
        except ValueError:
            raise _bad(term.text, f'"{_clip(str(value), 80)}" is not {kind.expected}.') from None
    return operands


def _split(term: FilterTerm) -> tuple[str, bool]:
    """The positive operator a term evaluates and whether its result is negated."""
    return NEGATIONS.get(term.op, term.op), term.op in NEGATIONS


def _positive_op(positive: str) -> str:
    """`in` is a disjunction of `eq`; every other positive operator is applied per value as is."""
    return "eq" if positive == "in" else positive


# --------------------------------------------------------------------------------------------- Python


def matches(terms: Sequence[FilterTerm], spec: ObjectSpec | None, obj: Mapping[str, Any]) -> bool:
    """Whether an O2 JSON dict satisfies every term, with the same semantics as ``filter_to_q``.

    With a spec, attributes it declares are typed like their columns; other top-level keys present in `obj`
    (virtual attributes such as objectType) and all attributes when spec is None use JSON semantics.
    Raises BadRequest for attributes that are neither in the spec nor in `obj`.
    """
    return all(_term_matches(term, spec, obj) for term in terms)


def _term_matches(term: FilterTerm, spec: ObjectSpec | None, obj: Mapping[str, Any]) -> bool:
    target = _resolve(term, spec, obj)
    positive, negated = _split(term)
    op = _positive_op(positive)
    if target.kind is not None:
        hit = _typed_matches(target, op, _typed_operands(term, target, positive), obj.get(target.name))
    else:
        hit = _json_matches(op, term.values, _walk(obj.get(target.name, _MISSING), target.keys))
    return hit != negated


def _typed_matches(target: _Target, op: str, operands: list[Any], raw: Any) -> bool:
    assert target.kind is not None
    value = target.kind.coerce(raw)
    for operand in operands:
        if operand is None:
            if value is None:
                return True
        elif value is not None and (operand in value if op == "cont" else _compare(value, op, operand)):
            return True
    return False


def _json_matches(op: str, values: Sequence[str | None], node: Any) -> bool:
    for value in values:
        if value is None:
            if node is _MISSING or node is None:
                return True
        elif node is not _MISSING and _json_node_matches(node, op, _JSONValue.of(value)):
            return True
    return False


# --------------------------------------------------------------------------------------------- database


def filter_to_q(terms: Sequence[FilterTerm], spec: ObjectSpec) -> Q:
    """The terms as one Django Q (AND of terms) over the spec's columns; BadRequest for invalid attributes."""
    q = Q()
    for term in terms:
        q &= _term_q(term, spec)
    return q


def _term_q(term: FilterTerm, spec: ObjectSpec) -> Q:
    target = _resolve(term, spec)
    assert target.column is not None
    positive, negated = _split(term)
    op = _positive_op(positive)
    if target.kind is not None:
        q = _typed_q(target.column, target.kind, op, _typed_operands(term, target, positive))
    else:
        q = _json_q(target.column, target.keys, op, term.values)
    return ~q if negated else q


def _any_of(parts: Iterable[Q]) -> Q:
    result: Q | None = None
    for part in parts:
        result = part if result is None else result | part
    assert result is not None
    return result


class _CodepointText(Func):
    """Text ordered by code point on every backend, as Python orders str (PostgreSQL: COLLATE "C")."""

    arity = 1
    template = "%(expressions)s"
    output_field = TextField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, Sequence[Any]]:
        return self.as_sql(compiler, connection, template='(%(expressions)s) COLLATE "C"', **extra)


_ORDER_LOOKUPS = {"gt": GreaterThan, "gte": GreaterThanOrEqual, "lt": LessThan, "lte": LessThanOrEqual}


def _typed_q(column: str, kind: _TypedKind, op: str, operands: list[Any]) -> Q:
    return _any_of(_typed_operand_q(column, kind, op, operand) for operand in operands)


def _typed_operand_q(column: str, kind: _TypedKind, op: str, operand: Any) -> Q:
    """One value against a typed column. Expression-based parts carry an explicit IS NOT NULL so their
    negation (neq, nin, ncont) includes rows where the column is NULL instead of dropping them."""
    if operand is None:
        return Q(**{f"{column}__isnull": True})
    if op == "eq":
        return Q(**{column: operand})
    not_null = Q(**{f"{column}__isnull": False})
    if op == "cont":
        return not_null & Q(GreaterThan(StrIndex(F(column), _text_value(operand)), 0))
    if kind.contains:  # strings: code point order, whatever the database collation
        return not_null & Q(_ORDER_LOOKUPS[op](_CodepointText(F(column)), operand))
    return Q(**{f"{column}__{op}": operand})


def _text_value(text: str) -> Value:
    return Value(text, output_field=TextField())


def _json_q(column: str, keys: tuple[str, ...], op: str, values: Sequence[str | None]) -> Q:
    parts: list[Q] = []
    for value in values:
        if value is None:
            parts.append(~Q(_JSONPredicate(column, keys, "present", None)))
        else:
            parts.append(Q(_JSONPredicate(column, keys, op, _JSONValue.of(value))))
    return _any_of(parts)


class _JSONPredicate(Expression):
    """A never-NULL boolean over the JSON node at `keys` inside a JSON column, in each backend's dialect.

    Django's KeyTransform treats numeric keys as array indexes and, on SQLite, lets the text 'null' or 'true'
    equal JSON null or true; SOL013 filters need exact, typed semantics identical to ``matches``, so the SQL is
    written here for PostgreSQL (jsonb ->, jsonb_typeof) and SQLite (json_type, json_extract, json_each).
    `kind` is "present" or a positive operator (eq, gt, gte, lt, lte, cont).
    """

    def __init__(self, column: str, keys: tuple[str, ...], kind: str, value: _JSONValue | None) -> None:
        super().__init__(output_field=BooleanField())
        self.lhs: Any = F(column)
        self.keys = keys
        self.kind = kind
        self.value = value

    def get_source_expressions(self) -> list[Any]:
        return [self.lhs]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.lhs,) = exprs

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        column_sql, column_params = compiler.compile(self.lhs)
        if connection.vendor == "postgresql":
            return _PostgresJSON(column_sql, list(column_params), self.keys).predicate(self.kind, self.value)
        if connection.vendor == "sqlite":
            return _SQLiteJSON(column_sql, list(column_params), self.keys).predicate(self.kind, self.value)
        raise NotSupportedError(f"O2 JSON filters are not implemented for {connection.vendor}.")


_SQL = tuple[str, list[Any]]


def _or(parts: Sequence[_SQL]) -> _SQL:
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]


def _scalar_parts(kind: str, value: _JSONValue) -> list[str]:
    """Which JSON types a value is compared as: eq tries all that fit, ordering picks number or string."""
    if kind == "cont":
        return ["contains"]
    if kind != "eq":
        return ["number" if value.number is not None else "string"]
    parts = ["string"]
    if value.number is not None:
        parts.append("number")
    if value.boolean:
        parts.append("boolean")
    return parts


class _PostgresJSON:
    """SQL for one JSON node in PostgreSQL: `column -> key -> key` (text keys only, never array indexes)."""

    def __init__(self, column_sql: str, column_params: list[Any], keys: tuple[str, ...]) -> None:
        self.node = column_sql + "".join(" -> %s::text" for _ in keys)
        self.params = [*column_params, *keys]

    def predicate(self, kind: str, value: _JSONValue | None) -> _SQL:
        node: _SQL = (self.node, self.params)
        if kind == "present":
            sql, params = self._typeof(node)
            return f"COALESCE(({sql} <> 'null'), FALSE)", params
        assert value is not None
        scalar = self._scalar(node, kind, value)
        arr_type, arr_type_params = self._typeof(node)
        element = self._scalar(("_nw.v", []), kind, value)
        # Only fixed SQL and %s placeholders are interpolated; keys and values travel as parameters.
        arr_sql = (
            f"({arr_type} = 'array' AND EXISTS (SELECT 1 FROM jsonb_array_elements("  # noqa: S608
            f"CASE WHEN {arr_type} = 'array' THEN {node[0]} ELSE '[]'::jsonb END) AS _nw(v) WHERE {element[0]}))"
        )
        arr_params = [*arr_type_params, *arr_type_params, *node[1], *element[1]]
        sql, params = _or([scalar, (arr_sql, arr_params)])
        return f"COALESCE({sql}, FALSE)", params

    @staticmethod
    def _typeof(node: _SQL) -> _SQL:
        return f"jsonb_typeof({node[0]})", list(node[1])

    def _scalar(self, node: _SQL, kind: str, value: _JSONValue) -> _SQL:
        typ, p = self._typeof(node)
        text = f"({node[0]} #>> '{{}}')"
        symbol = _SYMBOLS.get(kind, "=")
        parts: list[_SQL] = []
        for part in _scalar_parts(kind, value):
            if part == "contains":
                parts.append((f"({typ} = 'string' AND strpos({text}, %s) > 0)", [*p, *p, value.text]))
            elif part == "string":
                parts.append((f"({typ} = 'string' AND {text} COLLATE \"C\" {symbol} %s)", [*p, *p, value.text]))
            elif part == "number":
                sql = f"(CASE WHEN {typ} = 'number' THEN {text}::numeric {symbol} %s ELSE FALSE END)"
                parts.append((sql, [*p, *p, value.number]))
            else:
                parts.append((f"({typ} = 'boolean' AND {text} = %s)", [*p, *p, value.text]))
        return _or(parts)


def _sqlite_path(keys: tuple[str, ...]) -> str:
    """A SQLite JSON path. Labels are matched against the stored (ASCII-escaped) JSON text, as Django writes
    it, so keys are JSON-escaped; a key with '"' must be written unquoted, which SQLite cannot do with '.'."""
    path = "$"
    for key in keys:
        escaped = json.dumps(key)
        if '"' not in key:
            path += "." + escaped
        elif "." in escaped or "[" in escaped:
            raise BadRequest(f'The key "{key}" cannot be filtered on with this database.', parameter="filter")
        else:
            path += "." + escaped[1:-1]
    return path


class _SQLiteJSON:
    """SQL for one JSON node in SQLite: json_type/json_extract at a path, json_each for array elements."""

    def __init__(self, column_sql: str, column_params: list[Any], keys: tuple[str, ...]) -> None:
        self.column = (column_sql, column_params)
        self.path = _sqlite_path(keys)

    def _at(self, function: str) -> _SQL:
        return f"{function}({self.column[0]}, %s)", [*self.column[1], self.path]

    def predicate(self, kind: str, value: _JSONValue | None) -> _SQL:
        typ = self._at("json_type")
        if kind == "present":
            return f"COALESCE(({typ[0]} <> 'null'), 0)", typ[1]
        assert value is not None
        scalar = self._scalar(typ, self._at("json_extract"), kind, value)
        each = self._at("json_each")
        element = self._scalar(("_nw.type", []), ("_nw.value", []), kind, value)
        # Only fixed SQL and %s placeholders are interpolated; keys and values travel as parameters.
        arr_sql = f"({typ[0]} = 'array' AND EXISTS (SELECT 1 FROM {each[0]} AS _nw WHERE {element[0]}))"  # noqa: S608
        sql, params = _or([scalar, (arr_sql, [*typ[1], *each[1], *element[1]])])
        return f"COALESCE({sql}, 0)", params

    @staticmethod
    def _scalar(typ: _SQL, val: _SQL, kind: str, value: _JSONValue) -> _SQL:
        symbol = _SYMBOLS.get(kind, "=")
        parts: list[_SQL] = []
        for part in _scalar_parts(kind, value):
            if part == "contains":
                parts.append((f"({typ[0]} = 'text' AND instr({val[0]}, %s) > 0)", [*typ[1], *val[1], value.text]))
            elif part == "string":
                parts.append((f"({typ[0]} = 'text' AND {val[0]} {symbol} %s)", [*typ[1], *val[1], value.text]))
            elif part == "number":
                sql = f"({typ[0]} IN ('integer', 'real') AND {val[0]} {symbol} %s)"
                parts.append((sql, [*typ[1], *val[1], _sqlite_number(value.number)]))
            else:
                parts.append((f"({typ[0]} = %s)", [*typ[1], value.text]))
        return _or(parts)


def _sqlite_number(number: Decimal | None) -> int | float:
    """sqlite3 cannot bind Decimal: integral values within int64 as int, the rest as float."""
    assert number is not None
    if number == number.to_integral_value() and -(2**63) <= number < 2**63:
        return int(number)
    return float(number)
