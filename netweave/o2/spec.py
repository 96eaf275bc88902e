"""How an O2 object maps onto database columns: one declaration per object kind drives rendering,
SOL013 filters and attribute selectors alike, so the three can never disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    STRING = "string"
    UUID = "uuid"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    OBJECT = "object"  # a JSON object column; filters may address paths inside it with '/'
    ARRAY = "array"  # a JSON array column


def _identity(value: Any) -> Any:
    return value


def uuid_to_str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class O2Field:
    """One O2 attribute.

    name: the O2 attribute name, exactly as the spec spells it.
    column: the ORM path used in .values() and filters; None for attributes that are not stored per row
        (for example `elements`, only rendered on a single GET).
    type: drives value parsing in filters and type checks.
    default_excluded: a complex attribute left out under `exclude_default` (O2-REFERENCE.md §3).
    identifier: always returned, whatever the selectors say.
    render: turns the column value into the JSON value.
    nullable: the value may be absent (a NULL column: the attribute is then left out of the object, never sent
        as null), so `eq,attr,null` is meaningful.
    """

    name: str
    column: str | None
    type: FieldType = FieldType.STRING
    default_excluded: bool = False
    identifier: bool = False
    nullable: bool = False
    render: Callable[[Any], Any] = _identity


@dataclass(frozen=True)
class ObjectSpec:
    """An O2 object kind: its fields in output order and the unique column paging orders by."""

    object_type: str  # the notification objectType: CloudInfo, ResourceInfo, ...
    fields: tuple[O2Field, ...]
    order_column: str = "id"
    by_name: Mapping[str, O2Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def raw_fields(self) -> list[tuple[str, str]]:
        """(O2 name, column) pairs whose raw column values orjson encodes exactly as the rendered ones.

        Reconcile hashes raw rows to skip unchanged objects without rendering them. That is only equivalent if
        every renderer is one orjson applies by itself (identity, or a UUID to its string form); a spec with
        another renderer fails loudly here."""
        for f in self.fields:
            if f.column is not None and f.render not in _ORJSON_NATIVE_RENDERS:
                raise TypeError(f"{self.object_type}.{f.name}: its renderer changes what orjson would encode")
        return [(f.name, f.column) for f in self.fields if f.column is not None]

    def encoder(self, wanted: Collection[str]) -> tuple[list[str], Callable[[Mapping[str, Any]], dict[str, Any]]]:
        """The columns to fetch for the `wanted` attributes, and a function turning such a row into the JSON-ready
        O2 object. Renderers orjson applies by itself are skipped (the hot path of every collection page).
        An attribute without a value is left out, never sent as null (see `render`)."""
        triples = [(f.name, f.column, f.render) for f in self.fields if f.column is not None and f.name in wanted]
        columns = list(dict.fromkeys(column for _, column, _ in triples))
        if all(render in _ORJSON_NATIVE_RENDERS for _, _, render in triples):
            pairs = [(name, column) for name, column, _ in triples]
            return columns, lambda row: {name: v for name, column in pairs if (v := row[column]) is not None}
        return columns, lambda row: {
            name: v for name, column, render in triples if (v := render(row[column])) is not None
        }

    @property
    def columns(self) -> list[str]:
        """Distinct columns to fetch with .values() to render every stored field."""
        seen: dict[str, None] = {}
        for f in self.fields:
            if f.column is not None:
                seen.setdefault(f.column, None)
        return list(seen)

    def render(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The full O2 representation of one row (as returned by .values(*self.columns)).

        An attribute without a value (a NULL column) is left out: the O2 schemas type optional attributes as
        strings or objects, so a strict client rejects `null` where it accepts absence (O2-REFERENCE.md §2)."""
        return {
            f.name: value
            for f in self.fields
            if f.column is not None and (value := f.render(row[f.column])) is not None
        }


# Renderers whose output orjson produces by itself from the raw column value (see ObjectSpec.raw_fields).
_ORJSON_NATIVE_RENDERS = (_identity, uuid_to_str)


def uuid_field(name: str, column: str, *, identifier: bool = False, nullable: bool = False) -> O2Field:
    return O2Field(name, column, FieldType.UUID, identifier=identifier, nullable=nullable, render=uuid_to_str)


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
