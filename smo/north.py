"""The SMO North API's logic: route each call to the named SMO instance or the SMO default, check the
capability (NotSupported otherwise), call the plugin, and keep workflow executions as rows whose every change is
written to the change log (auditable like any inventory change)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from inventory import changelog
from netweave.o2.problems import BadRequest, O2Problem
from plugins.models import PluginInstance
from plugins.routing import NoRoute, route_smo
from plugins.sdk.base import Capability
from plugins.sdk.errors import NotSupported
from plugins.sdk.smo import Policy, PolicyStatus, ServiceModel, SMOPlugin, WorkflowRequest
from smo.models import WorkflowExecution
from smo.northbound import smo_plugin

WORKFLOW_TYPE = "SmoWorkflowExecution"
FINAL_STATES = frozenset({"COMPLETED", "COMPLETE", "FAILED", "CANCELLED", "CANCELED", "SUCCEEDED", "ABORTED"})


def route(name: str | None, *, query: bool = False) -> PluginInstance:
    """The SMO instance named by the caller (body field or query parameter `smoInstance`), else the SMO default
    (`smo.default` in plugins.yaml). An unknown or disabled name is the caller's error (400 naming it); no
    instance to route to at all is 404, like any resource this netweave does not have."""
    try:
        return route_smo(name or None).instance
    except NoRoute as exc:
        if name:
            where = {"parameter": "smoInstance"} if query else {"field": "smoInstance"}
            raise BadRequest(exc.detail, **where) from None
        raise O2Problem(404, exc.detail) from None


def plugin_for(instance: PluginInstance, capability: Capability) -> SMOPlugin:
    plugin = smo_plugin(instance)
    if capability not in plugin.capabilities():
        raise NotSupported(f"SMO instance '{instance.name}' ({instance.plugin_type}) does not offer {capability}.")
    return plugin


def execution_state(row: WorkflowExecution) -> dict[str, Any]:
    """The API (and change-log) representation of one workflow execution."""
    return {
        "executionId": str(row.pk),
        "smoInstance": row.instance.name,
        "workflowName": row.workflow_name,
        "parameters": row.parameters,
        "smoExecutionId": row.smo_execution_id,
        "status": row.status,
        "message": row.message,
        "startedAt": row.started.isoformat(),
        "updatedAt": row.updated.isoformat(),
        "requestedBy": row.requested_by,
    }


def _record(row: WorkflowExecution, action: str, prior: dict[str, Any] | None) -> None:
    changelog.record(
        [changelog.Change(WORKFLOW_TYPE, row.pk, action, prior, execution_state(row))], plugin_instance=row.instance
    )


def execute(name: str | None, workflow: str, parameters: Mapping[str, Any], requested_by: str) -> WorkflowExecution:
    instance = route(name)
    plugin = plugin_for(instance, Capability.WORKFLOW_ORCHESTRATION)
    started = plugin.execute_workflow(WorkflowRequest(workflow, dict(parameters)))
    now = timezone.now()
    with transaction.atomic():
        row = WorkflowExecution.objects.create(
            id=uuid.uuid4(),
            instance=instance,
            workflow_name=workflow,
            parameters=dict(parameters),
            smo_execution_id=started.execution_id,
            status=started.status,
            details=dict(started.details),
            started=now,
            updated=now,
            requested_by=requested_by,
        )
        _record(row, changelog.CREATE, None)
    return row


def execution(execution_id: str) -> WorkflowExecution:
    try:
        key = uuid.UUID(execution_id)
    except ValueError:
        key = None
    row = WorkflowExecution.objects.select_related("instance").filter(pk=key).first() if key else None
    if row is None:
        raise O2Problem(404, f"No workflow execution with id '{execution_id}'.")
    return row


def _update(row: WorkflowExecution, status: str, message: str) -> WorkflowExecution:
    if (row.status, row.message) == (status, message[:1000]):
        return row
    with transaction.atomic():
        prior = execution_state(row)
        row.status, row.message, row.updated = status, message[:1000], timezone.now()
        row.save(update_fields=["status", "message", "updated"])
        _record(row, changelog.MODIFY, prior)
    return row


def refresh(row: WorkflowExecution) -> WorkflowExecution:
    """Ask the SMO for the execution's status (unless it is final) and store a change."""
    if row.status.upper() in FINAL_STATES:
        return row
    plugin = plugin_for(row.instance, Capability.WORKFLOW_ORCHESTRATION)
    status = plugin.get_workflow_status(row.smo_execution_id)
    return _update(row, status.status, status.message)


def cancel(row: WorkflowExecution) -> WorkflowExecution:
    if row.status.upper() in FINAL_STATES:
        raise O2Problem(409, f"Workflow execution '{row.pk}' is already {row.status}.")
    plugin_for(row.instance, Capability.WORKFLOW_ORCHESTRATION).cancel_workflow(row.smo_execution_id)
    return _update(row, "CANCELLED", "Cancelled through the SMO North API.")


def register_model(name: str | None, model: ServiceModel) -> PluginInstance:
    instance = route(name)
    plugin_for(instance, Capability.SERVICE_MODELING).register_service_model(model)
    return instance


def get_model(name: str | None, model_id: str) -> ServiceModel:
    return plugin_for(route(name, query=True), Capability.SERVICE_MODELING).get_service_model(model_id)


def list_models(name: str | None) -> list[ServiceModel]:
    return plugin_for(route(name, query=True), Capability.SERVICE_MODELING).list_service_models()


def apply_policy(name: str | None, policy: Policy) -> PluginInstance:
    instance = route(name)
    plugin_for(instance, Capability.POLICY_MANAGEMENT).apply_policy(policy)
    return instance


def policy_status(name: str | None, policy_id: str) -> PolicyStatus:
    return plugin_for(route(name, query=True), Capability.POLICY_MANAGEMENT).get_policy_status(policy_id)
