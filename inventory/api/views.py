"""O2ims infrastructure inventory API v1 (O2-REFERENCE.md §1-2): read-only views over the synced database."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from inventory import specs
from inventory.api import serializers as docs
from inventory.models import (
    AlarmDictionary,
    DeploymentManager,
    Location,
    OCloudSite,
    Resource,
    ResourcePool,
    ResourceType,
)
from inventory.ocloud import ensure_ocloud
from netweave.o2.problems import O2Problem
from netweave.o2.selectors import parse_selection
from netweave.o2.urls import public_base
from netweave.o2.views import (
    SELECTOR_PARAMETERS,
    O2CollectionView,
    O2ItemView,
    first_row,
    json_response,
    path_uuid,
    reject_unknown_parameters,
)

PREFIX = "/o2ims-infrastructureInventory"
API_VERSIONS = {"uriPrefix": f"{PREFIX}/v1", "apiVersions": [{"version": "1.0.0"}]}
TAG = ["O2ims inventory"]

_PRECEDENCE = (
    " Selectors may be combined: all_fields > fields > exclude_fields > exclude_default, the highest one present"
    " decides and the others are ignored (their attribute names are still checked: an unknown one is 400)."
)
COLLECTION_QUERY = [
    OpenApiParameter("filter", str, description="SOL013 filter, e.g. (eq,name,edge-1);(neq,location,lab)"),
    OpenApiParameter(
        "fields", str, description="Attributes to include in addition to the default set (a,b/c)." + _PRECEDENCE
    ),
    OpenApiParameter("exclude_fields", str, description="Attributes to leave out of the full set." + _PRECEDENCE),
    OpenApiParameter("all_fields", str, description="Flag: return every attribute." + _PRECEDENCE, allow_blank=True),
    OpenApiParameter(
        "exclude_default",
        str,
        description="Flag: leave out the default-excluded attributes (also what no selector means)." + _PRECEDENCE,
        allow_blank=True,
    ),
    OpenApiParameter("nextpage_opaque_marker", str, description="From the previous page's Link rel=next"),
]
ITEM_QUERY = [p for p in COLLECTION_QUERY if p.name in SELECTOR_PARAMETERS]


class ApiVersionsView(APIView):
    @extend_schema(tags=TAG, responses=docs.APIVersionsSerializer, operation_id="inventory_api_versions")
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        return json_response(API_VERSIONS)


class VersionedApiVersionsView(ApiVersionsView):
    @extend_schema(tags=TAG, responses=docs.APIVersionsSerializer, operation_id="inventory_v1_api_versions")
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class OCloudView(APIView):
    @extend_schema(tags=TAG, responses=docs.OCloudSerializer, parameters=ITEM_QUERY, operation_id="get_ocloud")
    def get(self, request: Request) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), SELECTOR_PARAMETERS)
        selection = parse_selection(request.query_params, specs.OCLOUD)
        o2 = specs.OCLOUD.render(ensure_ocloud())
        # The address this caller reached us at, unless a public URL is configured (netweave.o2.urls).
        o2["serviceUri"] = public_base(request)
        return json_response(selection.apply(o2))


class OCloudSlashView(OCloudView):
    @extend_schema(
        tags=TAG, responses=docs.OCloudSerializer, parameters=ITEM_QUERY, operation_id="get_ocloud_trailing_slash"
    )
    def get(self, request: Request) -> HttpResponse:
        return super().get(request)


class ResourceTypeList(O2CollectionView):
    spec = specs.RESOURCE_TYPE

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return ResourceType.objects.all()

    @extend_schema(tags=TAG, responses=docs.ResourceTypeSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class ResourceTypeDetail(O2ItemView):
    spec = specs.RESOURCE_TYPE
    what = "resource type"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["resourceTypeId"]
        qs = ResourceType.objects.filter(id=path_uuid(ident, self.what))
        return first_row(qs, self.spec, self.what, ident)

    @extend_schema(tags=TAG, responses=docs.ResourceTypeSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class ResourcePoolList(O2CollectionView):
    spec = specs.RESOURCE_POOL

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return ResourcePool.objects.all()

    @extend_schema(tags=TAG, responses=docs.ResourcePoolSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class ResourcePoolDetail(O2ItemView):
    spec = specs.RESOURCE_POOL
    what = "resource pool"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["resourcePoolId"]
        qs = ResourcePool.objects.filter(id=path_uuid(ident, self.what))
        return first_row(qs, self.spec, self.what, ident)

    @extend_schema(tags=TAG, responses=docs.ResourcePoolSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


def _existing_pool(ident: str) -> Any:
    pool_id = path_uuid(ident, "resource pool")
    if not ResourcePool.objects.filter(id=pool_id).exists():
        raise O2Problem(404, f"No resource pool with id '{ident}'.")
    return pool_id


class ResourceList(O2CollectionView):
    spec = specs.RESOURCE

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        # The pool's existence is checked only when the page is empty (check_empty): a non-empty page proves it.
        return Resource.objects.filter(resource_pool_id=path_uuid(kwargs["resourcePoolId"], "resource pool"))

    def check_empty(self, **kwargs: Any) -> None:
        _existing_pool(kwargs["resourcePoolId"])

    @extend_schema(tags=TAG, responses=docs.ResourceSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class ResourceDetail(O2ItemView):
    spec = specs.RESOURCE
    what = "resource"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        pool_id = _existing_pool(kwargs["resourcePoolId"])
        ident = kwargs["resourceId"]
        qs = Resource.objects.filter(id=path_uuid(ident, self.what), resource_pool_id=pool_id)
        return first_row(qs, self.spec, self.what, ident)

    def decorate(self, o2: dict[str, Any], row: dict[str, Any], request: Request) -> dict[str, Any]:
        children = Resource.objects.filter(parent_id=row["id"]).order_by("id").values(*self.spec.columns)
        default = parse_selection({}, self.spec)
        o2["elements"] = [default.apply(self.spec.render(child)) for child in children]
        return o2

    @extend_schema(tags=TAG, responses=docs.ResourceSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class DeploymentManagerList(O2CollectionView):
    spec = specs.DEPLOYMENT_MANAGER

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return DeploymentManager.objects.all()

    @extend_schema(tags=TAG, responses=docs.DeploymentManagerSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


def deployment_manager_profile(dm_id: Any, profile: str) -> dict[str, Any]:
    """The profile data the deployment manager's plugin offers; an unsupported profile is 404 (O2-REFERENCE §2)."""
    from plugins.registry import get_plugin
    from plugins.sdk.errors import NotSupported
    from plugins.sdk.ims import IMSPlugin

    dm = DeploymentManager.objects.select_related("plugin_instance").get(id=dm_id)
    plugin = get_plugin(dm.plugin_instance)
    try:
        if not isinstance(plugin, IMSPlugin):
            raise NotSupported("not an IMS plugin")
        return dict(plugin.deployment_manager_profile(dm.native_id, profile))
    except NotSupported:
        raise O2Problem(
            404,
            f"Profile '{profile}' is not supported by deployment manager '{dm_id}'.",
            attributes={"parameter": "profile"},
        ) from None


class DeploymentManagerDetail(O2ItemView):
    spec = specs.DEPLOYMENT_MANAGER
    what = "deployment manager"
    extra_parameters = frozenset({"profile"})

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["deploymentManagerId"]
        qs = DeploymentManager.objects.filter(id=path_uuid(ident, self.what))
        return first_row(qs, self.spec, self.what, ident)

    def decorate(self, o2: dict[str, Any], row: dict[str, Any], request: Request) -> dict[str, Any]:
        profile = request.query_params.get("profile")
        if profile is not None:
            # Who may read profile data (a credential) is decided before the view runs, by the authorization
            # policy's rule for this route with `profile` (netweave/security/policy.py). Never log the result.
            o2["extensions"] = {
                **(o2.get("extensions") or {}),
                "profileName": profile,
                "profileData": deployment_manager_profile(row["id"], profile),
            }
        return o2

    @extend_schema(
        tags=TAG,
        # ?profile asks the plugin (a kubernetes plugin requests a ServiceAccount token), which may fail.
        responses={
            200: docs.DeploymentManagerSerializer,
            (502, "application/problem+json"): docs.ProblemDetailsSerializer,
            (503, "application/problem+json"): docs.ProblemDetailsSerializer,
        },
        parameters=[*ITEM_QUERY, OpenApiParameter("profile", str, description="native_k8sapi, sol018, ...")],
    )
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        if request.query_params.get("profile") is None:
            return super().get(request, **kwargs)
        # A profile answer carries extensions.profileData whatever the attribute selectors leave out.
        reject_unknown_parameters(request.query_params.keys(), SELECTOR_PARAMETERS | self.extra_parameters)
        selection = parse_selection(request.query_params, self.spec)
        row = self.get_row(**kwargs)
        return json_response(self.decorate(selection.apply(self.spec.render(row)), row, request))


# --- R005 additions (O2-REFERENCE.md §1): locations, O-Cloud sites, alarm dictionaries ---------------------------


def _sites_by_location(location_ids: Iterable[str]) -> dict[str, list[str]]:
    """The O-Cloud site ids at each of the given globalLocationIds (one query)."""
    found: dict[str, list[str]] = {}
    rows = OCloudSite.objects.filter(global_location_id__in=list(location_ids)).order_by("id")
    for location_id, site_id in rows.values_list("global_location_id", "id"):
        found.setdefault(location_id, []).append(str(site_id))
    return found


def _pools_by_site(site_ids: Iterable[Any]) -> dict[str, list[str]]:
    """The resource pool ids at each of the given O-Cloud sites (one query)."""
    found: dict[str, list[str]] = {}
    rows = ResourcePool.objects.filter(o_cloud_site_id__in=list(site_ids)).order_by("id")
    for site_id, pool_id in rows.values_list("o_cloud_site_id", "id"):
        found.setdefault(str(site_id), []).append(str(pool_id))
    return found


class LocationList(O2CollectionView):
    spec = specs.LOCATION

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return Location.objects.all()

    def decorate_page(self, body: list[dict[str, Any]], wanted: frozenset[str]) -> None:
        if "oCloudSiteIds" in wanted:
            sites = _sites_by_location(o2["globalLocationId"] for o2 in body)
            for o2 in body:
                o2["oCloudSiteIds"] = sites.get(o2["globalLocationId"], [])

    @extend_schema(tags=TAG, responses=docs.LocationSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class LocationDetail(O2ItemView):
    spec = specs.LOCATION
    what = "location"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["globalLocationId"]
        # The same place reported by two plugin instances: the first by id is served (docs/decisions/0007).
        qs = Location.objects.filter(global_location_id=ident).order_by("id")
        return first_row(qs, self.spec, self.what, ident)

    def decorate(self, o2: dict[str, Any], row: dict[str, Any], request: Request) -> dict[str, Any]:
        o2["oCloudSiteIds"] = _sites_by_location([row["global_location_id"]]).get(row["global_location_id"], [])
        return o2

    @extend_schema(tags=TAG, responses=docs.LocationSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class OCloudSiteList(O2CollectionView):
    spec = specs.O_CLOUD_SITE

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return OCloudSite.objects.all()

    def decorate_page(self, body: list[dict[str, Any]], wanted: frozenset[str]) -> None:
        if "resourcePools" in wanted:
            pools = _pools_by_site(o2["oCloudSiteId"] for o2 in body)
            for o2 in body:
                o2["resourcePools"] = pools.get(str(o2["oCloudSiteId"]), [])  # a page may carry UUID objects

    @extend_schema(tags=TAG, responses=docs.OCloudSiteSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class OCloudSiteDetail(O2ItemView):
    spec = specs.O_CLOUD_SITE
    what = "O-Cloud site"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["oCloudSiteId"]
        qs = OCloudSite.objects.filter(id=path_uuid(ident, self.what))
        return first_row(qs, self.spec, self.what, ident)

    def decorate(self, o2: dict[str, Any], row: dict[str, Any], request: Request) -> dict[str, Any]:
        o2["resourcePools"] = _pools_by_site([row["id"]]).get(str(row["id"]), [])
        return o2

    @extend_schema(tags=TAG, responses=docs.OCloudSiteSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class AlarmDictionaryList(O2CollectionView):
    spec = specs.ALARM_DICTIONARY

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return AlarmDictionary.objects.all()

    @extend_schema(tags=TAG, responses=docs.AlarmDictionarySerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class AlarmDictionaryDetail(O2ItemView):
    spec = specs.ALARM_DICTIONARY
    what = "alarm dictionary"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["alarmDictionaryId"]
        qs = AlarmDictionary.objects.filter(id=path_uuid(ident, self.what))
        return first_row(qs, self.spec, self.what, ident)

    @extend_schema(tags=TAG, responses=docs.AlarmDictionarySerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class ResourceTypeAlarmDictionary(O2ItemView):
    """The alarm dictionary of one resource type; 404 when the type is unknown or has none."""

    spec = specs.ALARM_DICTIONARY
    what = "alarm dictionary"

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs["resourceTypeId"]
        type_id = path_uuid(ident, "resource type")
        row = AlarmDictionary.objects.filter(resource_type_id=type_id).values(*self.spec.columns).first()
        if row is None:
            if not ResourceType.objects.filter(id=type_id).exists():
                raise O2Problem(404, f"No resource type with id '{ident}'.")
            raise O2Problem(404, f"Resource type '{ident}' has no alarm dictionary.")
        return dict(row)

    @extend_schema(tags=TAG, responses=docs.AlarmDictionarySerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)
