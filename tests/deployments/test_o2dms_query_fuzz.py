"""Arbitrary query strings on the O2dms collections never produce a 500: only 200 or a 400 ProblemDetails,
with data in place so filters and selectors really run against rows."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.deployments.conftest import base, chart
from tests.o2client import check_problem

TERMISH = st.text(
    alphabet=st.sampled_from(list("(),;'/@ eqnltgicoxnameIdsu0123456789nullstatusextensionsoperationdescriptorId.")),
    max_size=50,
)


@pytest.fixture
def populated(client: Any, manager: Any, mock_dms: Any, run_tasks: Any) -> str:
    prefix = base(manager)
    created = client.post(f"{prefix}/NfDeploymentDescriptor", chart("netweave-demo"), content_type="application/gzip")
    descriptor = created.json()["id"]
    run_tasks(
        lambda: client.post(
            f"{prefix}/NfDeployment", {"name": "fuzz", "descriptorId": descriptor}, content_type="application/json"
        )
    )
    return prefix


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parameter=st.sampled_from(["filter", "fields", "exclude_fields", "nextpage_opaque_marker", "all_fields"]),
    value=st.one_of(st.text(max_size=40), TERMISH),
    collection=st.sampled_from(["NfDeploymentDescriptor", "NfDeployment", "operations"]),
)
def test_any_query_value_gives_200_or_400(
    client: Any, populated: str, parameter: str, value: str, collection: str
) -> None:
    response = client.get(f"{populated}/{collection}?{parameter}={quote(value, safe='')}")
    assert response.status_code in (200, 400), (parameter, value, response.content)
    if response.status_code == 400:
        check_problem(response)


def test_filters_on_nested_and_typed_attributes(o2: Any, populated: str) -> None:
    def ids(path: str) -> int:
        response = o2.get(path)
        assert response.status_code == 200, response.content
        return len(response.json())

    assert ids(f"{populated}/NfDeployment?filter=(eq,extensions/netweave.namespace,default)") == 1
    assert ids(f"{populated}/NfDeployment?filter=(eq,extensions/netweave.values/replicaCount,1)") == 0
    assert ids(f"{populated}/NfDeployment?filter=(in,status,2,3);(eq,name,fuzz)") == 1
    assert ids(f"{populated}/operations?filter=(gt,createdTime,2000-01-01T00:00:00Z);(eq,state,SUCCEEDED)") == 1
    assert ids(f"{populated}/operations?filter=(eq,error,null)") == 1
    assert ids(f"{populated}/NfDeploymentDescriptor?filter=(cont,description,minimal)") == 1
    assert o2.get(f"{populated}/operations?filter=(gt,createdTime,yesterday)").status_code == 400
