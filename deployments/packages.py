"""Deployment packages (NfDeploymentDescriptor): accept a chart, let the routed DMS plugin store it, record it.

A package arrives either as an archive (a chart, or a kustomization when its packageType is `kustomize`;
validated here first: size limit, a real chart or kustomization, nothing that could escape a folder when
unpacked), as a Crossplane claim template (packageType `crossplane-claim`: one bounded YAML document), or as
a reference to a chart in a chart repository (the plugin checks that the repository really serves it). The
DMS plugin instance is chosen by the routing rules, by package type, labels and the deployment manager
(docs/decisions/0005-dms-routing.md); it keeps the package, and netweave keeps the O2 record, with its
change-log entry, in one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from deployments.changes import o2_state, tracked
from deployments.models import DeploymentPackage
from inventory.models import DeploymentManager
from netweave.o2.problems import O2Problem
from netweave.o2.spec import parse_uuid
from plugins.dms.charts import check_chart_name, check_chart_version, inspect_chart
from plugins.dms.crossplane.template import PACKAGE_TYPE as CLAIM_TEMPLATE_PACKAGE_TYPE
from plugins.dms.crossplane.template import inspect_claim_template
from plugins.dms.kustomize.archive import inspect_kustomization
from plugins.dms.kustomize.mapping import PACKAGE_TYPE as KUSTOMIZE_PACKAGE_TYPE
from plugins.models import PluginInstance
from plugins.sdk import dms as sdk
from plugins.sdk.base import PluginCategory
from plugins.sdk.errors import Conflict, NotFound, PluginError

DEFAULT_PACKAGE_TYPE = "helm-chart"


def deployment_manager(ident: str) -> DeploymentManager:
    """The O2ims deployment manager named in the path; 404 when there is none with that id."""
    parsed = parse_uuid(ident)
    manager = DeploymentManager.objects.filter(id=parsed).first() if parsed is not None else None
    if manager is None:
        raise O2Problem(404, f"No deployment manager with id '{ident}'.")
    return manager


def dms_plugin(instance: PluginInstance | None) -> sdk.DMSPlugin:
    """The DMS plugin serving `instance`: a DMS instance's own, or an SMO instance's DMS backend (an SMO routing
    rule with `mode: dms-backend` routed the package to it)."""
    from plugins.registry import get_plugin
    from plugins.sdk.smo import SMOPlugin

    if instance is None:
        raise O2Problem(409, "The DMS plugin instance serving this object was removed from the configuration.")
    plugin = get_plugin(instance)
    if isinstance(plugin, SMOPlugin):
        plugin = plugin.dms_backend()
    if not isinstance(plugin, sdk.DMSPlugin):
        raise O2Problem(409, f"Plugin instance '{instance.name}' is not a DMS plugin.")
    return plugin


def route_package(
    manager: DeploymentManager, package_type: str, labels: Mapping[str, str], *, git_ops: bool = False
) -> PluginInstance:
    """The DMS instance for a new package: routing rules by package type, labels, the deployment manager and
    the caller's `gitOps` flag (the seed's `conditions: {gitOps: true}`)."""
    from plugins.routing import route

    return route(
        PluginCategory.DMS,
        match_type=package_type,
        labels=labels,
        attributes={"deploymentManager": manager.name, "deploymentManagerId": str(manager.id), "gitOps": git_ops},
    ).instance


@dataclass(frozen=True)
class PackageSubmission:
    """What the caller sent: an archive (`content`) or a repository reference (`repository_url` + chart)."""

    package_type: str = DEFAULT_PACKAGE_TYPE
    content: bytes = b""
    repository_url: str = ""
    chart_name: str = ""
    chart_version: str = ""
    name: str = ""
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    git_ops: bool = False


def _upload(submission: PackageSubmission) -> sdk.DeploymentPackageUpload:
    if submission.content and submission.package_type == CLAIM_TEMPLATE_PACKAGE_TYPE:
        template = inspect_claim_template(
            submission.content, max_bytes=min(settings.NETWEAVE_DMS_MAX_PACKAGE_BYTES, 4 * 1024 * 1024)
        )
        return sdk.DeploymentPackageUpload(
            name=template.name,
            version=template.version,
            package_type=submission.package_type,
            content=submission.content,
        )
    if submission.content and submission.package_type == KUSTOMIZE_PACKAGE_TYPE:
        overlay = inspect_kustomization(
            submission.content, max_bytes=settings.NETWEAVE_DMS_MAX_PACKAGE_BYTES, field_name="chart"
        )
        return sdk.DeploymentPackageUpload(
            name=overlay.name,
            version=overlay.version,
            package_type=submission.package_type,
            content=submission.content,
        )
    if submission.content:
        chart = inspect_chart(submission.content, max_bytes=settings.NETWEAVE_DMS_MAX_PACKAGE_BYTES)
        return sdk.DeploymentPackageUpload(
            name=chart.name,
            version=chart.version,
            package_type=submission.package_type,
            content=submission.content,
        )
    if submission.package_type == DEFAULT_PACKAGE_TYPE:
        # The name and version reach helm's command line and file names: Helm's rules first (a name such as
        # `--kubeconfig=...` or `../x` never gets that far).
        check_chart_name(submission.chart_name, "artifactName")
        if submission.chart_version:
            check_chart_version(submission.chart_version, "version")
    return sdk.DeploymentPackageUpload(
        name=submission.chart_name,
        version=submission.chart_version,
        package_type=submission.package_type,
        repository_url=submission.repository_url,
    )


def create_package(manager: DeploymentManager, submission: PackageSubmission) -> dict[str, Any]:
    instance = route_package(manager, submission.package_type, submission.labels, git_ops=submission.git_ops)
    plugin = dms_plugin(instance)
    upload = _upload(submission)
    stored = plugin.upload_deployment_package(upload)
    if DeploymentPackage.objects.filter(
        deployment_manager_id=manager.id, plugin_instance=instance, native_id=stored.native_id
    ).exists():
        raise Conflict(f"Package {stored.name} {stored.version} already exists on this deployment manager.")
    package = DeploymentPackage(
        id=uuid.uuid4(),
        deployment_manager_id=manager.id,
        plugin_instance=instance,
        native_id=stored.native_id,
        name=submission.name or stored.name,
        version=stored.version,
        description=submission.description or stored.description,
        package_type=stored.package_type,
        input_params=dict(stored.input_params),
        output_params=dict(stored.output_params),
        artifact_repo_url=stored.artifact_repo_url,
        artifact_name=stored.artifact_name,
        size=len(upload.content),
        sha256=hashlib.sha256(upload.content).hexdigest() if upload.content else "",
        extensions={
            "netweave.packageType": stored.package_type,
            "netweave.chartName": stored.name,
            "netweave.version": stored.version,
            "netweave.pluginInstance": instance.name,
            "netweave.nativeId": stored.native_id,
            "netweave.deploymentManagerId": str(manager.id),
            **dict(stored.extensions),
        },
    )
    _record_or_remove(package, plugin, stored.native_id)
    state = o2_state(DeploymentPackage, package.id)
    assert state is not None
    return state


def _record_or_remove(package: DeploymentPackage, plugin: sdk.DMSPlugin, native_id: str) -> None:
    """Record the package the plugin just stored, or take it back from the plugin when the record does not
    commit (a value the database refuses, a lost connection...): a stored package without its record would
    answer every later upload of the same chart with 409, and nothing would ever remove it."""
    try:
        with transaction.atomic(), tracked(DeploymentPackage, package.id, plugin_instance=package.plugin_instance):
            package.save()
    except BaseException:
        _remove_quietly(plugin, native_id)
        raise


def _remove_quietly(plugin: sdk.DMSPlugin, native_id: str) -> None:
    with contextlib.suppress(PluginError):
        plugin.delete_deployment_package(native_id)


def update_package(package: DeploymentPackage, data: Mapping[str, Any]) -> dict[str, Any]:
    """PUT: the descriptive fields only; the chart itself is immutable (upload a new version instead)."""
    with transaction.atomic(), tracked(DeploymentPackage, package.id, plugin_instance=package.plugin_instance):
        for attribute, key in (
            ("name", "name"),
            ("description", "description"),
            ("input_params", "inputParams"),
            ("output_params", "outputParams"),
        ):
            if key in data:
                setattr(package, attribute, data[key])
        package.save()
    state = o2_state(DeploymentPackage, package.id)
    assert state is not None
    return state


def delete_package(package: DeploymentPackage) -> None:
    users = list(package.deployments.values_list("name", flat=True)[:5])
    if users:
        raise O2Problem(409, f"Package '{package.id}' is used by deployments: {', '.join(users)}.")
    plugin = dms_plugin(package.plugin_instance)
    with contextlib.suppress(NotFound):  # already gone from the backend: only the record is left to remove
        plugin.delete_deployment_package(package.native_id)
    with transaction.atomic(), tracked(DeploymentPackage, package.id, plugin_instance=package.plugin_instance):
        package.delete()


def find_package(manager: DeploymentManager, ident: Any) -> DeploymentPackage | None:
    parsed = parse_uuid(str(ident))
    if parsed is None:
        return None
    return (
        DeploymentPackage.objects.select_related("plugin_instance")
        .filter(id=parsed, deployment_manager_id=manager.id)
        .first()
    )
