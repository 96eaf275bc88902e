"""netweave's admin extension API, /netweave-admin-ext/v1: what the admin does, for automation.

Plugin instances, routing rules and secrets (values write-only), the plugin types with their config schema, and
the routing simulator. Reads need the reader role, changes the admin role (secrets: admin for everything;
netweave.security.policy). Changes run with the change context source="api" and the caller, like the O2 write
APIs, so the change log names who did it; deleting an instance retires its inventory first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from netweave import context
from netweave.o2.problems import O2Problem
from netweave.o2.views import json_response, reject_unknown_parameters
from netweave.security.principals import actor_of
from plugins.api.serializers import (
    PluginInstanceSerializer,
    PluginTypeSerializer,
    RouteDecisionSerializer,
    RouteRequestSerializer,
    RoutingRuleSerializer,
    SecretSerializer,
)
from plugins.discovery import plugin_types
from plugins.models import PluginInstance, RoutingRule, Secret
from plugins.sdk.schema import json_schema

TAG = ["netweave admin extension"]
PREFIX = "/netweave-admin-ext/v1"
VERSIONS = {"uriPrefix": PREFIX, "apiVersions": [{"version": "1.0.0"}]}


@contextmanager
def api_change(request: Request) -> Iterator[context.ChangeContext]:
    user_id = getattr(request.user, "pk", None)
    actor = actor_of(request.user, request.auth)
    with context.bind(source="api", user_id=user_id, actor=actor, request_id=getattr(request, "request_id", "")) as c:
        yield c


class _Audited(generics.GenericAPIView):
    """Saves and deletes through the generic views run in the caller's change context, in one transaction."""

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        with api_change(self.request), transaction.atomic():
            serializer.save()

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        with api_change(self.request), transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance: Model) -> None:
        with api_change(self.request), transaction.atomic():
            self.destroy_object(instance)

    def destroy_object(self, instance: Model) -> None:
        instance.delete()


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="admin_ext_plugin_instances_list"),
    post=extend_schema(tags=TAG, operation_id="admin_ext_plugin_instances_create"),
)
class PluginInstanceList(_Audited, generics.ListCreateAPIView[PluginInstance]):
    queryset = PluginInstance.objects.all()
    serializer_class = PluginInstanceSerializer


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="admin_ext_plugin_instances_retrieve"),
    put=extend_schema(tags=TAG, operation_id="admin_ext_plugin_instances_update"),
    patch=extend_schema(tags=TAG, operation_id="admin_ext_plugin_instances_partial_update"),
    delete=extend_schema(tags=TAG, operation_id="admin_ext_plugin_instances_destroy"),
)
class PluginInstanceDetail(_Audited, generics.RetrieveUpdateDestroyAPIView[PluginInstance]):
    queryset = PluginInstance.objects.all()
    serializer_class = PluginInstanceSerializer
    lookup_field = "name"
    lookup_url_kwarg = "name"

    def destroy_object(self, instance: Model) -> None:
        from plugins.registry import retire_instance

        assert isinstance(instance, PluginInstance)
        retire_instance(instance)


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="admin_ext_routing_rules_list"),
    post=extend_schema(tags=TAG, operation_id="admin_ext_routing_rules_create"),
)
class RoutingRuleList(_Audited, generics.ListCreateAPIView[RoutingRule]):
    queryset = RoutingRule.objects.select_related("plugin_instance")
    serializer_class = RoutingRuleSerializer


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="admin_ext_routing_rules_retrieve"),
    put=extend_schema(tags=TAG, operation_id="admin_ext_routing_rules_update"),
    patch=extend_schema(tags=TAG, operation_id="admin_ext_routing_rules_partial_update"),
    delete=extend_schema(tags=TAG, operation_id="admin_ext_routing_rules_destroy"),
)
class RoutingRuleDetail(_Audited, generics.RetrieveUpdateDestroyAPIView[RoutingRule]):
    queryset = RoutingRule.objects.select_related("plugin_instance")
    serializer_class = RoutingRuleSerializer
    lookup_url_kwarg = "ruleId"

    def get_object(self) -> RoutingRule:
        rule_id = self.kwargs["ruleId"]
        rule = self.get_queryset().filter(pk=int(rule_id)).first() if rule_id.isdigit() else None
        if rule is None:
            raise O2Problem(404, f"No routing rule with id '{rule_id}'.")
        self.check_object_permissions(self.request, rule)
        return rule


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="admin_ext_secrets_list"),
    post=extend_schema(tags=TAG, operation_id="admin_ext_secrets_create"),
)
class SecretList(_Audited, generics.ListCreateAPIView[Secret]):
    queryset = Secret.objects.prefetch_related("plugin_instances")
    serializer_class = SecretSerializer


@extend_schema_view(
    get=extend_schema(tags=TAG, operation_id="admin_ext_secrets_retrieve"),
    put=extend_schema(tags=TAG, operation_id="admin_ext_secrets_update"),
    patch=extend_schema(tags=TAG, operation_id="admin_ext_secrets_partial_update"),
    delete=extend_schema(tags=TAG, operation_id="admin_ext_secrets_destroy"),
)
class SecretDetail(_Audited, generics.RetrieveUpdateDestroyAPIView[Secret]):
    queryset = Secret.objects.prefetch_related("plugin_instances")
    serializer_class = SecretSerializer
    lookup_field = "name"
    lookup_url_kwarg = "name"

    def destroy_object(self, instance: Model) -> None:
        assert isinstance(instance, Secret)
        users = [
            p.name
            for p in PluginInstance.objects.all()
            if any(isinstance(v, dict) and v.get("secretRef") == instance.name for v in (p.config or {}).values())
        ]
        if users:
            raise O2Problem(409, f"Secret '{instance.name}' is used by {', '.join(sorted(users))}.")
        instance.delete()


def _type_body(category: str, name: str, cls: Any) -> dict[str, Any]:
    return {
        "category": category,
        "type": name,
        "version": cls.version,
        "credentials": sorted(cls.secret_fields),
        "configSchema": json_schema(cls),
    }


class PluginTypeList(APIView):
    @extend_schema(tags=TAG, responses=PluginTypeSerializer(many=True), operation_id="admin_ext_plugin_types_list")
    def get(self, request: Request) -> HttpResponse:
        return json_response([_type_body(c, n, cls) for (c, n), cls in sorted(plugin_types().items())])


class PluginTypeDetail(APIView):
    @extend_schema(tags=TAG, responses=PluginTypeSerializer, operation_id="admin_ext_plugin_types_retrieve")
    def get(self, request: Request, kind: str) -> HttpResponse:
        category, _, name = kind.partition(".")
        cls = plugin_types().get((category, name))
        if cls is None:
            raise O2Problem(404, f"No plugin type '{kind}' is installed (give it as <category>.<type>).")
        return json_response(_type_body(category, name, cls))


class RouteSimulation(APIView):
    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter("category", str, required=True, enum=["ims", "dms"]),
            OpenApiParameter("matchType", str, description="resource or package type; * matches any"),
            OpenApiParameter("label", str, many=True, description="key=value, repeated"),
            OpenApiParameter("attribute", str, many=True, description="key=value (true/false), repeated"),
        ],
        responses=RouteDecisionSerializer,
        operation_id="admin_ext_routing_simulate",
        description="Which plugin instance a request would be routed to, and why. Changes nothing, so it is a GET "
        "a reader may make. label and attribute repeat: label=site=edge&attribute=gitOps=true.",
    )
    def get(self, request: Request) -> HttpResponse:
        from plugins.routing import NoRoute, route

        reject_unknown_parameters(request.query_params.keys(), ("category", "matchType", "label", "attribute"))
        query = {
            "category": request.query_params.get("category", ""),
            "matchType": request.query_params.get("matchType", "*"),
            "label": request.query_params.getlist("label"),
            "attribute": request.query_params.getlist("attribute"),
        }
        checked = RouteRequestSerializer(data=query)
        checked.is_valid(raise_exception=True)
        data = checked.validated_data
        try:
            decision = route(
                data["category"], match_type=data["matchType"], labels=data["label"], attributes=data["attribute"]
            )
        except NoRoute as exc:
            return json_response({"routed": False, "explanation": exc.detail})
        answer = {"routed": True, "instance": decision.instance.name, "explanation": decision.explanation}
        if decision.rule:
            answer["rule"] = decision.rule.name
        return json_response(answer)


class ApiVersions(APIView):
    @extend_schema(tags=TAG, operation_id="admin_ext_api_versions")
    def get(self, request: Request) -> HttpResponse:
        return json_response(VERSIONS)
