"""O2ims infrastructure monitoring API v1 (O2-REFERENCE.md §6): alarms, alarm subscriptions and the alarm
service configuration. Thin views: the work is in inventory.alarms.lifecycle and the generic O2 views."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from inventory.alarms import lifecycle
from inventory.alarms import serializers as docs
from inventory.alarms.models import AlarmEventRecord, AlarmServiceConfiguration, PerceivedSeverity
from inventory.alarms.notifications import parse_alarm_filter
from inventory.alarms.specs import ALARM_EVENT_RECORD, ALARM_SERVICE_CONFIGURATION, ALARM_SUBSCRIPTION
from inventory.api.serializers import APIVersionsSerializer
from inventory.api.subscription_views import LOCATION, SubscriptionCollection, SubscriptionItem, SubscriptionKindMixin
from inventory.api.views import COLLECTION_QUERY, ITEM_QUERY
from inventory.api.write_views import _api_context, _validated
from inventory.models import Subscription
from netweave.o2.parsers import BoundedJSONParser, MergePatchParser
from netweave.o2.problems import BadRequest, O2Problem
from netweave.o2.views import (
    O2CollectionView,
    O2ItemView,
    first_row,
    json_response,
    path_uuid,
    reject_unknown_parameters,
)

PREFIX = "/o2ims-infrastructureMonitoring"
API_VERSIONS = {"uriPrefix": f"{PREFIX}/v1", "apiVersions": [{"version": "1.0.0"}]}
TAG = ["O2ims infrastructure monitoring"]
MERGE_PATCH = MergePatchParser.media_type
ALARM = "alarm"
SUBSCRIPTION = "alarm subscription"


class ApiVersionsView(APIView):
    @extend_schema(tags=TAG, responses=APIVersionsSerializer, operation_id="monitoring_api_versions")
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        return json_response(API_VERSIONS)


class VersionedApiVersionsView(ApiVersionsView):
    @extend_schema(tags=TAG, responses=APIVersionsSerializer, operation_id="monitoring_v1_api_versions")
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class AlarmList(O2CollectionView):
    spec = ALARM_EVENT_RECORD

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return AlarmEventRecord.objects.all()

    @extend_schema(tags=TAG, responses=docs.AlarmEventRecordSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


def parse_modification(data: Any) -> dict[str, Any]:
    """The PATCH body: exactly {"alarmAcknowledged": true} or {"perceivedSeverity": 5} (O2-REFERENCE.md §6)."""
    if isinstance(data, dict) and len(data) == 1:
        ((name, value),) = data.items()
        if name == "alarmAcknowledged" and value is True:
            return {"alarmAcknowledged": True}
        if name == "perceivedSeverity" and type(value) is int and value == PerceivedSeverity.CLEARED:
            return {"perceivedSeverity": int(PerceivedSeverity.CLEARED)}
    field = next(iter(data), None) if isinstance(data, dict) and len(data) == 1 else None
    raise BadRequest(
        'The body must be exactly {"alarmAcknowledged": true} (acknowledge) or {"perceivedSeverity": 5} (clear).',
        field=field,
    )


class AlarmDetail(O2ItemView):
    """GET, and PATCH: an RFC 7396 merge patch (O2-REFERENCE.md §6), accepted only as application/merge-patch+json
    (another content type is a 415)."""

    spec = ALARM_EVENT_RECORD
    what = ALARM
    parser_classes = [MergePatchParser]

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["alarmEventRecordId"]
        return first_row(AlarmEventRecord.objects.filter(id=path_uuid(ident, ALARM)), self.spec, ALARM, ident)

    @extend_schema(tags=TAG, responses=docs.AlarmEventRecordSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(
        tags=TAG, request={MERGE_PATCH: docs.AlarmModificationSerializer}, responses=docs.AlarmModificationSerializer
    )
    def patch(self, request: Request, alarmEventRecordId: str) -> HttpResponse:
        """A JSON merge patch (RFC 7396) that is exactly {"alarmAcknowledged": true} (acknowledge) or
        {"perceivedSeverity": 5} (clear)."""
        pk = path_uuid(alarmEventRecordId, ALARM)
        modification = parse_modification(request.data)
        with _api_context(request):
            change = lifecycle.acknowledge if "alarmAcknowledged" in modification else lifecycle.clear
            if change(pk) is None:
                raise O2Problem(404, f"No alarm with id '{alarmEventRecordId}'.")
        return json_response(modification)


class AlarmSubscriptionKind(SubscriptionKindMixin):
    kind = Subscription.Kind.ALARM
    spec = ALARM_SUBSCRIPTION
    id_name = "alarmSubscriptionId"
    what = SUBSCRIPTION
    collection_url = f"{PREFIX}/v1/alarmSubscriptions"
    create_serializer = docs.AlarmSubscriptionCreateSerializer

    def parse_filter(self, raw: str) -> object:
        return parse_alarm_filter(raw)


class AlarmSubscriptionList(AlarmSubscriptionKind, SubscriptionCollection):
    @extend_schema(tags=TAG, responses=docs.AlarmSubscriptionSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(
        tags=TAG,
        request=docs.AlarmSubscriptionCreateSerializer,
        responses={201: OpenApiResponse(docs.AlarmSubscriptionSerializer, description="Created")},
        parameters=[LOCATION],
    )
    def post(self, request: Request) -> HttpResponse:
        return self.create(request)


class AlarmSubscriptionDetail(AlarmSubscriptionKind, SubscriptionItem):
    @extend_schema(tags=TAG, responses=docs.AlarmSubscriptionSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(tags=TAG, request=None, responses={204: None})
    def delete(self, request: Request, alarmSubscriptionId: str) -> HttpResponse:
        return self.remove(request, alarmSubscriptionId)


def _render_configuration(config: AlarmServiceConfiguration) -> dict[str, Any]:
    return ALARM_SERVICE_CONFIGURATION.render(
        {"retention_period": config.retention_period, "extensions": config.extensions}
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge key by key, `null` removes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class AlarmServiceConfigurationView(APIView):
    """GET, PUT (the whole configuration, application/json) and PATCH (an RFC 7396 merge patch, only as
    application/merge-patch+json: another content type is a 415)."""

    parser_classes = [BoundedJSONParser]

    def get_parsers(self) -> list[Any]:
        if self.request is not None and self.request.method == "PATCH":
            return [MergePatchParser()]
        return super().get_parsers()

    @extend_schema(tags=TAG, responses=docs.AlarmServiceConfigurationSerializer)
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        return json_response(_render_configuration(AlarmServiceConfiguration.current()))

    @extend_schema(
        tags=TAG,
        request={"application/json": docs.AlarmServiceConfigurationSerializer},
        responses=docs.AlarmServiceConfigurationSerializer,
    )
    def put(self, request: Request) -> HttpResponse:
        data = _validated(docs.AlarmServiceConfigurationSerializer, request)
        return self._save(data["retentionPeriod"], data.get("extensions", {}))

    @extend_schema(
        tags=TAG,
        request={"application/merge-patch+json": docs.AlarmServiceConfigurationPatchSerializer},
        responses=docs.AlarmServiceConfigurationSerializer,
        description="An RFC 7396 JSON merge patch of the configuration: members replace, `null` removes "
        "(an extensions key; retentionPeriod cannot be removed).",
    )
    def patch(self, request: Request) -> HttpResponse:
        if not isinstance(request.data, dict):
            raise BadRequest("A merge patch of the configuration is a JSON object.", field="body")
        with transaction.atomic():
            current = _render_configuration(AlarmServiceConfiguration.current())
            merged = merge_patch(current, request.data)
            serializer = docs.AlarmServiceConfigurationSerializer(data=merged)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            return self._save(data["retentionPeriod"], data.get("extensions", {}))

    def _save(self, retention: int, extensions: dict[str, Any]) -> HttpResponse:
        with transaction.atomic():
            AlarmServiceConfiguration.current()
            config = AlarmServiceConfiguration.objects.select_for_update().get(pk=1)
            config.retention_period = retention
            config.extensions = extensions
            config.save()
        return json_response(_render_configuration(config))
