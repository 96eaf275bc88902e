"""O2ims inventory subscriptions: POST, GET (SOL013 query), GET one, DELETE (O2-REFERENCE.md §5)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request

from inventory.api.subscription_serializers import SubscriptionCreateSerializer, SubscriptionSerializer
from inventory.api.views import COLLECTION_QUERY, ITEM_QUERY, PREFIX
from inventory.api.write_views import _api_context, _validated
from inventory.models import Subscription
from inventory.notifications.subscriptions import SUBSCRIPTION, create_subscription
from netweave.o2.problems import O2Problem
from netweave.o2.views import O2CollectionView, O2ItemView, first_row, json_response, path_uuid

TAG = ["O2ims inventory subscriptions"]
SUBSCRIPTIONS = f"{PREFIX}/v1/subscriptions"
WHAT = "subscription"

LOCATION = OpenApiParameter(
    "Location", str, location=OpenApiParameter.HEADER, response=[201], description="URL of the new subscription"
)


class SubscriptionList(O2CollectionView):
    spec = SUBSCRIPTION

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return Subscription.objects.filter(kind=Subscription.Kind.INVENTORY)

    @extend_schema(tags=TAG, responses=SubscriptionSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(
        tags=TAG,
        request=SubscriptionCreateSerializer,
        responses={201: OpenApiResponse(SubscriptionSerializer, description="Created")},
        parameters=[LOCATION],
    )
    def post(self, request: Request) -> HttpResponse:
        data = _validated(SubscriptionCreateSerializer, request)
        with _api_context(request):
            subscription = create_subscription(data)
        location = f"{SUBSCRIPTIONS}/{subscription['subscriptionId']}"
        return json_response(subscription, status=201, headers={"Location": location})


class SubscriptionDetail(O2ItemView):
    spec = SUBSCRIPTION
    what = WHAT

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["subscriptionId"]
        return first_row(
            Subscription.objects.filter(kind=Subscription.Kind.INVENTORY, id=path_uuid(ident, WHAT)),
            self.spec,
            WHAT,
            ident,
        )

    @extend_schema(tags=TAG, responses=SubscriptionSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(tags=TAG, request=None, responses={204: None})
    def delete(self, request: Request, subscriptionId: str) -> HttpResponse:
        with _api_context(request):
            subscriptions = Subscription.objects.filter(kind=Subscription.Kind.INVENTORY)
            deleted, _ = subscriptions.filter(id=path_uuid(subscriptionId, WHAT)).delete()
        if not deleted:
            raise O2Problem(404, f"No subscription with id '{subscriptionId}'.")
        return HttpResponse(status=204)
