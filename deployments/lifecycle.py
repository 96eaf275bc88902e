"""Deployment lifecycle: accept a request, run it as a Celery task, follow the backend until it settles.

A request (install, upgrade, scale, rollback, delete, suspend, resume) is checked synchronously against
netweave's records and the plugin's `check_*` hooks, so bad input is a 4xx before anything changes. It then becomes a
LifecycleOperation row (QUEUED) committed with its change-log entries; the task is queued after commit and
the API answers 202 with the operation's URL. The task calls the plugin, then polls the backend until the
deployment leaves its transitional phase, recording every state the backend reports on the NfDeployment
(and in the change log), and finishes the operation SUCCEEDED or FAILED with the error the plugin gave.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deployments.changes import o2_state, save_tracked, tracked
from deployments.models import (
    NETWEAVE_PREFIX,
    Deployment,
    DeploymentPackage,
    LifecycleOperation,
    NfDeploymentState,
)
from deployments.packages import dms_plugin, find_package
from deployments.states import state_for_phase
from inventory.models import DeploymentManager
from netweave import context
from netweave.o2.problems import BadRequest, O2Problem
from plugins.sdk import dms as sdk
from plugins.sdk.base import Capability
from plugins.sdk.errors import NotFound, NotSupported, PluginError

logger = logging.getLogger(__name__)

Kind = LifecycleOperation.Kind
State = LifecycleOperation.State

_BUSY_STATE = {
    Kind.INSTALL: NfDeploymentState.INSTALLING,
    Kind.UPGRADE: NfDeploymentState.UPDATING,
    Kind.SCALE: NfDeploymentState.UPDATING,
    Kind.ROLLBACK: NfDeploymentState.UPDATING,
    Kind.DELETE: NfDeploymentState.UNINSTALLING,
}


# ---------------------------------------------------------------------------------------------- requests


def _queue(deployment: Deployment, kind: str, params: Mapping[str, Any]) -> LifecycleOperation:
    """Create the operation row (with its change-log entry) and queue the task after commit."""
    busy = LifecycleOperation.objects.filter(
        deployment_id=deployment.id, state__in=(State.QUEUED, State.RUNNING)
    ).first()
    if busy is not None:
        raise O2Problem(
            409, f"Deployment '{deployment.name}' has a {busy.kind} operation in progress ({busy.id}); retry later."
        )
    operation = LifecycleOperation(
        id=uuid.uuid4(),
        deployment_manager_id=deployment.deployment_manager_id,
        deployment_id=deployment.id,
        deployment_name=deployment.name,
        kind=kind,
        params=dict(params),
    )
    with tracked(LifecycleOperation, operation.id, plugin_instance=deployment.plugin_instance):
        operation.save()
    transaction.on_commit(lambda: _enqueue(operation.id))
    return operation


def _enqueue(operation_id: uuid.UUID) -> None:
    """Hand the operation to a worker. A broker outage only delays it: the sweeper (requeue_stalled) retries."""
    from deployments.tasks import run_lifecycle_operation

    try:
        run_lifecycle_operation.delay(str(operation_id))
    except Exception as exc:  # kombu raises several types when the broker is away
        logger.warning("Could not queue operation %s (%s); the operation sweeper will", operation_id, exc)


def requeue_stalled() -> int:
    """Queue again every operation still QUEUED NETWEAVE_DMS_REQUEUE_AFTER seconds after it was accepted: its
    task was lost (broker down at commit, message dropped). Running an operation twice is harmless: the first
    task to start it claims it, a later one finds it started and leaves it alone."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.NETWEAVE_DMS_REQUEUE_AFTER)
    stalled = list(
        LifecycleOperation.objects.filter(state=State.QUEUED, created__lt=cutoff).values_list("id", flat=True)
    )
    for operation_id in stalled:
        logger.info("Operation %s is still queued; queuing it again", operation_id)
        _enqueue(operation_id)
    return len(stalled)


def request_install(manager: DeploymentManager, data: Mapping[str, Any]) -> LifecycleOperation:
    package = find_package(manager, data["descriptorId"])
    if package is None:
        raise BadRequest(
            f"No NfDeploymentDescriptor '{data['descriptorId']}' on deployment manager '{manager.id}'.",
            field="descriptorId",
        )
    if Deployment.objects.filter(deployment_manager_id=manager.id, name=data["name"]).exists():
        raise O2Problem(409, f"A deployment named '{data['name']}' already exists on this deployment manager.")
    plugin = dms_plugin(package.plugin_instance)
    request = sdk.DeploymentRequest(
        name=data["name"],
        package_id=package.native_id,
        namespace=data.get("namespace", ""),
        values=data.get("values", {}),
        labels=data.get("labels", {}),
    )
    plugin.check_deployment(request)
    deployment = Deployment(
        id=uuid.uuid4(),
        deployment_manager_id=manager.id,
        package=package,
        plugin_instance=package.plugin_instance,
        name=request.name,
        description=data.get("description", ""),
        parent_deployment_id=data.get("parentDeploymentId"),
        namespace=request.namespace,
        values=dict(request.values),
        status=NfDeploymentState.INITIAL,
    )
    with transaction.atomic():
        with tracked(Deployment, deployment.id, plugin_instance=package.plugin_instance):
            deployment.save()
        return _queue(deployment, Kind.INSTALL, {"descriptorId": str(package.id), "values": dict(request.values)})


def request_upgrade(deployment: Deployment, data: Mapping[str, Any]) -> LifecycleOperation:
    """PUT: new values (replacing the previous ones) and/or another package; description and parent are
    recorded at once, the rest happens in the backend."""
    if data.get("name", deployment.name) != deployment.name:
        raise BadRequest("A deployment cannot be renamed; create a new one.", field="name")
    package = deployment.package
    if data.get("descriptorId") is not None:
        manager_package = DeploymentPackage.objects.filter(
            id=data["descriptorId"], deployment_manager_id=deployment.deployment_manager_id
        ).first()
        if manager_package is None:
            raise BadRequest(f"No NfDeploymentDescriptor '{data['descriptorId']}' here.", field="descriptorId")
        if manager_package.plugin_instance_id != deployment.plugin_instance_id:
            raise BadRequest("The new descriptor is served by another DMS plugin instance.", field="descriptorId")
        package = manager_package
    values = dict(data["values"]) if "values" in data else dict(deployment.values)
    plugin = dms_plugin(deployment.plugin_instance)
    update = sdk.DeploymentUpdate(values=values, package_id=package.native_id)
    plugin.check_update(_native_id(deployment), update)
    with transaction.atomic():

        def describe() -> None:
            deployment.description = data.get("description", deployment.description)
            deployment.parent_deployment_id = data.get("parentDeploymentId", deployment.parent_deployment_id)

        save_tracked(deployment, plugin_instance=deployment.plugin_instance, mutate=describe)
        return _queue(deployment, Kind.UPGRADE, {"descriptorId": str(package.id), "values": values})


def request_scale(deployment: Deployment, replicas: int) -> LifecycleOperation:
    plugin = dms_plugin(deployment.plugin_instance)
    if Capability.SCALING not in plugin.capabilities():
        raise NotSupported(f"DMS plugin instance '{plugin.instance_name}' cannot scale deployments.")
    _native_id(deployment)
    with transaction.atomic():
        return _queue(deployment, Kind.SCALE, {"replicas": replicas})


def request_rollback(deployment: Deployment, revision: int) -> LifecycleOperation:
    plugin = dms_plugin(deployment.plugin_instance)
    if Capability.ROLLBACK not in plugin.capabilities():
        raise NotSupported(f"DMS plugin instance '{plugin.instance_name}' cannot roll back deployments.")
    known = [entry.revision for entry in plugin.get_deployment_history(_native_id(deployment))]
    if revision not in known:
        raise BadRequest(
            f"Deployment '{deployment.name}' has no revision {revision}; it has {', '.join(map(str, known))}.",
            field="revision",
        )
    with transaction.atomic():
        return _queue(deployment, Kind.ROLLBACK, {"revision": revision})


def request_suspension(deployment: Deployment, suspend: bool) -> LifecycleOperation:
    """Suspend (or resume) the engine's reconciliation of a deployment: netweave's extension, for plugins that
    declare Capability.SUSPEND (docs/decisions/0017-suspend-resume.md)."""
    plugin = dms_plugin(deployment.plugin_instance)
    if Capability.SUSPEND not in plugin.capabilities():
        raise NotSupported(
            f"DMS plugin instance '{plugin.instance_name}' cannot {'suspend' if suspend else 'resume'} deployments."
        )
    _native_id(deployment)
    with transaction.atomic():
        return _queue(deployment, Kind.SUSPEND if suspend else Kind.RESUME, {})


def request_delete(deployment: Deployment) -> LifecycleOperation:
    with transaction.atomic():
        return _queue(deployment, Kind.DELETE, {})


def _native_id(deployment: Deployment) -> str:
    if not deployment.native_id:
        raise O2Problem(409, f"Deployment '{deployment.name}' has not reached its backend yet.")
    return deployment.native_id


# ---------------------------------------------------------------------------------------------- the task


def run_operation(operation_id: uuid.UUID | str, task_id: str = "") -> str:
    """Carry out one queued operation (the Celery task's body, `task_id` its id). Safe to call twice: a finished
    operation is left alone; one found RUNNING is settled without acting twice if `task_id` started it (its
    worker died; the broker redelivered the task), and left alone if another task did (it is running now)."""
    operation = LifecycleOperation.objects.filter(id=operation_id).first()
    if operation is None or operation.done:
        return "skipped"
    deployment = (
        Deployment.objects.select_related("package", "plugin_instance").filter(id=operation.deployment_id).first()
    )
    if deployment is None:
        _finish(operation, None, error=NotFound("The deployment no longer exists."))
        return "failed"
    instance = deployment.plugin_instance
    with context.bind(source="system", plugin_instance_id=instance.pk if instance else None):
        if operation.state == State.RUNNING:
            if operation.task_id and task_id and operation.task_id != task_id:
                return "skipped"
            return _interrupted(deployment, operation)
        with transaction.atomic():
            claimed = LifecycleOperation.objects.select_for_update().filter(id=operation.id, state=State.QUEUED).first()
            if claimed is None:
                return "skipped"  # another task claimed it since it was read
            operation = claimed
            save_tracked(operation, plugin_instance=instance, mutate=lambda: _start(operation, task_id))
            save_tracked(deployment, plugin_instance=instance, mutate=lambda: _busy(deployment, operation.kind))
        try:
            plugin = dms_plugin(instance)
            result = _act(plugin, deployment, operation)
            if operation.kind != Kind.SUSPEND:  # a suspended deployment stays as it is: nothing to wait for
                _follow(plugin, deployment, operation)
        except PluginError as exc:
            _after_failure(deployment, operation)
            _finish(operation, instance, error=exc)
            return "failed"
        except O2Problem as exc:
            _finish(operation, instance, error=PluginError(exc.detail))
            return "failed"
        _finish(operation, instance, result=result)
        return "succeeded"


def _interrupted(deployment: Deployment, operation: LifecycleOperation) -> str:
    """The worker running this operation stopped part-way: whether its action reached the backend is unknown,
    so it is not repeated. The deployment is set to what the backend has now; a delete whose deployment is gone
    is complete; anything else fails, saying so, and the SMO decides whether to retry."""
    instance = deployment.plugin_instance
    try:
        if operation.kind == Kind.DELETE and _uninstall_under_way(dms_plugin(instance), deployment):
            _follow(dms_plugin(instance), deployment, operation)
            _finish(operation, instance, result={"resumed": True})
            return "succeeded"
    except (PluginError, O2Problem):
        pass
    _after_failure(deployment, operation)
    _finish(
        operation,
        instance,
        error=PluginError(
            f"The {operation.kind} was interrupted (its worker stopped) and was not repeated; the deployment shows "
            "what the backend has now. Retry the operation if it is still wanted."
        ),
    )
    return "failed"


def _uninstall_under_way(plugin: sdk.DMSPlugin, deployment: Deployment) -> bool:
    """Whether the backend has already removed the deployment, or is removing it."""
    if not deployment.native_id:
        return True
    try:
        return plugin.get_deployment(deployment.native_id).status == sdk.DeploymentPhase.UNINSTALLING
    except NotFound:
        return True


def _start(operation: LifecycleOperation, task_id: str) -> None:
    operation.state = State.RUNNING
    operation.started = timezone.now()
    operation.task_id = task_id


def _busy(deployment: Deployment, kind: str) -> None:
    """Suspend and resume change no state of the deployment itself: it keeps the one it has."""
    deployment.status = _BUSY_STATE.get(Kind(kind), deployment.status)


def _act(plugin: sdk.DMSPlugin, deployment: Deployment, operation: LifecycleOperation) -> dict[str, Any]:
    params = operation.params
    if operation.kind == Kind.INSTALL:
        created = plugin.create_deployment(
            sdk.DeploymentRequest(
                name=deployment.name,
                package_id=deployment.package.native_id,
                namespace=deployment.namespace,
                values=params.get("values", {}),
            )
        )
        _observe(deployment, created)
        return {"revision": created.revision}
    if operation.kind == Kind.DELETE and not deployment.native_id:
        return {}  # the install never reached the backend: only the record is left
    native_id = _native_id(deployment)
    if operation.kind == Kind.UPGRADE:
        package = DeploymentPackage.objects.get(id=params["descriptorId"])
        updated = plugin.update_deployment(
            native_id, sdk.DeploymentUpdate(values=params.get("values", {}), package_id=package.native_id)
        )
        if package.id != deployment.package_id:
            save_tracked(
                deployment, plugin_instance=deployment.plugin_instance, mutate=lambda: _repackage(deployment, package)
            )
        _observe(deployment, updated)
        return {"revision": updated.revision}
    if operation.kind == Kind.SCALE:
        plugin.scale_deployment(native_id, int(params["replicas"]))
    elif operation.kind == Kind.ROLLBACK:
        plugin.rollback_deployment(native_id, int(params["revision"]))
    elif operation.kind == Kind.SUSPEND:
        plugin.suspend_deployment(native_id)
    elif operation.kind == Kind.RESUME:
        plugin.resume_deployment(native_id)
    elif operation.kind == Kind.DELETE:
        with contextlib.suppress(NotFound):  # already gone from the backend
            plugin.delete_deployment(native_id)
        return {}
    current = plugin.get_deployment(native_id)
    _observe(deployment, current)
    return {"revision": current.revision}


def _repackage(deployment: Deployment, package: DeploymentPackage) -> None:
    deployment.package = package


def _observe(deployment: Deployment, reported: sdk.Deployment) -> None:
    """Record what the backend reports about a deployment (a change-log entry when anything changed)."""

    def apply() -> None:
        deployment.native_id = reported.native_id
        deployment.namespace = reported.namespace or deployment.namespace
        deployment.values = dict(reported.values)
        deployment.revision = reported.revision
        deployment.phase = reported.status
        deployment.status = state_for_phase(reported.status)
        deployment.extensions = backend_extensions(reported)

    with transaction.atomic():
        save_tracked(deployment, plugin_instance=deployment.plugin_instance, mutate=apply)


def backend_extensions(reported: sdk.Deployment) -> dict[str, Any]:
    """The plugin's extensions as the NfDeployment carries them (`<plugin>.<key>`; a reference such as a
    connection secret's name, never secret data, by the plugin contract). netweave's own names are not the
    plugin's to set."""
    return {str(k): v for k, v in reported.extensions.items() if not str(k).startswith(NETWEAVE_PREFIX)}


def _follow(plugin: sdk.DMSPlugin, deployment: Deployment, operation: LifecycleOperation) -> None:
    """Poll the backend until the deployment settles (or, for a delete, disappears)."""
    deadline = time.monotonic() + settings.NETWEAVE_DMS_OPERATION_TIMEOUT
    while True:
        try:
            if not deployment.native_id:
                raise NotFound("never reached the backend")
            current = plugin.get_deployment(deployment.native_id)
        except NotFound:
            if operation.kind == Kind.DELETE:
                with (
                    transaction.atomic(),
                    tracked(Deployment, deployment.id, plugin_instance=deployment.plugin_instance),
                ):
                    deployment.delete()
                return
            raise
        _observe(deployment, current)
        if current.status not in sdk.TRANSITIONAL_PHASES and operation.kind != Kind.DELETE:
            if current.status == sdk.DeploymentPhase.FAILED:
                raise PluginError(f"The backend reports the deployment failed (revision {current.revision}).")
            return
        if time.monotonic() > deadline:
            raise PluginError(
                f"The deployment was still {current.status} after {settings.NETWEAVE_DMS_OPERATION_TIMEOUT} s."
            )
        time.sleep(settings.NETWEAVE_DMS_POLL_SECONDS)


def _after_failure(deployment: Deployment, operation: LifecycleOperation) -> None:
    """Record the deployment as the backend now has it: not installed when nothing reached the backend."""
    if not Deployment.objects.filter(id=deployment.id).exists():
        return
    status = NfDeploymentState.ABNORMAL
    try:
        if deployment.native_id:
            _observe(deployment, dms_plugin(deployment.plugin_instance).get_deployment(deployment.native_id))
            return
        status = NfDeploymentState.NOT_INSTALLED
    except NotFound:
        status = NfDeploymentState.NOT_INSTALLED
    except (PluginError, O2Problem):
        logger.warning("Could not read deployment %s back after a failed %s", deployment.id, operation.kind)

    def apply() -> None:
        deployment.status = status

    with transaction.atomic():
        save_tracked(deployment, plugin_instance=deployment.plugin_instance, mutate=apply)


def _finish(
    operation: LifecycleOperation,
    instance: Any,
    *,
    result: Mapping[str, Any] | None = None,
    error: PluginError | None = None,
) -> None:
    def apply() -> None:
        operation.finished = timezone.now()
        if error is None:
            operation.state = State.SUCCEEDED
            operation.result = dict(result or {})
        else:
            operation.state = State.FAILED
            operation.error = error.detail
            operation.error_status = error.status

    if error is not None:
        logger.warning("DMS operation %s (%s) failed: %s", operation.id, operation.kind, error.detail)
    with transaction.atomic():
        save_tracked(operation, plugin_instance=instance, mutate=apply)


def operation_state(operation_id: uuid.UUID) -> dict[str, Any]:
    state = o2_state(LifecycleOperation, operation_id)
    assert state is not None
    return state


def live_status(deployment: Deployment) -> sdk.DeploymentStatus:
    """Ask the backend now; record what it says on the NfDeployment as well."""
    plugin = dms_plugin(deployment.plugin_instance)
    native_id = _native_id(deployment)
    status = plugin.get_deployment_status(native_id)
    if status.status != deployment.phase or status.revision != deployment.revision:
        _observe(deployment, plugin.get_deployment(native_id))
    return status


def history(deployment: Deployment) -> list[dict[str, Any]]:
    """The backend's revisions of a deployment, oldest first, with packages named by their O2 ids."""
    plugin = dms_plugin(deployment.plugin_instance)
    revisions = plugin.get_deployment_history(_native_id(deployment))
    package_ids = dict(
        DeploymentPackage.objects.filter(
            deployment_manager_id=deployment.deployment_manager_id, plugin_instance=deployment.plugin_instance
        ).values_list("native_id", "id")
    )
    # An attribute without a value is left out, never sent as null (as every O2 object).
    return [
        {
            key: value
            for key, value in {
                "revision": entry.revision,
                "status": entry.status,
                "updated": iso_time(entry.updated),
                "descriptorId": str(package_ids[entry.package_id]) if entry.package_id in package_ids else None,
                "appVersion": entry.app_version,
                "description": entry.description,
            }.items()
            if value is not None
        }
        for entry in revisions
    ]


def logs(deployment: Deployment, options: sdk.LogOptions) -> bytes:
    return dms_plugin(deployment.plugin_instance).get_deployment_logs(_native_id(deployment), options)


def iso_time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


# ---------------------------------------------------------------------------------------------- drift


def refresh_deployments() -> dict[str, int]:
    """Bring every settled deployment in line with its backend (someone may have used helm directly, a release
    may have failed later). Deployments with an operation queued or running are left to that operation; a
    backend that cannot be reached is skipped until the next run. Returns counts for the log."""
    counts = {"checked": 0, "changed": 0, "gone": 0, "unreachable": 0}
    busy = LifecycleOperation.objects.filter(state__in=(State.QUEUED, State.RUNNING)).values("deployment_id")
    candidates = (
        Deployment.objects.select_related("package", "plugin_instance")
        .exclude(native_id="")
        .exclude(id__in=busy)
        .filter(plugin_instance__enabled=True)
        .order_by("plugin_instance_id", "id")
    )
    with context.bind(source="sync"):
        for deployment in candidates:
            counts["checked"] += 1
            before = _recorded(deployment)
            try:
                reported = dms_plugin(deployment.plugin_instance).get_deployment(deployment.native_id)
            except NotFound:
                if deployment.status != NfDeploymentState.NOT_INSTALLED:
                    _mark_gone(deployment)
                    counts["gone"] += 1
                continue
            except (PluginError, O2Problem):
                counts["unreachable"] += 1
                continue
            _observe(deployment, reported)
            if _recorded(deployment) != before:
                counts["changed"] += 1
    return counts


def _recorded(deployment: Deployment) -> tuple[Any, ...]:
    """What drift can change on an NfDeployment."""
    return (deployment.status, deployment.phase, deployment.revision, deployment.values, deployment.extensions)


def _mark_gone(deployment: Deployment) -> None:
    def apply() -> None:
        deployment.status = NfDeploymentState.NOT_INSTALLED
        deployment.phase = ""

    with transaction.atomic():
        save_tracked(deployment, plugin_instance=deployment.plugin_instance, mutate=apply)
