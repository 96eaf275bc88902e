"""The Azure AKS IMS plugin: agent pools as pools, their VMSS instances as resources, VM sizes, clusters.

Thin: SDK calls here, mapping in mapping.py, errors in errors.py. AKS through azure-mgmt-containerservice, the
scale sets and sizes through azure-mgmt-compute, the token through azure-identity. Writes are ARM long-running
operations, waited for with the SDK's pollers (Azure-AsyncOperation). Polling sync with a fingerprint of what was
read (docs/decisions/0011-polling-fingerprint.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.core.pipeline.transport import RequestsTransport
from azure.core.polling import LROPoller
from azure.identity import CertificateCredential, ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.containerservice import ContainerServiceClient
from azure.mgmt.containerservice.models import AgentPool

from plugins.ims.azure import mapping
from plugins.ims.azure.config import SECRET_FIELDS, AzureConfig
from plugins.ims.azure.errors import AUTH_FAILED, translated
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest, NotFound, PluginError
from plugins.sdk.ims import Inventory, ResourcePool, SnapshotIMSPlugin
from plugins.sdk.places import regions_and_zones
from plugins.sdk.validation import checked_resize, checked_text

EXT_COUNT = mapping.EXT_COUNT
CREATE_KEYS = frozenset({"azure.cluster", "azure.vmSize", EXT_COUNT, "azure.zones", "azure.mode"})
_POOL_NAME = re.compile(r"^[a-z][a-z0-9]{0,11}$")
# azure-core logs every request and response (headers included) at INFO; netweave logs its own summary of a sync.
logging.getLogger("azure").setLevel(logging.WARNING)


class AzureIMSPlugin(SnapshotIMSPlugin):
    """One Azure subscription's AKS clusters: agent pools are pools, VMSS instances resources, VM sizes types."""

    name = "azure"
    version = "1.0.0"
    config_class = AzureConfig
    secret_fields = SECRET_FIELDS
    not_found_in = "the mapped AKS agent pools"
    native_nouns = {"resource pool": "agent pool", "resource type": "VM size", "resource": "VMSS instance"}

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._aks: ContainerServiceClient | None = None
        self._compute: ComputeManagementClient | None = None
        self._credential: ClientSecretCredential | CertificateCredential | None = None
        self.subscription = ""
        self.group = ""
        self.clusters: list[str] = []
        self.ocloud_id = ""
        self.poll = 10.0
        self.timeout = 1800.0
        self._hidden: tuple[str, ...] = ()

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.RESOURCE_POOL_MANAGEMENT, Capability.RESOURCE_TYPE_DISCOVERY})

    def initialize(self, config: Mapping[str, Any]) -> None:
        """Build the credential and clients. No call is made yet: a bad secret shows in health() and the sync."""
        data = self.validated_config(config)
        self.close()
        self.subscription, self.group, self.clusters = data["subscriptionId"], data["resourceGroup"], data["clusters"]
        self.ocloud_id = data["ocloudId"]
        self.poll, self.timeout = data["operationPollSeconds"], data["operationTimeoutSeconds"]
        self._hidden = tuple(v for v in (data["clientSecret"], data["clientCertificate"]) if v)
        verify: bool | str = data["caBundle"] or True
        common: dict[str, Any] = {"authority": data["authorityHost"], "disable_instance_discovery": True}
        credential: ClientSecretCredential | CertificateCredential
        if data["clientCertificate"]:
            credential = CertificateCredential(
                data["tenantId"],
                data["clientId"],
                certificate_data=data["clientCertificate"].encode(),
                transport=RequestsTransport(connection_verify=verify),
                **common,
            )
        else:
            credential = ClientSecretCredential(
                data["tenantId"],
                data["clientId"],
                data["clientSecret"],
                transport=RequestsTransport(connection_verify=verify),
                **common,
            )
        self._credential = credential
        clients: dict[str, Any] = {
            "base_url": data["armEndpoint"].rstrip("/"),
            "retry_total": data["retryTotal"],
            "polling_interval": self.poll,
        }
        self._aks = ContainerServiceClient(
            credential, self.subscription, transport=RequestsTransport(connection_verify=verify), **clients
        )
        self._compute = ComputeManagementClient(
            credential, self.subscription, transport=RequestsTransport(connection_verify=verify), **clients
        )

    def close(self) -> None:
        for client in (self._aks, self._compute, self._credential):
            if client is not None:
                client.close()
        self._aks = self._compute = self._credential = None

    @property
    def aks(self) -> ContainerServiceClient:
        if self._aks is None:
            raise BackendUnavailable(f"azure IMS {self.instance_name} is not initialized")
        return self._aks

    @property
    def compute(self) -> ComputeManagementClient:
        if self._compute is None:
            raise BackendUnavailable(f"azure IMS {self.instance_name} is not initialized")
        return self._compute

    @property
    def credential(self) -> TokenCredential:
        if self._credential is None:
            raise BackendUnavailable(f"azure IMS {self.instance_name} is not initialized")
        return self._credential

    def _translated(self, doing: str, *, field: str | None = None) -> Any:
        return translated(doing, field=field, hidden=self._hidden)

    def health(self) -> HealthStatus:
        details = {"subscription": self.subscription}
        if self.group:
            details["resourceGroup"] = self.group
        if self.ocloud_id:
            details["ocloudId"] = self.ocloud_id
        try:
            clusters = self._clusters()
        except PluginError as exc:
            message = exc.detail if exc.detail.startswith(AUTH_FAILED) else f"unreachable: {exc.detail}"
            return HealthStatus(False, message, details)
        details["clusters"] = str(len(clusters))
        return HealthStatus(True, f"subscription {self.subscription}: {len(clusters)} AKS cluster(s)", details)

    # ------------------------------------------------------------------------------------------ reads

    def _clusters(self) -> list[dict[str, Any]]:
        with self._translated("listing AKS clusters"):
            pages = (
                self.aks.managed_clusters.list_by_resource_group(self.group)
                if self.group
                else self.aks.managed_clusters.list()
            )
            clusters = [c.as_dict() for c in pages]
        if self.clusters:
            clusters = [c for c in clusters if c["name"] in self.clusters]
        return sorted(clusters, key=lambda c: (mapping.group_of(c["id"]).lower(), c["name"]))

    def _read_cluster(self, cluster: dict[str, Any], only_pool: str = "") -> mapping.Cluster:
        """A cluster's agent pools, scale sets and instances (with `only_pool`: that pool's instances only)."""
        group, name = mapping.group_of(cluster["id"]), cluster["name"]
        node_group = (cluster.get("properties") or {}).get("nodeResourceGroup") or ""
        with self._translated(f"listing the agent pools of AKS cluster {group}/{name}"):
            pools = [p.as_dict() for p in self.aks.agent_pools.list(group, name)]
        scale_sets: dict[str, dict[str, Any]] = {}
        instances: dict[str, list[dict[str, Any]]] = {}
        if node_group:
            with self._translated(f"listing the scale sets of node resource group {node_group}"):
                for listed_set in self.compute.virtual_machine_scale_sets.list(node_group):
                    found = listed_set.as_dict()
                    pool = (found.get("tags") or {}).get(mapping.TAG_POOL)
                    if pool:
                        scale_sets[pool] = found
            for pool_name, vmss in sorted(scale_sets.items()):
                if only_pool and pool_name != only_pool:
                    continue
                with self._translated(f"listing the instances of scale set {vmss['name']}"):
                    listed = self.compute.virtual_machine_scale_set_vms.list(node_group, vmss["name"])
                    instances[pool_name] = [vm.as_dict() for vm in listed]
        return mapping.Cluster(cluster=cluster, pools=pools, scale_sets=scale_sets, instances=instances)

    def _sizes(self, wanted: dict[str, str]) -> list[dict[str, Any]]:
        """VM sizes in use ({size: region}), read once per region."""
        found: dict[str, dict[str, Any]] = {}
        for region in sorted(set(wanted.values())):
            with self._translated(f"listing the VM sizes of {region}"):
                for size in self.compute.virtual_machine_sizes.list(region):
                    body = size.as_dict()
                    if wanted.get(body.get("name", "")) == region:
                        found.setdefault(body["name"], body)
        return [found[name] for name in sorted(found)]

    def snapshot(self) -> mapping.Snapshot:
        clusters = [self._read_cluster(c) for c in self._clusters()]
        wanted: dict[str, str] = {}
        for read in clusters:
            region = read.cluster.get("location", "")
            for pool in read.pools:
                wanted.setdefault((pool.get("properties") or {}).get("vmSize", ""), region)
            for vms in read.instances.values():
                for vm in vms:
                    wanted.setdefault((vm.get("sku") or {}).get("name", ""), region)
        wanted.pop("", None)
        return mapping.Snapshot(clusters=clusters, sizes=self._sizes(wanted))

    def _mapped(self, snapshot: mapping.Snapshot) -> Inventory:
        pools, resources, managers = [], [], []
        zones: dict[str, set[str]] = {}
        for read in snapshot.clusters:
            region = read.cluster.get("location", "")
            cluster_zones: set[str] = set()
            for pool in read.pools:
                pool_name = pool["name"]
                vms = read.instances.get(pool_name, ())
                vmss = read.scale_sets.get(pool_name, {}).get("name", "")
                mapped = mapping.resource_pool_from_agent_pool(read.cluster, pool, vmss, len(vms))
                pools.append(mapped)
                cluster_zones.update(mapped.extensions["azure.zones"])
                for vm in vms:
                    cluster_zones.update(str(z) for z in vm.get("zones") or ())
                    resources.append(mapping.resource_from_instance(vm, region=region, pool=mapped.native_id))
            zones.setdefault(region, set()).update(cluster_zones)
            managers.append(mapping.deployment_manager_from_cluster(read.cluster, cluster_zones))
        locations, sites = regions_and_zones(zones, cloud="Azure", prefix="azure", site_id=mapping.site_id)
        return Inventory(
            deployment_managers=managers,
            resource_pools=sorted(pools, key=lambda p: p.native_id),
            resource_types=[mapping.resource_type_from_size(s) for s in snapshot.sizes],
            resources=sorted(resources, key=lambda r: r.native_id),
            locations=locations,
            sites=sites,
            fingerprint=snapshot.fingerprint(),
        )

    def collect_inventory(self) -> Inventory:
        return self._mapped(self.snapshot())

    def get_resource_pool(self, native_id: str) -> ResourcePool:
        """One agent pool, reading only its cluster and its own scale set's instances (a write reads its pool before
        and after; a whole-subscription read each time would cost a full poll). Maps as collect_inventory does."""
        group, cluster, name = mapping.split_pool_id(native_id) or ("", "", "")
        if (
            not name
            or (self.group and group.lower() != self.group.lower())
            or (self.clusters and cluster not in self.clusters)
        ):
            return super().get_resource_pool(native_id)  # not one this instance maps: the snapshot's NotFound
        with self._translated(f"reading AKS cluster {group}/{cluster}"):
            try:
                found = self.aks.managed_clusters.get(group, cluster).as_dict()
            except ResourceNotFoundError:
                return super().get_resource_pool(native_id)
        read = self._read_cluster(found, only_pool=name)
        pools = [p for p in self._mapped(mapping.Snapshot(clusters=[read], sizes=[])).resource_pools or ()]
        return self._find(pools, native_id, "resource pool")

    # ------------------------------------------------------------------------------------------ writes

    def _wait(self, poller: LROPoller[Any], doing: str) -> None:
        """Wait for an ARM long-running operation with the SDK's poller; its failure is the write's."""
        with self._translated(doing):
            poller.result(timeout=self.timeout)
        if not poller.done():
            raise BackendUnavailable(f"{doing}: the Azure operation is still running after {self.timeout:.0f} s")

    def _count(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1000:
            raise InvalidRequest(
                f"extensions.{EXT_COUNT} must be an integer from 0 to 1000", field=f"extensions.{EXT_COUNT}"
            )
        return value

    def _mapped_cluster(self, cluster_ref: str) -> tuple[str, str]:
        group, _, name = cluster_ref.partition("/")
        known = {(mapping.group_of(c["id"]).lower(), c["name"]) for c in self._clusters()}
        if (group.lower(), name) not in known:
            raise NotFound(
                f"extensions.azure.cluster: no AKS cluster {cluster_ref!r} among those this instance maps",
                field="extensions.azure.cluster",
            )
        return group, name

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        """An agent pool in the cluster `extensions.azure.cluster` (`<resource group>/<cluster>`), waited for."""
        if pool.native_id:
            raise InvalidRequest("native_id: the pool id is <resource group>/<cluster>/<name>", field="native_id")
        if not _POOL_NAME.match(checked_text(pool.name, "name", required=True, max_length=12)):
            raise InvalidRequest("name: an agent pool name is 1-12 lowercase letters and digits", field="name")
        if pool.description:
            raise InvalidRequest("AKS agent pools have no description", field="description")
        ext = pool.extensions
        unknown = sorted(set(ext) - CREATE_KEYS)
        if unknown:
            raise InvalidRequest(
                f"extensions.{unknown[0]} cannot be set on a new agent pool", field=f"extensions.{unknown[0]}"
            )
        cluster_ref = checked_text(ext.get("azure.cluster", ""), "extensions.azure.cluster", required=True)
        group, cluster = self._mapped_cluster(cluster_ref)
        properties: dict[str, Any] = {
            "count": self._count(ext.get(EXT_COUNT, 1)),
            "vmSize": checked_text(ext.get("azure.vmSize", "Standard_D4s_v5"), "extensions.azure.vmSize"),
            "mode": checked_text(ext.get("azure.mode", "User"), "extensions.azure.mode"),
            "osType": "Linux",
            "type": "VirtualMachineScaleSets",
        }
        if "azure.zones" in ext:
            zones = ext["azure.zones"]
            if not isinstance(zones, list) or not all(isinstance(z, str) and z.isdigit() for z in zones):
                raise InvalidRequest(
                    'extensions.azure.zones must be an array of zone numbers ("1", "2", "3")',
                    field="extensions.azure.zones",
                )
            properties["availabilityZones"] = zones
        doing = f"creating agent pool {pool.name!r} in AKS cluster {cluster_ref}"
        with self._translated(doing, field="extensions.azure.vmSize"):
            poller = self.aks.agent_pools.begin_create_or_update(
                group, cluster, pool.name, AgentPool({"properties": properties}), polling_interval=self.poll
            )
        self._wait(poller, doing)
        return self.get_resource_pool(mapping.pool_id(group, cluster, pool.name))

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Scale the agent pool (`extensions.azure.count`: the agent pool PUT with the new count, waited for).
        Other keys are read-only and accepted back only unchanged."""
        current = self.get_resource_pool(native_id)
        requested = checked_resize(current, pool, native_id, size_key=EXT_COUNT, noun="AKS agent pool")
        if requested is not None:
            count = self._count(requested)
            if count != current.extensions.get(EXT_COUNT):
                group, cluster, name = mapping.split_pool_id(native_id) or ("", "", "")
                doing = f"scaling agent pool {native_id} to {count} node(s)"
                with self._translated(doing, field=f"extensions.{EXT_COUNT}"):
                    agent_pool = self.aks.agent_pools.get(group, cluster, name).as_dict()
                    properties = {**agent_pool.get("properties", {}), "count": count}
                    poller = self.aks.agent_pools.begin_create_or_update(
                        group, cluster, name, AgentPool({"properties": properties}), polling_interval=self.poll
                    )
                self._wait(poller, doing)
        return self.get_resource_pool(native_id)

    def delete_resource_pool(self, native_id: str) -> None:
        self.get_resource_pool(native_id)
        group, cluster, name = mapping.split_pool_id(native_id) or ("", "", "")
        doing = f"deleting agent pool {native_id}"
        with self._translated(doing):
            poller = self.aks.agent_pools.begin_delete(group, cluster, name, polling_interval=self.poll)
        self._wait(poller, doing)
