"""The SMO North API (netweave extension, /netweave-smo-ext/v1): workflows, service models and policies, each
routed to an SMO plugin instance (smo.north). Thin views: validate, call, render."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from netweave import context
from netweave.o2.schema import ProblemDetailsSerializer
from netweave.o2.views import json_response, reject_unknown_parameters
from plugins.sdk.smo import Policy, ServiceModel
from smo import north
from smo.api import serializers as s
from smo.models import WorkflowExecution

TAG = ["netweave SMO North API"]
PREFIX = "/netweave-smo-ext/v1"
VERSIONS = {"uriPrefix": PREFIX, "apiVersions": [{"version": "1.0.0"}]}
SMO_QUERY = OpenApiParameter("smoInstance", str, description=s.SMO_INSTANCE_HELP, required=False)
# Every call reaches an SMO plugin: it may lack the capability (501), be refused (502) or be down (503).
PLUGIN_ERRORS: dict[Any, Any] = {
    (code, "application/problem+json"): OpenApiResponse(ProblemDetailsSerializer, description=why)
    for code, why in (
        (409, "The execution is already finished"),
        (501, "The SMO plugin does not offer this operation"),
        (502, "The SMO rejected netweave's credentials"),
        (503, "The SMO is unavailable"),
    )
}


def _valid(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _model(model: ServiceModel) -> dict[str, Any]:
    return {"modelId": model.model_id, "name": model.name, "version": model.version, "content": dict(model.content)}


def _api_context(request: Request) -> Any:
    """Changes made by this request (workflow executions) are logged as the API's, with its user and request id."""
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    return context.bind(source="api", user_id=user_id, request_id=getattr(request, "request_id", ""))


def _who(request: Request) -> str:
    user = getattr(request, "user", None)
    return str(getattr(user, "name", "") or getattr(user, "username", "") or "")[:150]


class SmoExtApiVersions(APIView):
    @extend_schema(tags=TAG, responses=dict[str, Any], operation_id="smo_ext_api_versions")
    def get(self, request: Request) -> HttpResponse:
        return json_response({"uriPrefix": "/netweave-smo-ext", "apiVersions": [{"version": "1.0.0"}]})


class SmoExtV1ApiVersions(APIView):
    @extend_schema(tags=TAG, responses=dict[str, Any], operation_id="smo_ext_v1_api_versions")
    def get(self, request: Request) -> HttpResponse:
        return json_response(VERSIONS)


class WorkflowExecutionList(APIView):
    @extend_schema(tags=TAG, responses=s.WorkflowExecutionSerializer(many=True), parameters=[SMO_QUERY])
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ("smoInstance",))
        rows = WorkflowExecution.objects.select_related("instance").order_by("-started")
        if "smoInstance" in request.query_params:
            rows = rows.filter(instance__name=request.query_params["smoInstance"])
        return json_response([north.execution_state(row) for row in rows[:1000]])

    @extend_schema(
        tags=TAG,
        request=s.WorkflowExecuteSerializer,
        responses={
            (201, "application/json"): OpenApiResponse(s.WorkflowExecutionSerializer, description="Started"),
            **PLUGIN_ERRORS,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        body = _valid(s.WorkflowExecuteSerializer, request)
        with _api_context(request):
            row = north.execute(body.get("smoInstance"), body["workflowName"], body["parameters"], _who(request))
        location = f"{PREFIX}/workflowExecutions/{row.pk}"
        return json_response(north.execution_state(row), status=201, headers={"Location": location})


class WorkflowExecutionDetail(APIView):
    @extend_schema(tags=TAG, responses={(200, "application/json"): s.WorkflowExecutionSerializer, **PLUGIN_ERRORS})
    def get(self, request: Request, executionId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        with _api_context(request):
            return json_response(north.execution_state(north.refresh(north.execution(executionId))))


class WorkflowExecutionCancel(APIView):
    @extend_schema(
        tags=TAG, request=None, responses={(200, "application/json"): s.WorkflowExecutionSerializer, **PLUGIN_ERRORS}
    )
    def post(self, request: Request, executionId: str) -> HttpResponse:
        with _api_context(request):
            return json_response(north.execution_state(north.cancel(north.execution(executionId))))


class ServiceModelList(APIView):
    @extend_schema(
        tags=TAG,
        responses={(200, "application/json"): s.ServiceModelSerializer(many=True), **PLUGIN_ERRORS},
        parameters=[SMO_QUERY],
    )
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ("smoInstance",))
        return json_response([_model(m) for m in north.list_models(request.query_params.get("smoInstance"))])

    @extend_schema(
        tags=TAG,
        request=s.ServiceModelCreateSerializer,
        responses={
            (201, "application/json"): OpenApiResponse(s.ServiceModelSerializer, description="Registered"),
            **PLUGIN_ERRORS,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        body = _valid(s.ServiceModelCreateSerializer, request)
        model = ServiceModel(body["modelId"], body["name"], body["version"], body["content"])
        north.register_model(body.get("smoInstance"), model)
        return json_response(
            _model(model), status=201, headers={"Location": f"{PREFIX}/serviceModels/{model.model_id}"}
        )


class ServiceModelDetail(APIView):
    @extend_schema(
        tags=TAG,
        responses={(200, "application/json"): s.ServiceModelSerializer, **PLUGIN_ERRORS},
        parameters=[SMO_QUERY],
    )
    def get(self, request: Request, modelId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ("smoInstance",))
        return json_response(_model(north.get_model(request.query_params.get("smoInstance"), modelId)))


class PolicyList(APIView):
    @extend_schema(
        tags=TAG,
        request=s.PolicySerializer,
        responses={
            (202, "application/json"): OpenApiResponse(s.PolicyStatusSerializer, description="Accepted"),
            **PLUGIN_ERRORS,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        body = _valid(s.PolicySerializer, request)
        instance = north.apply_policy(
            body.get("smoInstance"), Policy(body["policyId"], body["policyType"], body["content"])
        )
        status = {"policyId": body["policyId"], "status": "APPLIED", "message": "", "smoInstance": instance.name}
        return json_response(status, status=202, headers={"Location": f"{PREFIX}/policies/{body['policyId']}/status"})


class PolicyStatusView(APIView):
    @extend_schema(
        tags=TAG,
        responses={(200, "application/json"): s.PolicyStatusSerializer, **PLUGIN_ERRORS},
        parameters=[SMO_QUERY],
    )
    def get(self, request: Request, policyId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ("smoInstance",))
        name = request.query_params.get("smoInstance")
        status = north.policy_status(name, policyId)
        instance = north.route(name, query=True)
        body = {"policyId": status.policy_id, "status": status.status, "message": status.message}
        return json_response({**body, "smoInstance": instance.name})
