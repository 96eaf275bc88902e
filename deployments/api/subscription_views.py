"""O2dms change subscriptions, netweave's documented extension (docs/notifications.md, "O2dms changes"):
POST, GET (SOL013 query), GET one, DELETE, as O2ims inventory subscriptions are served, with the DMS filter
grammar (deployments.notifications). Also the O2dms version discovery."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from deployments.notifications import parse_dms_filter
from inventory.api.serializers import APIVersionsSerializer
from inventory.api.subscription_serializers import SubscriptionCreateSerializer, SubscriptionSerializer
from inventory.api.subscription_views import LOCATION, SubscriptionCollection, SubscriptionItem, SubscriptionKindMixin
from inventory.api.views import COLLECTION_QUERY, ITEM_QUERY
from inventory.models import Subscription
from netweave.o2.query import MAX_FILTER_LENGTH
from netweave.o2.views import json_response, reject_unknown_parameters

TAG = ["netweave O2dms change subscriptions"]
SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"
O2DMS_VERSIONS = {"uriPrefix": "/o2dms/v1", "apiVersions": [{"version": "1.0.0"}]}
EXT_VERSIONS = {"uriPrefix": "/netweave-dms-ext/v1", "apiVersions": [{"version": "1.0.0"}]}


class DmsSubscriptionCreateSerializer(SubscriptionCreateSerializer):
    filter = serializers.CharField(
        max_length=MAX_FILTER_LENGTH,
        required=False,
        allow_blank=True,
        help_text="SOL013 filter selecting the O2dms changes that are reported, over the object's O2 state; "
        "objectType (NfDeploymentDescriptor, NfDeployment, NfDeploymentOperation) and deploymentManagerId are "
        "attributes. Absent: every change.",
    )


class DmsSubscriptionKind(SubscriptionKindMixin):
    kind = Subscription.Kind.DMS
    what = "DMS subscription"
    collection_url = SUBSCRIPTIONS
    create_serializer = DmsSubscriptionCreateSerializer

    def parse_filter(self, raw: str) -> object:
        return parse_dms_filter(raw)


class DmsSubscriptionList(DmsSubscriptionKind, SubscriptionCollection):
    @extend_schema(
        tags=TAG,
        responses=SubscriptionSerializer(many=True),
        parameters=COLLECTION_QUERY,
        operation_id="dms_subscriptions_list",
    )
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(
        tags=TAG,
        request=DmsSubscriptionCreateSerializer,
        responses={201: OpenApiResponse(SubscriptionSerializer, description="Created")},
        parameters=[LOCATION],
        operation_id="dms_subscriptions_create",
    )
    def post(self, request: Request) -> HttpResponse:
        return self.create(request)


class DmsSubscriptionDetail(DmsSubscriptionKind, SubscriptionItem):
    @extend_schema(
        tags=TAG, responses=SubscriptionSerializer, parameters=ITEM_QUERY, operation_id="dms_subscriptions_retrieve"
    )
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(tags=TAG, request=None, responses={204: None}, operation_id="dms_subscriptions_destroy")
    def delete(self, request: Request, subscriptionId: str) -> HttpResponse:
        return self.remove(request, subscriptionId)


def _versions_view(versions: dict[str, Any], operation_id: str) -> type[APIView]:
    class VersionsView(APIView):
        @extend_schema(tags=TAG, responses=APIVersionsSerializer, operation_id=operation_id)
        def get(self, request: Request) -> HttpResponse:
            reject_unknown_parameters(request.query_params.keys(), ())
            return json_response(versions)

    return VersionsView


O2dmsApiVersions = _versions_view(O2DMS_VERSIONS, "o2dms_api_versions")
O2dmsV1ApiVersions = _versions_view(O2DMS_VERSIONS, "o2dms_v1_api_versions")
DmsExtApiVersions = _versions_view(EXT_VERSIONS, "dms_ext_api_versions")
DmsExtV1ApiVersions = _versions_view(EXT_VERSIONS, "dms_ext_v1_api_versions")
