"""The SMO plugin contract (the seed's `SMOPlugin`): northbound sync and events, southbound workflows,
service models and policies. Every operation defaults to NotSupported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plugins.sdk.base import Capability, Plugin, PluginCategory
from plugins.sdk.errors import NotSupported


@dataclass(frozen=True)
class InfrastructureInventory:
    ocloud: Mapping[str, Any]
    resource_pools: Sequence[Mapping[str, Any]] = ()
    resources: Sequence[Mapping[str, Any]] = ()
    resource_types: Sequence[Mapping[str, Any]] = ()
    deployment_managers: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class DeploymentInventory:
    deployments: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class InfrastructureEvent:
    event_type: str
    object_type: str
    object_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentEvent:
    event_type: str
    deployment_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowRequest:
    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowExecution:
    execution_id: str
    status: str


@dataclass(frozen=True)
class WorkflowStatus:
    execution_id: str
    status: str
    message: str = ""


@dataclass(frozen=True)
class ServiceModel:
    model_id: str
    name: str
    version: str = ""
    content: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    policy_id: str
    policy_type: str
    content: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PolicyStatus:
    policy_id: str
    status: str
    message: str = ""


class SMOPlugin(Plugin):
    category = PluginCategory.SMO

    def sync_infrastructure_inventory(self, inventory: InfrastructureInventory) -> None:
        raise NotSupported(f"{self.name} does not sync infrastructure inventory")

    def sync_deployment_inventory(self, inventory: DeploymentInventory) -> None:
        raise NotSupported(f"{self.name} does not sync deployment inventory")

    def publish_infrastructure_event(self, event: InfrastructureEvent) -> None:
        raise NotSupported(f"{self.name} does not publish infrastructure events")

    def publish_deployment_event(self, event: DeploymentEvent) -> None:
        raise NotSupported(f"{self.name} does not publish deployment events")

    def execute_workflow(self, request: WorkflowRequest) -> WorkflowExecution:
        raise NotSupported(f"{self.name} does not run workflows")

    def get_workflow_status(self, execution_id: str) -> WorkflowStatus:
        raise NotSupported(f"{self.name} does not run workflows")

    def cancel_workflow(self, execution_id: str) -> None:
        raise NotSupported(f"{self.name} does not run workflows")

    def register_service_model(self, model: ServiceModel) -> None:
        raise NotSupported(f"{self.name} does not model services")

    def get_service_model(self, model_id: str) -> ServiceModel:
        raise NotSupported(f"{self.name} does not model services")

    def list_service_models(self) -> list[ServiceModel]:
        raise NotSupported(f"{self.name} does not model services")

    def apply_policy(self, policy: Policy) -> None:
        raise NotSupported(f"{self.name} does not manage policies")

    def get_policy_status(self, policy_id: str) -> PolicyStatus:
        raise NotSupported(f"{self.name} does not manage policies")

    def supports_workflows(self) -> bool:
        return Capability.WORKFLOW_ORCHESTRATION in self.capabilities()

    def supports_service_modeling(self) -> bool:
        return Capability.SERVICE_MODELING in self.capabilities()

    def supports_policy_management(self) -> bool:
        return Capability.POLICY_MANAGEMENT in self.capabilities()
