"""The ONAP SMO plugin, northbound: inventory to A&AI (cloud-regions, tenants, complexes, pservers, PNFs; see
mapping.py), change events as VES 7.x to DMaaP Message Router or Kafka (see README.md).

Thin: HTTP and Kafka here and in aai.py/events.py, the A&AI and VES shapes in mapping.py."""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest, NotFound, NotSupported
from plugins.sdk.smo import (
    DeploymentEvent,
    InfrastructureEvent,
    InfrastructureInventory,
    Policy,
    PolicyStatus,
    ServiceModel,
    SMOPlugin,
    SyncedObject,
    WorkflowExecution,
    WorkflowRequest,
    WorkflowStatus,
)
from plugins.smo.onap import design, mapping, so
from plugins.smo.onap.aai import AaiClient, Operation, chunked
from plugins.smo.onap.config import OnapConfig
from plugins.smo.onap.events import DmaapPublisher, KafkaPublisher, Publisher, kafka_security
from plugins.smo.onap.lcm import OnapLcmDMSPlugin


class OnapSMOPlugin(SMOPlugin):
    name = "onap"
    version = "1.0.0"
    config_class = OnapConfig
    secret_fields = frozenset({"password", "kafkaPassword", "kafkaClientKeyPassword"})
    serves_dms_backend = True

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._config: dict[str, Any] = {}
        self._http: httpx.Client | None = None
        self._aai: AaiClient | None = None
        self._publisher: Publisher | None = None
        self._lcm: OnapLcmDMSPlugin | None = None

    def capabilities(self) -> frozenset[Capability]:
        c = self._config
        wanted = {
            Capability.INVENTORY_SYNC: True,
            Capability.WORKFLOW_ORCHESTRATION: bool(c.get("soUrl")),
            Capability.SERVICE_MODELING: bool(c.get("sdcUrl")),
            Capability.POLICY_MANAGEMENT: bool(c.get("policyApiUrl") and c.get("policyPapUrl")),
        }
        return frozenset(capability for capability, present in wanted.items() if present)

    def initialize(self, config: Mapping[str, Any]) -> None:
        self._config = c = self.validated_config(config)
        verify: ssl.SSLContext | bool = (
            ssl.create_default_context(cafile=c["caBundle"] or None) if c["verifyTls"] else False
        )
        auth = (c["username"], c["password"]) if c["username"] else None
        self._http = httpx.Client(verify=verify, timeout=c["timeoutSeconds"], follow_redirects=False, auth=auth)
        self._aai = AaiClient(self._http, c["aaiUrl"], c["aaiVersion"], c["fromAppId"])
        if c["kafkaBootstrapServers"]:
            self._publisher = KafkaPublisher(
                c["kafkaBootstrapServers"], c["eventTopic"], c["sourceName"], c["timeoutSeconds"], kafka_security(c)
            )
        elif c["dmaapUrl"]:
            self._publisher = DmaapPublisher(self._http, c["dmaapUrl"], c["eventTopic"])

    def close(self) -> None:
        if self._lcm is not None:
            self._lcm.close()
            self._lcm = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        if self._http is not None:
            self._http.close()
            self._http = None

    @property
    def aai(self) -> AaiClient:
        assert self._aai is not None, "initialize() first"
        return self._aai

    def health(self) -> HealthStatus:
        """A&AI's echo; in DMS-backend mode (a `dmsBackend` block) also SO's global health check, since the O2dms
        deployments routed here run through SO."""
        try:
            response = self.aai.echo()
        except httpx.HTTPError as exc:
            aai = HealthStatus(False, f"A&AI unreachable ({type(exc).__name__})")
        else:
            aai = HealthStatus(response.status_code == 200, f"A&AI echo answered HTTP {response.status_code}")
        if not self._config.get("dmsBackend"):
            return aai
        so_health = self.dms_backend().health()
        return HealthStatus(aai.healthy and so_health.healthy, f"{aai.message}; {so_health.message}")

    def dms_backend(self) -> OnapLcmDMSPlugin:
        """DMS-backend mode: SO instantiates the O2dms deployments routed here (the onap-lcm plugin, configured
        from soUrl, the credentials and `dmsBackend`)."""
        if self._lcm is None:
            c = self._config
            if not c.get("dmsBackend"):
                raise NotSupported(
                    f"ONAP instance '{self.instance_name}' has no dmsBackend config: it runs no deployments."
                )
            lcm = OnapLcmDMSPlugin(self.instance_name)
            shared = (
                "soUrl",
                "sdncUrl",
                "username",
                "password",
                "cloudOwner",
                "timeoutSeconds",
                "caBundle",
                "verifyTls",
            )
            lcm.initialize({**{key: c[key] for key in shared}, **c["dmsBackend"]})
            self._lcm = lcm
        return self._lcm

    # --- A&AI -----------------------------------------------------------------------------------------------

    def _objects(self, inventory: InfrastructureInventory) -> list[mapping.AaiObject]:
        owner, base = self._config["cloudOwner"], self.aai.base
        objects: dict[str, mapping.AaiObject] = {}
        for location in inventory.locations:
            place = mapping.location_complex(location)
            objects[place.path] = place
        for pool in inventory.resource_pools:
            place = mapping.complex_object(pool)
            objects.setdefault(place.path, place)
        for pool in inventory.resource_pools:
            region = mapping.cloud_region(pool, inventory.ocloud, owner, base)
            objects[region.path] = region
        for resource in inventory.resources:
            item = mapping.resource_object(resource, owner, base)
            objects[item.path] = item
        return list(objects.values())

    def sync_infrastructure_inventory(self, inventory: InfrastructureInventory) -> Sequence[SyncedObject] | None:
        """Writes in A&AI bulk transactions of `aaiBulkSize` operations, parents before children, deletes last.

        An object in the mapping is updated with the resource-version stored there; one not in it is created
        without one, and if A&AI holds it already its transaction's 412 brings the current versions (aai.py)."""
        operations: list[Operation] = []
        written: list[mapping.AaiObject] = []
        for item in self._objects(inventory):
            if item.create_only:  # a pool's placeholder complex: only when A&AI has none
                if self.aai.current_version(item.path) is None:
                    operations.append(Operation("put", item.path, item.body))
                continue
            known = inventory.known.get(item.object_id)
            version = (known.smo_version or None) if known is not None and known.smo_id == item.path else None
            operations.append(Operation("put", item.path, item.body, version))
            for child in item.children:  # a new parent has no children yet; an existing one may
                child_version = self.aai.current_version(child.path) if version else None
                operations.append(Operation("put", child.path, child.body, child_version))
            written.append(item)
        operations += self._deletes(inventory, {item.object_id for item in written})
        for chunk in chunked(operations, self._config["aaiBulkSize"]):
            self.aai.transact(chunk)
        versions = self.aai.versions([item.path for item in written], mapping.COLLECTIONS)
        missing = [item.path for item in written if item.path not in versions]
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise BackendUnavailable(f"A&AI accepted the writes but does not hold {missing[0]}{more}")
        return [SyncedObject(i.object_type, i.object_id, i.path, versions[i.path]) for i in written]

    def _deletes(self, inventory: InfrastructureInventory, present: set[str]) -> list[Operation]:
        gone = [(r.object_type, r.object_id, r.state) for r in inventory.removed]
        if inventory.complete:
            gone += [(k.object_type, k.object_id, {}) for k in inventory.known.values() if k.object_id not in present]
        deletes: list[Operation] = []
        for object_type, object_id, state in gone:
            known = inventory.known.get(object_id)
            if known is not None:
                deletes.append(Operation("delete", known.smo_id, version=known.smo_version or None))
                continue
            for path in mapping.removed_paths(object_type, object_id, state, self._config["cloudOwner"]):
                version = self.aai.current_version(path)
                if version is not None:
                    deletes.append(Operation("delete", path, version=version))
        return deletes

    def render_northbound(self, object_type: str, state: Mapping[str, Any]) -> Any:
        owner, base = self._config["cloudOwner"], self.aai.base
        if object_type == "ResourcePoolInfo":
            region = mapping.cloud_region(state, {}, owner, base)
            place = mapping.complex_object(state)
            return {place.path: place.body, region.path: region.body}
        if object_type == "ResourceInfo":
            item = mapping.resource_object(state, owner, base)
            return {item.path: item.body}
        if object_type == "LocationInfo":
            place = mapping.location_complex(state)
            return {place.path: place.body}
        return {}

    # --- workflows: SO custom workflows on a service instance ----------------------------------------------

    def _onap(self, component: str, method: str, path: str, **kwargs: Any) -> Any:
        """Call the ONAP component whose base URL is config `component` (soUrl, sdcUrl, policyApiUrl, ...)."""
        base = self._config.get(component)
        if not base:
            raise NotSupported(f"ONAP instance '{self.instance_name}' has no {component}.")
        assert self._http is not None
        headers = {"Accept": "application/json", "X-ECOMP-InstanceID": self._config["fromAppId"]}
        try:
            response = self._http.request(method, base.rstrip("/") + path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{component} unreachable ({type(exc).__name__})") from None
        if response.status_code == 404:
            raise NotFound(f"{component} {method} {path}: not found")
        if response.status_code in (400, 406):
            raise InvalidRequest(f"{component} refused {method} {path}: {response.text[:300]}")
        if response.status_code >= 300:
            raise BackendUnavailable(f"{component} {method} {path} answered HTTP {response.status_code}")
        return response.json() if response.content else {}

    def _so(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._onap("soUrl", method, path, **kwargs)

    def execute_workflow(self, request: WorkflowRequest) -> WorkflowExecution:
        """`request.name` is the SO workflow's UUID; `parameters.serviceInstanceId` the instance it runs on."""
        instance = str(request.parameters.get("serviceInstanceId") or "")
        if not instance:
            raise InvalidRequest("An ONAP workflow needs parameters.serviceInstanceId.", field="parameters")
        path = so.WORKFLOWS.format(instance=quote(instance, safe=""), workflow=quote(request.name, safe=""))
        answer = self._so("POST", path, json=so.workflow_body(request.parameters))
        references = answer.get("requestReferences") or {}
        if not references.get("requestId"):
            raise BackendUnavailable("SO accepted the workflow without a requestId")
        return WorkflowExecution(str(references["requestId"]), "RUNNING", details=dict(references))

    def get_workflow_status(self, execution_id: str) -> WorkflowStatus:
        answer = self._so("GET", f"{so.REQUESTS}/{quote(execution_id, safe='')}")
        status = (answer.get("request") or {}).get("requestStatus") or {}
        state = str(status.get("requestState", ""))
        message = f"{status.get('statusMessage', '')} ({status.get('percentProgress', 0)}%)".strip()
        return WorkflowStatus(execution_id, so.WORKFLOW_STATES.get(state, state or "UNKNOWN"), message)

    def cancel_workflow(self, execution_id: str) -> None:
        raise NotSupported(
            "ONAP SO cannot cancel one orchestration request: its abort (POST /onap/so/infra/orchestrationRequests/v7/"
            "abort) aborts every request in progress, and unlock only releases a locked request. Let the workflow "
            "finish or run a compensating workflow."
        )

    # --- service models: SDC's distribution catalog ---------------------------------------------------------

    def list_service_models(self) -> list[ServiceModel]:
        answer = self._onap("sdcUrl", "GET", design.SDC_SERVICES)
        return [design.service_model(asset) for asset in answer if isinstance(asset, dict)]

    def get_service_model(self, model_id: str) -> ServiceModel:
        return design.service_model(self._onap("sdcUrl", "GET", design.service_metadata_path(model_id)))

    def register_service_model(self, model: ServiceModel) -> None:
        raise NotSupported(
            "ONAP service models are designed in SDC (vendor software product onboarding, VF and service creation, "
            "certification, distribution): a multi-step design-time flow netweave does not drive. Design the service "
            "in SDC; GET /serviceModels then lists it."
        )

    # --- policies: Policy Framework (policy-api, PAP) -------------------------------------------------------

    def apply_policy(self, policy: Policy) -> None:
        path, body, (policy_id, version) = design.policy_create(policy)
        self._onap("policyApiUrl", "POST", path, json=body)
        self._onap("policyPapUrl", "POST", design.PAP_DEPLOY, json=design.deploy_body(policy_id, version))

    def get_policy_status(self, policy_id: str) -> PolicyStatus:
        try:
            answer = self._onap("policyPapUrl", "GET", design.status_path(policy_id))
        except NotFound:
            answer = []
        return design.policy_status(policy_id, answer)

    # --- VES events -----------------------------------------------------------------------------------------

    def publishes_events(self) -> bool:
        return self._publisher is not None

    def event_batch_size(self) -> int:
        return int(self._config.get("eventPublishBatchSize", 100))

    def publish_events(self, events: Sequence[InfrastructureEvent | DeploymentEvent]) -> None:
        assert self._publisher is not None
        source = self._config["sourceName"]
        self._publisher.publish([mapping.ves_event(event, source, source) for event in events])

    def publish_infrastructure_event(self, event: InfrastructureEvent) -> None:
        self.publish_events([event])

    def publish_deployment_event(self, event: DeploymentEvent) -> None:
        self.publish_events([event])
