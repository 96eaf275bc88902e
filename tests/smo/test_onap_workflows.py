"""ONAP workflows through the SMO North API: SO custom workflows (instanceManagement) started and followed to
completion on the fake SO; what ONAP has no call for here (cancel, service models, policies) is 501."""

from __future__ import annotations

import pytest

from tests.o2client import check_problem, json_of

pytestmark = pytest.mark.django_db
V1 = "/netweave-smo-ext/v1"


def test_so_workflow_runs_to_completion(o2, make_onap_smo, fake_so) -> None:
    make_onap_smo(soUrl=fake_so.url)
    body = {"workflowName": "wf-scale-uuid", "parameters": {"serviceInstanceId": "si-1", "cells": 4}}
    started = o2.post(f"{V1}/workflowExecutions", body)
    assert started.status_code == 201, started.content
    execution = json_of(started)
    assert execution["status"] == "RUNNING"
    [(_, path, sent)] = fake_so.bodies
    assert path == "/onap/so/infra/instanceManagement/v1/serviceInstances/si-1/workflows/wf-scale-uuid"
    assert sent["requestDetails"]["requestParameters"]["userParams"] == [{"name": "cells", "value": 4}]
    assert json_of(o2.get(started["Location"]))["status"] == "RUNNING"  # 50%
    done = json_of(o2.get(started["Location"]))
    assert done["status"] == "COMPLETED"
    assert "100%" in done["message"]

    assert check_problem(o2.post(f"{started['Location']}/cancel"))["status"] == 409  # finished
    assert check_problem(o2.get(f"{V1}/serviceModels"))["status"] == 501
    assert check_problem(o2.post(f"{V1}/policies", {"policyId": "p", "policyType": "t"}))["status"] == 501
    missing = check_problem(o2.post(f"{V1}/workflowExecutions", {"workflowName": "wf"}))
    assert missing["additionalAttributes"]["field"] == "parameters"


def test_without_so_no_workflows(o2, make_onap_smo) -> None:
    make_onap_smo()
    problem = check_problem(o2.post(f"{V1}/workflowExecutions", {"workflowName": "wf"}))
    assert problem["status"] == 501
