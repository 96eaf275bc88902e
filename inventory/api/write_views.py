"""netweave's IMS write extension: create, update and delete pools and resources through the plugins.

Served under /netweave-ims-ext/v1, never mixed into the standard O2ims paths (which are read-only).
Responses carry the O2 representation of the object, and Location points at its standard O2ims URL.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from inventory import writes
from inventory.api import serializers as docs
from netweave import context
from netweave.o2.views import json_response, path_uuid
from netweave.security.principals import actor_of

TAG = ["netweave IMS write extension"]
O2_POOLS = "/o2ims-infrastructureInventory/v1/resourcePools"


def _validated(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _api_context(request: Request) -> Any:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    actor = actor_of(user, getattr(request, "auth", None))
    return context.bind(source="api", user_id=user_id, actor=actor, request_id=getattr(request, "request_id", ""))


class PoolCreate(APIView):
    @extend_schema(tags=TAG, request=docs.PoolCreateSerializer, responses={201: docs.ResourcePoolSerializer})
    def post(self, request: Request) -> HttpResponse:
        data = _validated(docs.PoolCreateSerializer, request)
        with _api_context(request):
            pool = writes.create_pool(data)
        return json_response(pool, status=201, headers={"Location": f"{O2_POOLS}/{pool['resourcePoolId']}"})


class PoolItem(APIView):
    @extend_schema(tags=TAG, request=docs.PoolUpdateSerializer, responses=docs.ResourcePoolSerializer)
    def patch(self, request: Request, resourcePoolId: str) -> HttpResponse:
        data = _validated(docs.PoolUpdateSerializer, request)
        with _api_context(request):
            pool = writes.update_pool(path_uuid(resourcePoolId, "resource pool"), data)
        return json_response(pool)

    @extend_schema(tags=TAG, request=None, responses={204: None})
    def delete(self, request: Request, resourcePoolId: str) -> HttpResponse:
        with _api_context(request):
            writes.delete_pool(path_uuid(resourcePoolId, "resource pool"))
        return HttpResponse(status=204)


class ResourceCreate(APIView):
    @extend_schema(tags=TAG, request=docs.ResourceCreateSerializer, responses={201: docs.ResourceSerializer})
    def post(self, request: Request, resourcePoolId: str) -> HttpResponse:
        data = _validated(docs.ResourceCreateSerializer, request)
        with _api_context(request):
            resource = writes.create_resource(path_uuid(resourcePoolId, "resource pool"), data)
        location = f"{O2_POOLS}/{resource['resourcePoolId']}/resources/{resource['resourceId']}"
        return json_response(resource, status=201, headers={"Location": location})


class ResourceItem(APIView):
    @extend_schema(tags=TAG, request=None, responses={204: None})
    def delete(self, request: Request, resourcePoolId: str, resourceId: str) -> HttpResponse:
        with _api_context(request):
            writes.delete_resource(path_uuid(resourcePoolId, "resource pool"), path_uuid(resourceId, "resource"))
        return HttpResponse(status=204)
