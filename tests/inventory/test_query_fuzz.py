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
    collection=st.sampled_from(["resourcePools", "resourceTypes", "deploymentManagers"]),
)
def test_any_query_value_gives_200_or_400(client, parameter, value, collection) -> None:
    response = client.get(f"{V1}/{collection}?{parameter}={quote(value, safe='')}")
    assert response.status_code in (200, 400), (parameter, value, response.content)
    if response.status_code == 400:
        check_problem(response)
