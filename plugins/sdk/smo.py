"""The SMO plugin contract (the seed's `SMOPlugin`): northbound sync and events, southbound workflows,
service models and policies. Every operation defaults to NotSupported."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from plugins.sdk.base import Capability, Plugin, PluginCategory
from plugins.sdk.dms import DMSPlugin
from plugins.sdk.errors import NotSupported


@dataclass(frozen=True)
class SyncedObject:
    """Where one netweave object lives in the SMO: its id there and, when the SMO versions objects (A&AI's
    `resource-version`), the version last written. The smo app keeps these in its mapping table and hands them
    back in `InfrastructureInventory.known`."""

    object_type: str
    object_id: str
    smo_id: str
    smo_version: str = ""


@dataclass(frozen=True)
class RemovedObject:
    """An object deleted from netweave's inventory, with its last O2 state."""

    object_type: str
    object_id: str
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InfrastructureInventory:
    """O2 representations (as a GET returns them, `all_fields`) to push northbound.

    `complete` is true for a full sync: the SMO should then hold exactly these objects, and whatever `known`
    lists but the inventory no longer has is to be deleted there. An incremental push (`complete` false) carries
    only the objects that changed, plus `removed`. `known` maps object ids to what an earlier push returned."""

    ocloud: Mapping[str, Any]
    resource_pools: Sequence[Mapping[str, Any]] = ()
    resources: Sequence[Mapping[str, Any]] = ()
    resource_types: Sequence[Mapping[str, Any]] = ()
    deployment_managers: Sequence[Mapping[str, Any]] = ()
    locations: Sequence[Mapping[str, Any]] = ()  # R005 LocationInfo
    sites: Sequence[Mapping[str, Any]] = ()  # R005 OCloudSiteInfo
    alarm_dictionaries: Sequence[Mapping[str, Any]] = ()  # R005 AlarmDictionaryInfo
    complete: bool = True
    removed: Sequence[RemovedObject] = ()
    known: Mapping[str, SyncedObject] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentInventory:
    deployments: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class InfrastructureEvent:
    """One change (create, modify, delete) of an inventory object or an alarm. `event_id` is stable across
    re-sends (receivers de-duplicate by it); `payload` holds priorObjectState/postObjectState."""

    event_type: str
    object_type: str
    object_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    event_id: str = ""
    time: str = ""
    sequence: int = 0


@dataclass(frozen=True)
class DeploymentEvent:
    event_type: str
    deployment_id: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    event_id: str = ""
    time: str = ""
    sequence: int = 0
    object_type: str = "NfDeployment"


@dataclass(frozen=True)
class WorkflowRequest:
    name: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkflowExecution:
    execution_id: str
    status: str
    details: Mapping[str, Any] = field(default_factory=dict)


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
    # DMS-backend mode (the seed's SMO routing `mode: dms-backend`): a type that can run O2dms deployments through
    # its SMO says so here and answers `dms_backend()`.
    serves_dms_backend: ClassVar[bool] = False

    def dms_backend(self) -> DMSPlugin:
        """The DMS plugin that runs O2dms deployments through this SMO (owned by this plugin, closed with it)."""
        raise NotSupported(f"{self.name} is not a DMS backend")

    def sync_infrastructure_inventory(self, inventory: InfrastructureInventory) -> Sequence[SyncedObject] | None:
        """Push `inventory` to the SMO; return where each pushed object lives there (None: nothing to keep)."""
        raise NotSupported(f"{self.name} does not sync infrastructure inventory")

    def render_northbound(self, object_type: str, state: Mapping[str, Any]) -> Any:
        """What this plugin would send the SMO for one object (the admin's preview). Default: the O2 state."""
        return dict(state)

    def publishes_events(self) -> bool:
        """Whether this instance publishes change events (then the smo app keeps an event outbox for it)."""
        return False

    def publish_events(self, events: Sequence[InfrastructureEvent | DeploymentEvent]) -> None:
        """Publish a batch in order. Default: one call per event; plugins with a batch API override it."""
        for event in events:
            if isinstance(event, DeploymentEvent):
                self.publish_deployment_event(event)
            else:
                self.publish_infrastructure_event(event)

    def event_batch_size(self) -> int:
        """How many events one `publish_events` call takes."""
        return 100

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
