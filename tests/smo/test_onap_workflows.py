"""ONAP through the SMO North API: SO custom workflows (instanceManagement) started and followed to completion on
the fake SO; service models read from SDC's catalog and policies created (policy-api), deployed and followed (PAP)
on the fakes beside it; what ONAP has no call for (cancelling one SO request, registering a model) is 501."""

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


def test_cancel_is_not_supported_and_says_why(o2, make_onap_smo, fake_so) -> None:
    make_onap_smo(soUrl=fake_so.url)
    body = {"workflowName": "wf-uuid", "parameters": {"serviceInstanceId": "si-2"}}
    started = o2.post(f"{V1}/workflowExecutions", body)
    problem = check_problem(o2.post(f"{started['Location']}/cancel"))
    assert problem["status"] == 501
    assert "aborts every request in progress" in problem["detail"]
    assert json_of(o2.get(started["Location"]))["status"] == "RUNNING"  # untouched


def test_service_models_come_from_sdc(o2, make_onap_smo, fake_onap) -> None:
    make_onap_smo(sdcUrl=fake_onap.url)
    du = fake_onap.add_service("du-service", "2.0")
    fake_onap.add_service("cu-service")
    listed = json_of(o2.get(f"{V1}/serviceModels"))
    assert sorted(m["name"] for m in listed) == ["cu-service", "du-service"]
    one = json_of(o2.get(f"{V1}/serviceModels/{du['uuid']}"))
    assert (one["modelId"], one["version"]) == (du["uuid"], "2.0")
    assert one["content"]["invariantUUID"] == du["invariantUUID"]
    assert one["content"]["distributionStatus"] == "DISTRIBUTED"
    assert check_problem(o2.get(f"{V1}/serviceModels/no-such-uuid"))["status"] == 404
    model = {"modelId": "m1", "name": "x", "version": "1", "content": {}}
    problem = check_problem(o2.post(f"{V1}/serviceModels", model))
    assert problem["status"] == 501
    assert "SDC" in problem["detail"]


def test_policies_go_through_policy_api_and_pap(o2, make_onap_smo, fake_onap) -> None:
    make_onap_smo(policyApiUrl=fake_onap.url, policyPapUrl=fake_onap.url)
    body = {"policyId": "tca-edge", "policyType": "onap.policies.monitoring.tcagen2:1.0.0", "content": {"x": 1}}
    assert o2.post(f"{V1}/policies", body).status_code == 202
    [(_, create_path, template), (_, _, deploy)] = fake_onap.bodies
    assert create_path == "/policy/api/v1/policytypes/onap.policies.monitoring.tcagen2/versions/1.0.0/policies"
    [entry] = template["topology_template"]["policies"]
    assert entry["tca-edge"]["properties"] == {"x": 1}
    assert deploy == {"policies": [{"policy-id": "tca-edge", "policy-version": "1.0.0"}]}
    assert json_of(o2.get(f"{V1}/policies/tca-edge/status"))["status"] == "DEPLOYING"
    status = json_of(o2.get(f"{V1}/policies/tca-edge/status"))
    assert status["status"] == "DEPLOYED"
    assert "defaultGroup/apex/apex-0: SUCCESS" in status["message"]
    assert json_of(o2.get(f"{V1}/policies/unknown/status"))["status"] == "NOT_DEPLOYED"

    failing = {"policyId": "bad", "policyType": "onap.policies.native.Apex", "content": {"simulateFailure": True}}
    assert o2.post(f"{V1}/policies", failing).status_code == 202
    o2.get(f"{V1}/policies/bad/status")
    assert json_of(o2.get(f"{V1}/policies/bad/status"))["status"] == "FAILED"
    unknown = {"policyId": "p", "policyType": "no.such.type", "content": {}}
    assert check_problem(o2.post(f"{V1}/policies", unknown))["status"] == 404
