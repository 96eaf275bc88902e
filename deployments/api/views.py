"""O2dms deployment lifecycle API v1 (O2-REFERENCE.md §7), per deployment manager, and netweave's documented
lifecycle extensions (scale, rollback, suspend, resume, status, history, logs, operations). Views are thin:
they validate the body, bind the change context and call deployments.packages / deployments.lifecycle."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.views import APIView

from deployments import lifecycle, packages, specs
from deployments.api import serializers as docs
from deployments.api.parsers import ChartArchiveParser, LegacyGzipParser
from deployments.models import Deployment, DeploymentPackage, LifecycleOperation
from inventory.api.serializers import ProblemDetailsSerializer
from inventory.api.views import COLLECTION_QUERY, ITEM_QUERY
from netweave import context
from netweave.o2.parsers import BoundedJSONParser
from netweave.o2.problems import BadRequest, O2Problem
from netweave.o2.views import (
    O2CollectionView,
    O2ItemView,
    first_row,
    json_response,
    path_uuid,
    reject_unknown_parameters,
)
from netweave.security.principals import actor_of
from plugins.sdk.dms import LogOptions

TAG = ["O2dms deployment lifecycle"]
EXT_TAG = ["netweave O2dms lifecycle extensions"]
PREFIX = "/o2dms/v1"
LIFECYCLE = "O2dms_DeploymentLifecycle"
MAX_LOG_LINES = 10000
MAX_SINCE_SECONDS = 366 * 86400
# GETs that ask the backend (not the database) can also meet a backend without the capability, or down.
BACKEND_READ_ERRORS: dict[Any, Any] = {
    (501, "application/problem+json"): ProblemDetailsSerializer,
    (503, "application/problem+json"): ProblemDetailsSerializer,
}


def lifecycle_url(manager_id: Any, *parts: Any) -> str:
    return "/".join([PREFIX, str(manager_id), LIFECYCLE, *map(str, parts)])


def _validated(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _api_context(request: Request) -> Any:
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and getattr(user, "is_authenticated", False) else None
    actor = actor_of(user, getattr(request, "auth", None))
    return context.bind(source="api", user_id=user_id, actor=actor, request_id=getattr(request, "request_id", ""))


def _accepted(operation: LifecycleOperation) -> HttpResponse:
    """202: the operation runs in the background; Location is the operation resource the SMO polls."""
    url = lifecycle_url(operation.deployment_manager_id, "operations", operation.id)
    return json_response(lifecycle.operation_state(operation.id), status=202, headers={"Location": url})


def _package(manager_id: str, ident: str) -> DeploymentPackage:
    manager = packages.deployment_manager(manager_id)
    package = packages.find_package(manager, ident)
    if package is None:
        raise O2Problem(404, f"No NfDeploymentDescriptor with id '{ident}'.")
    return package


def _deployment(manager_id: str, ident: str) -> Deployment:
    deployment = (
        _scoped(Deployment, manager_id)
        .select_related("package", "plugin_instance")
        .filter(id=path_uuid(ident, "NfDeployment"))
        .first()
    )
    if deployment is None:
        raise O2Problem(404, f"No NfDeployment with id '{ident}'.")
    return deployment


def _scoped(model: type[Model], manager_id: str) -> QuerySet[Any]:
    """The objects of one deployment manager (404 for an unknown manager)."""
    manager = packages.deployment_manager(manager_id)
    return model._default_manager.filter(deployment_manager_id=manager.id)


class ManagerCollection(O2CollectionView):
    """A collection below /o2dms/v1/{deploymentManagerId}/...: the `model` rows of that deployment manager."""

    model: ClassVar[type[Model]]

    def get_queryset(self, **kwargs: Any) -> QuerySet[Any]:
        return _scoped(self.model, kwargs["deploymentManagerId"])


class ManagerItem(O2ItemView):
    """One object below /o2dms/v1/{deploymentManagerId}/..., named by the URL parameter `id_kwarg`."""

    model: ClassVar[type[Model]]
    id_kwarg: ClassVar[str]

    def get_row(self, **kwargs: Any) -> dict[str, Any]:
        ident = kwargs[self.id_kwarg]
        queryset = _scoped(self.model, kwargs["deploymentManagerId"]).filter(id=path_uuid(ident, self.what))
        return first_row(queryset, self.spec, self.what, ident)


# ---------------------------------------------------------------------------------------------- descriptors


class DescriptorList(ManagerCollection):
    spec = specs.NF_DEPLOYMENT_DESCRIPTOR
    model = DeploymentPackage
    parser_classes = [BoundedJSONParser, MultiPartParser, ChartArchiveParser, LegacyGzipParser]

    @extend_schema(tags=TAG, responses=docs.NfDeploymentDescriptorSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(
        tags=TAG,
        request={
            "application/gzip": OpenApiTypes.BINARY,
            "multipart/form-data": docs.DescriptorUploadFormSerializer,
            "application/json": docs.DescriptorReferenceSerializer,
        },
        responses={201: docs.NfDeploymentDescriptorSerializer},
        description="Upload a chart archive (application/gzip body, or multipart field `chart`), or register "
        "a chart from a chart repository (JSON). The DMS plugin instance is chosen by the routing rules.",
    )
    def post(self, request: Request, deploymentManagerId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        manager = packages.deployment_manager(deploymentManagerId)
        submission = _submission(request)
        with _api_context(request):
            created = packages.create_package(manager, submission)
        return json_response(
            created,
            status=201,
            headers={"Location": lifecycle_url(manager.id, "NfDeploymentDescriptor", created["id"])},
        )


def _submission(request: Request) -> packages.PackageSubmission:
    data = request.data
    if isinstance(data, bytes):
        return packages.PackageSubmission(content=data)
    if request.content_type.startswith("multipart/"):
        form = _validated(docs.DescriptorUploadFormSerializer, data)
        upload = form["chart"]
        limit = settings.NETWEAVE_DMS_MAX_PACKAGE_BYTES
        if upload.size > limit:
            raise BadRequest(f"The chart archive is {upload.size} bytes; the limit is {limit} bytes.", field="chart")
        return packages.PackageSubmission(
            package_type=form["packageType"],
            content=upload.read(),
            name=form["name"],
            description=form["description"],
        )
    reference = _validated(docs.DescriptorReferenceSerializer, data)
    return packages.PackageSubmission(
        package_type=reference["packageType"],
        repository_url=reference["artifactRepoUrl"],
        chart_name=reference["artifactName"],
        chart_version=reference["version"],
        name=reference["name"],
        description=reference["description"],
        labels=reference["labels"],
        git_ops=reference["gitOps"],
    )


class DescriptorDetail(ManagerItem):
    spec = specs.NF_DEPLOYMENT_DESCRIPTOR
    model = DeploymentPackage
    what = "NfDeploymentDescriptor"
    id_kwarg = "descriptorId"

    @extend_schema(tags=TAG, responses=docs.NfDeploymentDescriptorSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(tags=TAG, request=docs.DescriptorUpdateSerializer, responses=docs.NfDeploymentDescriptorSerializer)
    def put(self, request: Request, deploymentManagerId: str, descriptorId: str) -> HttpResponse:
        package = _package(deploymentManagerId, descriptorId)
        data = _validated(docs.DescriptorUpdateSerializer, request.data)
        with _api_context(request):
            return json_response(packages.update_package(package, data))

    @extend_schema(tags=TAG, request=None, responses={204: None})
    def delete(self, request: Request, deploymentManagerId: str, descriptorId: str) -> HttpResponse:
        package = _package(deploymentManagerId, descriptorId)
        with _api_context(request):
            packages.delete_package(package)
        return HttpResponse(status=204)


# ---------------------------------------------------------------------------------------------- deployments


class DeploymentList(ManagerCollection):
    spec = specs.NF_DEPLOYMENT
    model = Deployment

    @extend_schema(tags=TAG, responses=docs.NfDeploymentSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(
        tags=TAG,
        request=docs.NfDeploymentCreateSerializer,
        responses={202: docs.OperationSerializer},
        description="Deploy a descriptor. Answers 202 with the install operation; Location is its URL. The "
        "NfDeployment is listed at once, with its status following the backend.",
    )
    def post(self, request: Request, deploymentManagerId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        manager = packages.deployment_manager(deploymentManagerId)
        data = _validated(docs.NfDeploymentCreateSerializer, request.data)
        with _api_context(request):
            operation = lifecycle.request_install(manager, data)
        return _accepted(operation)


class DeploymentDetail(ManagerItem):
    spec = specs.NF_DEPLOYMENT
    model = Deployment
    what = "NfDeployment"
    id_kwarg = "deploymentId"

    @extend_schema(tags=TAG, responses=docs.NfDeploymentSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)

    @extend_schema(
        tags=TAG,
        request=docs.NfDeploymentUpdateSerializer,
        responses={202: docs.OperationSerializer},
        description="Upgrade: new values (replacing the current ones) and/or another descriptor. 202 with the "
        "upgrade operation.",
    )
    def put(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        deployment = _deployment(deploymentManagerId, deploymentId)
        data = _validated(docs.NfDeploymentUpdateSerializer, request.data)
        with _api_context(request):
            return _accepted(lifecycle.request_upgrade(deployment, data))

    @extend_schema(tags=TAG, request=None, responses={202: docs.OperationSerializer})
    def delete(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        deployment = _deployment(deploymentManagerId, deploymentId)
        with _api_context(request):
            return _accepted(lifecycle.request_delete(deployment))


# ---------------------------------------------------------------------------------------------- extensions


class DeploymentScale(APIView):
    @extend_schema(tags=EXT_TAG, request=docs.ScaleSerializer, responses={202: docs.OperationSerializer})
    def post(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        deployment = _deployment(deploymentManagerId, deploymentId)
        data = _validated(docs.ScaleSerializer, request.data)
        with _api_context(request):
            return _accepted(lifecycle.request_scale(deployment, data["replicas"]))


class DeploymentRollback(APIView):
    @extend_schema(tags=EXT_TAG, request=docs.RollbackSerializer, responses={202: docs.OperationSerializer})
    def post(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        deployment = _deployment(deploymentManagerId, deploymentId)
        data = _validated(docs.RollbackSerializer, request.data)
        with _api_context(request):
            return _accepted(lifecycle.request_rollback(deployment, data["revision"]))


def _suspension_schema(what: str) -> Any:
    return extend_schema(
        tags=EXT_TAG,
        request=None,
        responses={202: docs.OperationSerializer, (501, "application/problem+json"): ProblemDetailsSerializer},
        description=f"{what} 202 with the operation; 501 when the DMS plugin has no such operation.",
    )


class DeploymentSuspend(APIView):
    suspend = True

    @_suspension_schema(
        "Suspend the engine's reconciliation of the deployment (Flux's spec.suspend): what it applied stays as "
        "it is, later changes wait until resumed."
    )
    def post(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        deployment = _deployment(deploymentManagerId, deploymentId)
        with _api_context(request):
            return _accepted(lifecycle.request_suspension(deployment, self.suspend))


@extend_schema_view(
    post=_suspension_schema(
        "Resume a suspended deployment: the engine reconciles it again (the operation succeeds when the "
        "deployment has settled)."
    )
)
class DeploymentResume(DeploymentSuspend):
    suspend = False


class DeploymentStatusView(APIView):
    @extend_schema(
        tags=EXT_TAG,
        responses={200: docs.StatusSerializer, **BACKEND_READ_ERRORS},
        description="The backend's status, asked now.",
    )
    def get(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        deployment = _deployment(deploymentManagerId, deploymentId)
        with _api_context(request):
            status = lifecycle.live_status(deployment)
        return json_response(
            {
                "status": status.status,
                "message": status.message,
                "revision": status.revision,
                "details": {k: str(v) for k, v in status.details.items()},
            }
        )


class DeploymentHistory(APIView):
    @extend_schema(
        tags=EXT_TAG,
        responses={200: docs.RevisionSerializer(many=True), **BACKEND_READ_ERRORS},
        description="Revisions, oldest first.",
    )
    def get(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        reject_unknown_parameters(request.query_params.keys(), ())
        deployment = _deployment(deploymentManagerId, deploymentId)
        revisions = lifecycle.history(deployment)
        return json_response(revisions)


def _bounded_int(params: Any, name: str, maximum: int, *, default: int | None, minimum: int = 1) -> int | None:
    """An integer query parameter from `minimum` to `maximum` (400 naming it otherwise)."""
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not minimum <= int(raw) <= maximum:
        raise BadRequest(f"{name} must be an integer from {minimum} to {maximum}.", parameter=name)
    return int(raw)


class DeploymentLogs(APIView):
    @extend_schema(
        tags=EXT_TAG,
        parameters=[
            OpenApiParameter(
                "tailLines",
                int,
                description=f"Last lines to return per container (0..{MAX_LOG_LINES}, default 100; 0: none, the "
                "answer is 204). Out of range or not an integer: 400 naming the parameter.",
            ),
            OpenApiParameter("container", str, description="Container name, where the backend has several"),
            OpenApiParameter(
                "sinceSeconds",
                int,
                description=f"Only lines written in the last N seconds (1..{MAX_SINCE_SECONDS}; otherwise 400)",
            ),
        ],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The deployment's logs"),
            204: OpenApiResponse(
                description="No log line matches (none written in the sinceSeconds window), or tailLines=0"
            ),
            **BACKEND_READ_ERRORS,
        },
    )
    def get(self, request: Request, deploymentManagerId: str, deploymentId: str) -> HttpResponse:
        params = request.query_params
        reject_unknown_parameters(params.keys(), ("tailLines", "container", "sinceSeconds"))
        tail = _bounded_int(params, "tailLines", MAX_LOG_LINES, default=100, minimum=0)
        since = _bounded_int(params, "sinceSeconds", MAX_SINCE_SECONDS, default=None)
        deployment = _deployment(deploymentManagerId, deploymentId)
        if tail == 0:
            return HttpResponse(status=204)  # no lines asked for: nothing to fetch from the backend
        options = LogOptions(tail_lines=tail or 100, container=params.get("container", ""), since_seconds=since)
        logs = lifecycle.logs(deployment, options)
        if not logs:
            return HttpResponse(status=204)
        return HttpResponse(logs, content_type="text/plain; charset=utf-8")


class OperationList(ManagerCollection):
    spec = specs.NF_DEPLOYMENT_OPERATION
    model = LifecycleOperation

    @extend_schema(tags=EXT_TAG, responses=docs.OperationSerializer(many=True), parameters=COLLECTION_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)


class OperationDetail(ManagerItem):
    spec = specs.NF_DEPLOYMENT_OPERATION
    model = LifecycleOperation
    what = "operation"
    id_kwarg = "operationId"

    @extend_schema(tags=EXT_TAG, responses=docs.OperationSerializer, parameters=ITEM_QUERY)
    def get(self, request: Request, **kwargs: Any) -> HttpResponse:
        return super().get(request, **kwargs)
