"""O2ims inventory subscriptions: POST, GET (SOL013 query), GET one, DELETE (O2-REFERENCE.md §5).

The base classes serve every kind of subscription netweave has (inventory here, alarms in inventory.alarms,
O2dms changes in deployments.api): a kind differs only in its filter grammar, its O2 shape and its URL.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request

from inventory.api.subscription_serializers import SubscriptionCreateSerializer, SubscriptionSerializer
from inventory.api.views import COLLECTION_QUERY, ITEM_QUERY, PREFIX
from inventory.api.write_views import _api_context, _validated
from inventory.models import Subscription
from inventory.notifications.filters import parse_subscription_filter
from inventory.notifications.subscriptions import SUBSCRIPTION, create_subscription
from netweave.o2.problems import O2Problem
from netweave.o2.views import O2CollectionView, O2ItemView, first_row, json_response, path_uuid

TAG = ["O2ims inventory subscriptions"]
SUBSCRIPTIONS = f"{PREFIX}/v1/subscriptions"
WHAT = "subscription"

LOCATION = OpenApiParameter(
    "Location", str, location=OpenApiParameter.HEADER, response=[201], description="URL of the new subscription"
)


class SubscriptionKindMixin:
    """What distinguishes one kind of subscription: set by each concrete view."""

    kind: ClassVar[str] = Subscription.Kind.INVENTORY
    spec = SUBSCRIPTION
    id_name: ClassVar[str] = "subscriptionId"  # the spec's identifier, also the item URL's parameter
    what: str = WHAT
    collection_url: ClassVar[str] = SUBSCRIPTIONS
    create_serializer: ClassVar[type] = SubscriptionCreateSerializer

    def parse_filter(self, raw: str) -> object:
        """Check a filter in this kind's grammar (BadRequest naming the term)."""
        return parse_subscription_filter(raw)

    def subscriptions(self) -> QuerySet[Subscription]:
        return Subscription.objects.filter(kind=self.kind)


class SubscriptionCollection(SubscriptionKindMixin, O2CollectionView):
    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return self.subscriptions()

    def create(self, request: Request) -> HttpResponse:
        data = _validated(self.create_serializer, request)
        with _api_context(request):
            subscription = create_subscription(data, kind=self.kind, parse_filter=self.parse_filter, spec=self.spec)
        location = f"{self.collection_url}/{subscription[self.id_name]}"
        return json_response(subscription, status=201, headers={"Location": location})


class SubscriptionItem(SubscriptionKindMixin, O2ItemView):
    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs[self.id_name]
        queryset = self.subscriptions().filter(id=path_uuid(ident, self.what))
        return first_row(queryset, self.spec, self.what, ident)

    def remove(self, request: Request, ident: str) -> HttpResponse:
        with _api_context(request):
            deleted, _ = self.subscriptions().filter(id=path_uuid(ident, self.what)).delete()
        if not deleted:
            raise O2Problem(404, f"No {self.what} with id '{ident}'.")
        return HttpResponse(status=204)


class SubscriptionList(SubscriptionCollection):
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
        return self.create(request)


class SubscriptionDetail(SubscriptionItem):
    @extend_schema(tags=TAG, responses=SubscriptionSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(tags=TAG, request=None, responses={204: None})
    def delete(self, request: Request, subscriptionId: str) -> HttpResponse:
        return self.remove(request, subscriptionId)
