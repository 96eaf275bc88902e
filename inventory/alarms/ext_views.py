"""netweave's observability extension (/netweave-obs-ext/v1): the Alertmanager webhook receiver, alarm definitions
derived by observability plugins, and resource utilisation from their metrics. Never mixed into the O2 paths."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from inventory.alarms import ingest
from inventory.models import Resource
from netweave.o2.problems import O2Problem
from netweave.o2.schema import ProblemDetailsSerializer
from netweave.o2.views import json_response, path_uuid, reject_unknown_parameters
from plugins.models import PluginInstance
from plugins.registry import get_plugin
from plugins.sdk.base import PluginCategory
from plugins.sdk.observability import ObservabilityPlugin

TAG = ["netweave observability extension"]


class AlertSummarySerializer(serializers.Serializer):
    raised = serializers.IntegerField()
    changed = serializers.IntegerField()
    cleared = serializers.IntegerField()


class AlarmDefinitionSerializer(serializers.Serializer):
    alarmDefinitionId = serializers.CharField()
    alarmName = serializers.CharField()
    alarmDescription = serializers.CharField(allow_blank=True)
    proposedSeverity = serializers.CharField(allow_blank=True)
    alarmAdditionalFields = serializers.DictField()


class UtilisationSerializer(serializers.Serializer):
    resourceId = serializers.UUIDField()
    utilisation = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField(allow_null=True)),
        help_text="Per observability instance: figure name → value (null when the backend has no sample).",
    )


def _instance(name: str) -> PluginInstance:
    instance = PluginInstance.objects.filter(category=PluginCategory.OBSERVABILITY, name=name, enabled=True).first()
    if instance is None:
        raise O2Problem(404, f"No enabled observability plugin instance named '{name}'.")
    return instance


def _plugin(instance: PluginInstance) -> ObservabilityPlugin:
    plugin = get_plugin(instance)
    assert isinstance(plugin, ObservabilityPlugin)
    return plugin


class AlertWebhook(APIView):
    """Alertmanager posts here (webhook_config with an API token holding the maintainer role)."""

    @extend_schema(tags=TAG, request=dict[str, Any], responses=AlertSummarySerializer)
    def post(self, request: Request, instanceName: str) -> HttpResponse:
        summary = ingest.receive_webhook(_instance(instanceName), request.data)
        return json_response({"raised": summary.raised, "changed": summary.changed, "cleared": summary.cleared})


# GETs answered by the observability backend itself can meet it without the capability, refusing netweave's
# credentials or down.
BACKEND_READ_ERRORS: dict[Any, Any] = {
    (status, "application/problem+json"): ProblemDetailsSerializer for status in (501, 502, 503)
}


class AlarmDefinitions(APIView):
    @extend_schema(tags=TAG, responses={200: AlarmDefinitionSerializer(many=True), **BACKEND_READ_ERRORS})
    def get(self, request: Request, instanceName: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        definitions = _plugin(_instance(instanceName)).list_alert_definitions()
        return json_response(
            [
                {
                    "alarmDefinitionId": d.name,
                    "alarmName": d.name,
                    "alarmDescription": d.description,
                    "proposedSeverity": d.severity,
                    "alarmAdditionalFields": dict(d.extensions),
                }
                for d in definitions
            ]
        )


class ResourceUtilisation(APIView):
    @extend_schema(tags=TAG, responses={200: UtilisationSerializer, **BACKEND_READ_ERRORS})
    def get(self, request: Request, resourceId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        resource = Resource.objects.filter(pk=path_uuid(resourceId, "resource")).first()
        if resource is None:
            raise O2Problem(404, f"No resource with id '{resourceId}'.")
        figures: dict[str, Any] = {}
        for instance in PluginInstance.objects.filter(category=PluginCategory.OBSERVABILITY, enabled=True):
            plugin = _plugin(instance)
            labels = ingest.labels_of(resource, plugin.resource_matchers())
            figures[instance.name] = plugin.resource_utilisation(labels)
        return json_response({"resourceId": str(resource.pk), "utilisation": figures})
