"""The SMO North API (/netweave-smo-ext/v1) end to end: routed to the named SMO instance or the default, the
custom plugin calling a real HTTP receiver playing the SMO; NotSupported as 501, routing mistakes as 400/503,
roles enforced, workflow executions stored and written to the change log. Responses are validated against our
published OpenAPI by the o2 client."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inventory.models import ChangeLogEntry
from smo.models import WorkflowExecution
from tests.o2client import check_problem, json_of
from tests.smo.conftest import NATIVE_OPERATIONS

pytestmark = pytest.mark.django_db
V1 = "/netweave-smo-ext/v1"


def smo_answers(receiver: Any) -> None:
    """The receiver answers like a small SMO: executions are created RUNNING and read back COMPLETED."""

    def respond(item: Any) -> tuple[int, Any] | None:
        if item.method == "POST" and item.path.startswith("/workflows/"):
            return 201, {"executionId": "smo-exec-1", "status": "RUNNING"}
        if item.method == "GET" and item.path == "/executions/smo-exec-1":
            return 200, {"status": "COMPLETED", "message": "all steps done"}
        if item.method == "GET" and item.path == "/models":
            return 200, {"items": [{"modelId": "m1", "name": "du", "version": "2", "content": {"a": 1}}]}
        if item.method == "GET" and item.path == "/policies/p1":
            return 200, {"state": {"value": "ENFORCED"}}
        return None

    receiver.respond = respond


def test_workflow_execute_status_and_audit(o2, receiver, make_custom_smo) -> None:
    smo_answers(receiver)
    make_custom_smo()
    started = o2.post(f"{V1}/workflowExecutions", {"workflowName": "heal-du", "parameters": {"du": "du-7"}})
    assert started.status_code == 201, started.content
    execution = json_of(started)
    assert execution["status"] == "RUNNING"
    assert execution["smoExecutionId"] == "smo-exec-1"
    assert started["Location"] == f"{V1}/workflowExecutions/{execution['executionId']}"
    sent = [r for r in receiver.received if r.path == "/workflows/heal-du/executions"]
    assert [r.json() for r in sent] == [{"name": "heal-du", "parameters": {"du": "du-7"}}]
    assert receiver.rejected == 0

    read = json_of(o2.get(started["Location"]))
    assert (read["status"], read["message"]) == ("COMPLETED", "all steps done")
    assert [json_of(o2.get(f"{V1}/workflowExecutions"))[0]["executionId"]] == [execution["executionId"]]
    audit = ChangeLogEntry.objects.filter(object_id=execution["executionId"]).order_by("id")
    assert [(e.object_type, e.action) for e in audit] == [
        ("SmoWorkflowExecution", "create"),
        ("SmoWorkflowExecution", "modify"),
    ]
    assert audit[1].post_state["status"] == "COMPLETED"
    assert audit[0].source == "api"
    # A completed execution cannot be cancelled.
    assert check_problem(o2.post(f"{started['Location']}/cancel"))["status"] == 409


def test_cancel(o2, receiver, make_custom_smo) -> None:
    receiver.respond = lambda item: (201, {"executionId": "e-9"}) if item.method == "POST" else None
    make_custom_smo()
    location = o2.post(f"{V1}/workflowExecutions", {"workflowName": "upgrade"})["Location"]
    cancelled = o2.post(f"{location}/cancel")
    assert cancelled.status_code == 200
    assert json_of(cancelled)["status"] == "CANCELLED"
    assert [(r.method, r.path) for r in receiver.received][-1] == ("DELETE", "/executions/e-9")
    assert WorkflowExecution.objects.get().status == "CANCELLED"


def test_not_supported_is_501(o2, receiver, make_custom_smo) -> None:
    make_custom_smo()  # no service-model or policy operations configured
    problem = check_problem(o2.get(f"{V1}/serviceModels"))
    assert problem["status"] == 501
    assert "service-modeling" in problem["detail"]
    body = {"policyId": "p1", "policyType": "qos"}
    assert check_problem(o2.post(f"{V1}/policies", body))["status"] == 501


def test_service_models_and_policies_routed_by_name(o2, receiver, make_custom_smo) -> None:
    smo_answers(receiver)
    make_custom_smo("plain")  # the default, without models
    operations = {
        **NATIVE_OPERATIONS,
        "registerServiceModel": {"method": "PUT", "path": "/models/{{ modelId }}"},
        "listServiceModels": {"method": "GET", "path": "/models", "itemsField": "items"},
        "applyPolicy": {
            "method": "PUT",
            "path": "/policies/{{ policyId }}",
            "template": '{"type": {{ policyType | json }}, "body": {{ content | json }}}',
        },
        "getPolicyStatus": {"method": "GET", "path": "/policies/{{ policyId }}", "statusField": "state.value"},
    }
    make_custom_smo("modeller", operations=operations, default=False, secrets={"hmacSecret": "smo-shared-hmac-key"})
    model = {"modelId": "m1", "name": "du", "version": "2", "content": {"a": 1}, "smoInstance": "modeller"}
    assert o2.post(f"{V1}/serviceModels", model).status_code == 201
    assert [(r.method, r.path) for r in receiver.received] == [("PUT", "/models/m1")]
    listed = json_of(o2.get(f"{V1}/serviceModels?smoInstance=modeller"))
    assert listed == [{"modelId": "m1", "name": "du", "version": "2", "content": {"a": 1}}]
    assert check_problem(o2.get(f"{V1}/serviceModels"))["status"] == 501  # the default cannot

    applied = o2.post(
        f"{V1}/policies", {"policyId": "p1", "policyType": "qos", "content": {"x": 2}, "smoInstance": "modeller"}
    )
    assert applied.status_code == 202
    assert receiver.received[-1].json() == {"type": "qos", "body": {"x": 2}}  # the operator's template
    status = json_of(o2.get(f"{V1}/policies/p1/status?smoInstance=modeller"))
    assert status == {"policyId": "p1", "status": "ENFORCED", "message": "", "smoInstance": "modeller"}


def test_routing_mistakes(o2, receiver, make_custom_smo) -> None:
    problem = check_problem(o2.post(f"{V1}/workflowExecutions", {"workflowName": "x"}))
    assert problem["status"] == 404  # no SMO instance at all
    make_custom_smo()
    problem = check_problem(o2.post(f"{V1}/workflowExecutions", {"workflowName": "x", "smoInstance": "nope"}))
    assert (problem["status"], problem["additionalAttributes"]["field"]) == (400, "smoInstance")
    problem = check_problem(o2.get(f"{V1}/serviceModels?smoInstance=nope"))
    assert problem["additionalAttributes"]["parameter"] == "smoInstance"
    problem = check_problem(o2.post(f"{V1}/workflowExecutions", {"workflowName": "x", "bogus": 1}))
    assert problem["additionalAttributes"]["field"] == "bogus"
    assert check_problem(o2.get(f"{V1}/workflowExecutions/not-an-id"))["status"] == 404


def test_roles(make_api_token, receiver, make_custom_smo) -> None:
    make_custom_smo()
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {make_api_token('reader')}")
    assert reader.get(f"{V1}/workflowExecutions").status_code == 200
    denied = reader.post(f"{V1}/workflowExecutions", {"workflowName": "x"}, content_type="application/json")
    assert denied.status_code == 403
    assert Client().get(f"{V1}/workflowExecutions").status_code == 401
    assert Client().get(f"{V1}/api_versions").status_code == 200
