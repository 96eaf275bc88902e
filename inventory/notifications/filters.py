"""Subscription filters: the SOL013 grammar over a change's object state plus its `objectType`.

Reading (docs/decisions/0004-subscription-filters.md): a filter SELECTS the changes that are reported, as a
`filter` on a collection GET selects the objects returned. No filter reports every change. The spec's
"events which do not need to be reported" reading is expressible with the negative operators
(`neq`, `nin`, `ncont`), so nothing is lost by choosing the reading every other SOL013 filter has.

A change passes when the filter matches the object's state after the change or before it (a modify passes when
either side matches, so a subscriber also learns that an object left the set it watches). Each term is typed by
the object's own spec (netweave.o2.query.matches); a term naming an attribute that this object type does not
have evaluates as over an absent attribute (`eq` false, `neq` true), which is what lets one filter mix object
types, e.g. `(eq,objectType,ResourcePoolInfo);(eq,location,lab)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inventory import specs
from netweave.o2.problems import BadRequest
from netweave.o2.query import FilterTerm, matches, parse_filter
from netweave.o2.spec import ObjectSpec

OBJECT_TYPE = "objectType"
SPECS: dict[str, ObjectSpec] = {
    spec.object_type: spec
    for spec in (specs.OCLOUD, specs.RESOURCE_TYPE, specs.RESOURCE_POOL, specs.DEPLOYMENT_MANAGER, specs.RESOURCE)
}


def parse_subscription_filter(raw: str) -> list[FilterTerm]:
    """Parse and check a subscription filter; BadRequest (naming the term) when it can never be evaluated.

    Every term must name `objectType` or an attribute that at least one object type has, and its values must
    fit that attribute's type (a UUID attribute takes UUIDs) for every object type that has it.
    """
    terms = parse_filter(raw)
    for term in terms:
        _check_term(term)
    return terms


def _check_term(term: FilterTerm) -> None:
    name = term.path[0]
    if name == OBJECT_TYPE:
        _check_object_type_term(term)
        return
    owners = [spec for spec in SPECS.values() if name in spec.by_name]
    if not owners:
        raise BadRequest(
            f'Invalid filter term "{term.text}": unknown attribute "{name}"; use objectType or an attribute of '
            f"{', '.join(SPECS)}.",
            parameter="filter",
        )
    for spec in owners:
        matches([term], spec, {})  # raises BadRequest for a value of the wrong type or an unfilterable attribute


def _check_object_type_term(term: FilterTerm) -> None:
    if len(term.path) > 1:
        raise BadRequest(f'Invalid filter term "{term.text}": objectType has no sub-attributes.', parameter="filter")
    if term.op in ("eq", "neq", "in", "nin"):
        unknown = [v for v in term.values if v is not None and v not in SPECS]
        if unknown:
            raise BadRequest(
                f'Invalid filter term "{term.text}": unknown objectType "{unknown[0]}"; one of {", ".join(SPECS)}.',
                parameter="filter",
            )
    matches([term], None, {OBJECT_TYPE: ""})


def _term_passes(term: FilterTerm, spec: ObjectSpec | None, obj: Mapping[str, Any]) -> bool:
    name = term.path[0]
    if name == OBJECT_TYPE or (spec is not None and name in spec.by_name):
        return matches([term], spec, obj)
    return matches([term], None, {})  # an attribute this object type lacks: evaluated as absent


def state_passes(terms: Sequence[FilterTerm], object_type: str, state: Mapping[str, Any] | None) -> bool:
    if state is None:
        return False
    spec = SPECS.get(object_type)
    obj = {**state, OBJECT_TYPE: object_type}
    return all(_term_passes(term, spec, obj) for term in terms)


def change_passes(
    terms: Sequence[FilterTerm], object_type: str, prior: Mapping[str, Any] | None, post: Mapping[str, Any] | None
) -> bool:
    """Whether a change with these states is reported to a subscription with these filter terms."""
    if not terms:
        return True
    return state_passes(terms, object_type, post) or state_passes(terms, object_type, prior)
