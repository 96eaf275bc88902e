"""The GKE IMS plugin: node pools as pools, their Compute Engine VMs as resources, machine types, clusters.

Thin: client calls here, mapping in mapping.py, errors in errors.py. GKE through google-cloud-container (gRPC),
the node VMs through google-cloud-compute (REST). Writes are GKE long-running operations, polled with
GetOperation until DONE. Polling sync with a fingerprint of what was read, as for AWS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import grpc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials
from google.auth.transport import grpc as auth_grpc
from google.auth.transport.requests import Request
from google.cloud import compute_v1, container_v1
from google.cloud.container_v1.services.cluster_manager.transports import ClusterManagerGrpcTransport
from google.oauth2 import service_account

from plugins.ims.gke import mapping
from plugins.ims.gke.config import SECRET_FIELDS, GKEConfig
from plugins.ims.gke.errors import AUTH_FAILED, translated
from plugins.sdk.base import Capability, HealthStatus
from plugins.sdk.errors import BackendUnavailable, InvalidRequest, NotFound, PluginError
from plugins.sdk.ims import (
    DeploymentManager,
    Inventory,
    ResourcePool,
    SnapshotIMSPlugin,
)
from plugins.sdk.places import regions_and_zones
from plugins.sdk.validation import checked_resize, checked_text

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
EXT_SIZE = "gke.nodeCountPerZone"
CREATE_KEYS = frozenset({"gke.cluster", "gke.machineType", EXT_SIZE, "gke.zones"})


class GKEIMSPlugin(SnapshotIMSPlugin):
    """One Google Cloud project's GKE clusters: node pools are pools, node VMs resources, machine types types."""

    name = "gke"
    version = "1.0.0"
    config_class = GKEConfig
    secret_fields = SECRET_FIELDS
    not_found_in = "the mapped node pools"
    native_nouns = {"resource type": "machine type", "resource": "node VM"}

    def __init__(self, instance_name: str = "") -> None:
        super().__init__(instance_name)
        self._gke: container_v1.ClusterManagerClient | None = None
        self._instances: compute_v1.InstancesClient | None = None
        self._machine_types: compute_v1.MachineTypesClient | None = None
        self._channel: grpc.Channel | None = None
        self.project = ""
        self.location = "-"
        self.clusters: list[str] = []
        self.ocloud_id = ""
        self.poll = 5.0
        self.timeout = 1800.0

    def capabilities(self) -> frozenset[Capability]:
        return frozenset({Capability.RESOURCE_POOL_MANAGEMENT, Capability.RESOURCE_TYPE_DISCOVERY})

    def initialize(self, config: Mapping[str, Any]) -> None:
        """Build the clients. No call is made yet: a bad key shows in health() and in the first sync."""
        data = self.validated_config(config)
        self.close()
        self.project, self.location, self.clusters = data["projectId"], data["location"], list(data["clusters"])
        self.ocloud_id = data["ocloudId"]
        self.poll, self.timeout = data["operationPollSeconds"], data["operationTimeoutSeconds"]
        credentials: Credentials
        if data["credentialsJson"]:
            credentials = service_account.Credentials.from_service_account_info(
                json.loads(data["credentialsJson"]), scopes=SCOPES
            )
        else:
            import google.auth

            credentials = google.auth.default(scopes=SCOPES)[0]
        if data["loopbackPlaintext"]:
            # Local channel credentials: no TLS, but call credentials (the bearer token) are still attached;
            # gRPC allows this only towards loopback addresses.
            channel_credentials = grpc.composite_channel_credentials(
                grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP),
                grpc.metadata_call_credentials(auth_grpc.AuthMetadataPlugin(credentials, Request())),
            )
            self._channel = grpc.secure_channel(data["containerEndpoint"], channel_credentials)
            transport = ClusterManagerGrpcTransport(channel=self._channel)
            self._gke = container_v1.ClusterManagerClient(transport=transport)
        else:
            self._gke = container_v1.ClusterManagerClient(
                credentials=credentials, client_options=ClientOptions(api_endpoint=data["containerEndpoint"])
            )
        options = ClientOptions(api_endpoint=data["computeEndpoint"])
        self._instances = compute_v1.InstancesClient(credentials=credentials, client_options=options)
        self._machine_types = compute_v1.MachineTypesClient(credentials=credentials, client_options=options)

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        self._channel = self._gke = self._instances = self._machine_types = None

    @property
    def gke(self) -> container_v1.ClusterManagerClient:
        if self._gke is None:
            raise BackendUnavailable(f"gke IMS {self.instance_name} is not initialized")
        return self._gke

    def health(self) -> HealthStatus:
        details = {"project": self.project, "location": self.location}
        if self.ocloud_id:
            details["ocloudId"] = self.ocloud_id
        try:
            clusters = self._clusters()
        except PluginError as exc:
            message = exc.detail if exc.detail.startswith(AUTH_FAILED) else f"unreachable: {exc.detail}"
            return HealthStatus(False, message, details)
        details["clusters"] = str(len(clusters))
        return HealthStatus(True, f"project {self.project}: {len(clusters)} GKE cluster(s)", details)

    # ------------------------------------------------------------------------------------------ reads

    def _clusters(self) -> list[dict[str, Any]]:
        with translated("listing GKE clusters"):
            response = self.gke.list_clusters(parent=f"projects/{self.project}/locations/{self.location}")
        clusters = [container_v1.Cluster.to_dict(c, use_integers_for_enums=False) for c in response.clusters]
        if self.clusters:
            clusters = [c for c in clusters if c["name"] in self.clusters]
        return sorted(clusters, key=lambda c: (c["location"], c["name"]))

    def _cluster(self, location: str, name: str) -> dict[str, Any]:
        if self.clusters and name not in self.clusters:
            raise NotFound(f"GKE cluster {name!r} is not one this plugin instance maps")
        if self.location not in ("-", location):
            raise NotFound(f"GKE cluster {location}/{name} is outside location {self.location}")
        with translated(f"reading GKE cluster {location}/{name}"):
            cluster = self.gke.get_cluster(name=f"projects/{self.project}/locations/{location}/clusters/{name}")
        return container_v1.Cluster.to_dict(cluster, use_integers_for_enums=False)

    def _vms(self) -> list[dict[str, Any]]:
        if self._instances is None:
            raise BackendUnavailable(f"gke IMS {self.instance_name} is not initialized")
        with translated("listing Compute Engine instances"):
            pages = self._instances.aggregated_list(project=self.project)
            return [
                compute_v1.Instance.to_dict(vm, preserving_proto_field_name=False)
                for _, scoped in pages
                for vm in scoped.instances
            ]

    def _machine_type(self, zone: str, name: str) -> dict[str, Any]:
        if self._machine_types is None:
            raise BackendUnavailable(f"gke IMS {self.instance_name} is not initialized")
        with translated(f"reading machine type {name!r}"):
            found = self._machine_types.get(project=self.project, zone=zone, machine_type=name)
        return compute_v1.MachineType.to_dict(found, preserving_proto_field_name=False)

    def snapshot(self) -> mapping.Snapshot:
        clusters = self._clusters()
        pools = {(c["name"], p["name"]) for c in clusters for p in c.get("node_pools") or ()}
        vms = [vm for vm in self._vms() if mapping.pool_of_vm(vm, pools)]
        wanted: dict[str, str] = {}  # machine type -> a zone to read it in
        for vm in vms:
            wanted.setdefault(mapping.last_segment(vm["machineType"]), mapping.last_segment(vm["zone"]))
        for cluster in clusters:
            for pool in cluster.get("node_pools") or ():
                zones = pool.get("locations") or cluster.get("locations") or []
                machine = (pool.get("config") or {}).get("machine_type")
                if machine and zones:
                    wanted.setdefault(machine, zones[0])
        types = [self._machine_type(zone, name) for name, zone in sorted(wanted.items())]
        return mapping.Snapshot(clusters=clusters, vms=vms, machine_types=types)

    def _mapped(self, snapshot: mapping.Snapshot) -> Inventory:
        counts: dict[tuple[str, str], int] = {}
        resources = []
        pool_ids: dict[tuple[str, str], str] = {}
        for cluster in snapshot.clusters:
            for pool in cluster.get("node_pools") or ():
                pool_ids[(cluster["name"], pool["name"])] = mapping.pool_id(
                    cluster["location"], cluster["name"], pool["name"]
                )
        for vm in snapshot.vms:
            key = mapping.pool_of_vm(vm, set(pool_ids))
            if key is None:
                continue
            counts[key] = counts.get(key, 0) + 1
            resources.append(mapping.resource_from_vm(vm, cluster=key[0], pool=pool_ids[key]))
        pools = [
            mapping.resource_pool_from_node_pool(cluster, pool, counts.get((cluster["name"], pool["name"]), 0))
            for cluster in snapshot.clusters
            for pool in cluster.get("node_pools") or ()
        ]
        zones: dict[str, set[str]] = {}
        for cluster in snapshot.clusters:
            zones.setdefault(mapping.region_of(cluster["location"]), set())
        for pool in pools:
            zones.setdefault(pool.location, set()).update(pool.extensions["gke.zones"])
        for resource in resources:
            zones.setdefault(resource.extensions["gke.site"]["region"], set()).add(resource.extensions["gke.zone"])
        locations, sites = regions_and_zones(zones, cloud="Google Cloud", prefix="gke")
        return Inventory(
            deployment_managers=[mapping.deployment_manager_from_cluster(c) for c in snapshot.clusters],
            resource_pools=sorted(pools, key=lambda p: p.native_id),
            resource_types=[mapping.resource_type_from_machine_type(t) for t in snapshot.machine_types],
            resources=sorted(resources, key=lambda r: r.native_id),
            locations=locations,
            sites=sites,
            fingerprint=snapshot.fingerprint(),
        )

    def collect_inventory(self) -> Inventory:
        return self._mapped(self.snapshot())

    def get_deployment_manager(self, native_id: str) -> DeploymentManager:
        location, _, name = native_id.partition("/")
        if not name:
            raise NotFound(f"no GKE cluster {native_id!r} (ids are <location>/<cluster>)")
        return mapping.deployment_manager_from_cluster(self._cluster(location, name))

    def get_resource_pool(self, native_id: str) -> ResourcePool:
        parts = mapping.split_pool_id(native_id)
        if parts is None:
            raise NotFound(f"no GKE node pool {native_id!r} (ids are <location>/<cluster>/<pool>)")
        location, cluster_name, pool_name = parts
        cluster = self._cluster(location, cluster_name)
        pool = next((p for p in cluster.get("node_pools") or () if p["name"] == pool_name), None)
        if pool is None:
            raise NotFound(f"no node pool {pool_name!r} in GKE cluster {location}/{cluster_name}")
        nodes = [
            vm for vm in self._vms() if mapping.pool_of_vm(vm, {(cluster_name, pool_name)}) == (cluster_name, pool_name)
        ]
        return mapping.resource_pool_from_node_pool(cluster, pool, len(nodes))

    # ------------------------------------------------------------------------------------------ writes

    def _wait(self, operation: container_v1.Operation, doing: str) -> None:
        """Poll a GKE long-running operation until DONE; its error, if any, is the write's."""
        deadline = time.monotonic() + self.timeout
        name = f"projects/{self.project}/locations/{operation.location}/operations/{operation.name}"
        while operation.status != container_v1.Operation.Status.DONE:
            if time.monotonic() > deadline:
                raise BackendUnavailable(
                    f"{doing}: GKE operation {operation.name} still running after {self.timeout:.0f} s"
                )
            time.sleep(self.poll)
            with translated(f"{doing} (polling {operation.name})"):
                operation = self.gke.get_operation(name=name)
        if operation.error and operation.error.message:
            raise BackendUnavailable(f"{doing}: {operation.error.message}")

    def _size(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidRequest(
                f"extensions.{EXT_SIZE} must be a non-negative integer", field=f"extensions.{EXT_SIZE}"
            )
        return value

    def create_resource_pool(self, pool: ResourcePool) -> ResourcePool:
        """CreateNodePool in the cluster `extensions.gke.cluster` (`<location>/<cluster>`), then wait for it."""
        if pool.native_id:
            raise InvalidRequest("native_id: the pool id is <location>/<cluster>/<name>", field="native_id")
        checked_text(pool.name, "name", required=True, max_length=40)
        if pool.description:
            raise InvalidRequest("GKE node pools have no description", field="description")
        ext = pool.extensions
        unknown = sorted(set(ext) - CREATE_KEYS)
        if unknown:
            raise InvalidRequest(
                f"extensions.{unknown[0]} cannot be set on a new node pool", field=f"extensions.{unknown[0]}"
            )
        location, _, cluster = checked_text(
            ext.get("gke.cluster", ""), "extensions.gke.cluster", required=True
        ).partition("/")
        self._cluster(location, cluster)
        node_pool = container_v1.NodePool(
            name=pool.name,
            initial_node_count=self._size(ext.get(EXT_SIZE, 1)),
            config=container_v1.NodeConfig(
                machine_type=checked_text(ext.get("gke.machineType", "e2-standard-4"), "extensions.gke.machineType")
            ),
        )
        if "gke.zones" in ext:
            zones = ext["gke.zones"]
            if not isinstance(zones, list) or not all(isinstance(z, str) and z for z in zones):
                raise InvalidRequest("extensions.gke.zones must be an array of zones", field="extensions.gke.zones")
            node_pool.locations = zones
        doing = f"creating node pool {pool.name!r}"
        with translated(doing, field="name"):
            operation = self.gke.create_node_pool(
                parent=f"projects/{self.project}/locations/{location}/clusters/{cluster}", node_pool=node_pool
            )
        self._wait(operation, doing)
        return self.get_resource_pool(mapping.pool_id(location, cluster, pool.name))

    def update_resource_pool(self, native_id: str, pool: ResourcePool) -> ResourcePool:
        """Resize the node pool (`extensions.gke.nodeCountPerZone`: SetNodePoolSize, then wait). Other keys are
        read-only and accepted back only unchanged."""
        current = self.get_resource_pool(native_id)
        requested = checked_resize(current, pool, native_id, size_key=EXT_SIZE, noun="GKE node pool")
        if requested is not None:
            size = self._size(requested)
            if size != current.extensions.get(EXT_SIZE):
                doing = f"resizing node pool {native_id} to {size} node(s) per zone"
                with translated(doing, field=f"extensions.{EXT_SIZE}"):
                    operation = self.gke.set_node_pool_size(
                        request=container_v1.SetNodePoolSizeRequest(name=self._pool_name(native_id), node_count=size)
                    )
                self._wait(operation, doing)
        return self.get_resource_pool(native_id)

    def _pool_name(self, native_id: str) -> str:
        location, cluster, pool = mapping.split_pool_id(native_id) or ("", "", "")
        return f"projects/{self.project}/locations/{location}/clusters/{cluster}/nodePools/{pool}"

    def delete_resource_pool(self, native_id: str) -> None:
        self.get_resource_pool(native_id)
        doing = f"deleting node pool {native_id}"
        with translated(doing):
            operation = self.gke.delete_node_pool(name=self._pool_name(native_id))
        self._wait(operation, doing)
