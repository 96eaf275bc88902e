"""Arbitrary query strings through the HTTP API never produce a 500: only 200 or a 400 ProblemDetails."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.o2client import check_problem

V1 = "/o2ims-infrastructureInventory/v1"
TERMISH = st.text(alphabet=st.sampled_from(list("(),;'/@ eqnltgicoxnameIdsu0123456789null")), max_size=40)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parameter=st.sampled_from(["filter", "fields", "exclude_fields", "nextpage_opaque_marker", "all_fields"]),
    value=st.one_of(st.text(max_size=40), TERMISH),
    collection=st.sampled_from(
        ["resourcePools", "resourceTypes", "deploymentManagers", "oCloudSites", "locations", "alarmDictionaries"]
    ),
)
def test_any_query_value_gives_200_or_400(client, parameter, value, collection) -> None:
    response = client.get(f"{V1}/{collection}?{parameter}={quote(value, safe='')}")
    assert response.status_code in (200, 400), (parameter, value, response.content)
    if response.status_code == 400:
        check_problem(response)


# Valid attribute names per collection, for combined selectors (O2-REFERENCE.md §3 precedence).
NAMES = {
    "resourcePools": ["name", "description", "location", "extensions", "oCloudSiteId", "extensions/mock.site"],
    "deploymentManagers": ["name", "capabilities", "capacity", "extensions", "serviceUri"],
    "oCloudSites": ["name", "description", "resourcePools", "extensions", "globalLocationId"],
    "locations": ["name", "coordinate", "civicAddress", "oCloudSiteIds", "extensions", "coordinate/type"],
    "alarmDictionaries": ["vendor", "entityType", "alarmDefinition", "extensions"],
}
PRECEDENCE = ("all_fields", "fields", "exclude_fields", "exclude_default")


@st.composite
def selector_queries(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    collection = draw(st.sampled_from(sorted(NAMES)))
    chosen = draw(st.lists(st.sampled_from(PRECEDENCE), min_size=1, max_size=4, unique=True))
    params: dict[str, str] = {}
    for selector in chosen:
        if selector in ("fields", "exclude_fields"):
            names = draw(st.lists(st.sampled_from(NAMES[collection]), min_size=1, max_size=3, unique=True))
            params[selector] = ",".join(names)
        else:
            params[selector] = ""
    return collection, params


def _query(params: dict[str, str]) -> str:
    return "&".join(f"{k}={quote(v, safe=',/')}" if v else k for k, v in params.items())


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=selector_queries())
def test_combined_selectors_answer_as_the_highest_one_alone(o2, synced_mock, case) -> None:
    """Any combination of selectors is 200, and answers exactly as the one with the highest precedence alone."""
    collection, params = case
    combined = o2.get(f"{V1}/{collection}?{_query(params)}")
    assert combined.status_code == 200, (params, combined.content)
    winner = next(name for name in PRECEDENCE if name in params)
    alone = o2.get(f"{V1}/{collection}?{_query({winner: params[winner]})}")
    assert combined.json() == alone.json(), params
