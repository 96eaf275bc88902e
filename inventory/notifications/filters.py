"""Subscription filters: the SOL013 grammar over a change's object state plus virtual attributes (`objectType`).

Reading (docs/decisions/0004-subscription-filters.md): a filter SELECTS the changes that are reported, as a
`filter` on a collection GET selects the objects returned. No filter reports every change. The spec's
"events which do not need to be reported" reading is expressible with the negative operators
(`neq`, `nin`, `ncont`), so nothing is lost by choosing the reading every other SOL013 filter has.

A change passes when the filter matches the object's state after the change or before it (a modify passes when
either side matches, so a subscriber also learns that an object left the set it watches). Each term is typed by
the object's own spec (netweave.o2.query.matches); a term naming an attribute that this object type does not
have evaluates as over an absent attribute (`eq` false, `neq` true), which is what lets one filter mix object
types, e.g. `(eq,objectType,ResourcePoolInfo);(eq,location,lab)`.

One `ChangeGrammar` per kind of subscription: O2ims inventory subscriptions hear about the five R003 inventory
object types and the three R005 ones (LocationInfo, OCloudSiteInfo, AlarmDictionaryInfo); O2dms subscriptions
(deployments.notifications) about descriptors, deployments and operations, with `deploymentManagerId` as a
second virtual attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from inventory import specs
from netweave.o2.problems import BadRequest
from netweave.o2.query import FilterTerm, matches, parse_filter
from netweave.o2.spec import ObjectSpec

OBJECT_TYPE = "objectType"


def _object_type_only(object_type: str, state: Mapping[str, Any]) -> dict[str, Any]:
    return {OBJECT_TYPE: object_type}


@dataclass(frozen=True)
class ChangeGrammar:
    """What a kind of subscription's filter may name: the object types it hears about (by O2 name) and the
    virtual attributes computed for each change (`virtuals` returns them; `objectType` is always one)."""

    specs: Mapping[str, ObjectSpec]
    virtual_names: tuple[str, ...] = (OBJECT_TYPE,)
    virtuals: Callable[[str, Mapping[str, Any]], dict[str, Any]] = _object_type_only

    def parse(self, raw: str) -> list[FilterTerm]:
        """Parse and check a subscription filter; BadRequest (naming the term) when it can never be evaluated.

        Every term must name a virtual attribute or an attribute that at least one object type has, and its
        values must fit that attribute's type (a UUID attribute takes UUIDs) for every object type that has it.
        """
        terms = parse_filter(raw)
        for term in terms:
            self._check_term(term)
        return terms

    def change_passes(
        self,
        terms: Sequence[FilterTerm],
        object_type: str,
        prior: Mapping[str, Any] | None,
        post: Mapping[str, Any] | None,
    ) -> bool:
        """Whether a change with these states is reported to a subscription with these filter terms."""
        if not terms:
            return True
        return self.state_passes(terms, object_type, post) or self.state_passes(terms, object_type, prior)

    def state_passes(self, terms: Sequence[FilterTerm], object_type: str, state: Mapping[str, Any] | None) -> bool:
        if state is None:
            return False
        spec = self.specs.get(object_type)
        obj = {**state, **self.virtuals(object_type, state)}
        return all(self._term_passes(term, spec, obj) for term in terms)

    def _check_term(self, term: FilterTerm) -> None:
        name = term.path[0]
        if name in self.virtual_names:
            self._check_virtual_term(term)
            return
        owners = [spec for spec in self.specs.values() if name in spec.by_name]
        if not owners:
            raise BadRequest(
                f'Invalid filter term "{term.text}": unknown attribute "{name}"; use '
                f"{' or '.join(self.virtual_names)} or an attribute of {', '.join(self.specs)}.",
                parameter="filter",
            )
        for spec in owners:
            matches([term], spec, {})  # raises BadRequest for a value of the wrong type or an unfilterable attribute

    def _check_virtual_term(self, term: FilterTerm) -> None:
        name = term.path[0]
        if len(term.path) > 1:
            raise BadRequest(f'Invalid filter term "{term.text}": {name} has no sub-attributes.', parameter="filter")
        if name == OBJECT_TYPE and term.op in ("eq", "neq", "in", "nin"):
            unknown = [v for v in term.values if v is not None and v not in self.specs]
            if unknown:
                raise BadRequest(
                    f'Invalid filter term "{term.text}": unknown objectType "{unknown[0]}"; one of '
                    f"{', '.join(self.specs)}.",
                    parameter="filter",
                )
        matches([term], None, {name: ""})

    def _term_passes(self, term: FilterTerm, spec: ObjectSpec | None, obj: Mapping[str, Any]) -> bool:
        name = term.path[0]
        if name in self.virtual_names or (spec is not None and name in spec.by_name):
            return matches([term], spec, obj)
        return matches([term], None, {})  # an attribute this object type lacks: evaluated as absent


INVENTORY_GRAMMAR = ChangeGrammar(
    {
        spec.object_type: spec
        for spec in (
            specs.OCLOUD,
            specs.RESOURCE_TYPE,
            specs.RESOURCE_POOL,
            specs.DEPLOYMENT_MANAGER,
            specs.RESOURCE,
            # R005 additions
            specs.LOCATION,
            specs.O_CLOUD_SITE,
            specs.ALARM_DICTIONARY,
        )
    }
)
SPECS = INVENTORY_GRAMMAR.specs


def parse_subscription_filter(raw: str) -> list[FilterTerm]:
    """Parse and check an O2ims inventory subscription filter (400 naming the term)."""
    return INVENTORY_GRAMMAR.parse(raw)


def change_passes(
    terms: Sequence[FilterTerm], object_type: str, prior: Mapping[str, Any] | None, post: Mapping[str, Any] | None
) -> bool:
    """Whether an inventory change with these states is reported to a subscription with these filter terms."""
    return INVENTORY_GRAMMAR.change_passes(terms, object_type, prior, post)
