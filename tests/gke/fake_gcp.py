"""A small fake of the two Google Cloud APIs the gke plugin calls, for its tests (there is no emulator).

- GKE's ClusterManager as a real gRPC server (grpcio) built from google-cloud-container's own protobuf types:
  every request and response is the library's message, so the wire format is the published API's by
  construction. It serves the methods the plugin calls: ListClusters, GetCluster, GetNodePool, CreateNodePool,
  DeleteNodePool, SetNodePoolSize and GetOperation. Writes answer a RUNNING Operation that the next GetOperation
  finishes, the way GKE's long-running operations are polled.
- Compute Engine's REST API for the node VMs (aggregated instance list with paging, machine types), whose JSON
  bodies are google-cloud-compute's own message types rendered with `to_json`.
- An OAuth2 token endpoint for service-account credentials: it checks the JWT assertion's RS256 signature with
  the service account's public key and issues a bearer token, which both APIs then require.

One `GcpWorld` holds the state of both APIs: a node pool's size is the number of its VMs, as in GKE, where each
node pool runs as managed instance groups. Started on free loopback ports; gRPC uses local (loopback-only)
channel credentials so the bearer token travels as it does to Google.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import jwt
from google.cloud import compute_v1, container_v1

SERVICE = "google.container.v1.ClusterManager"
GOOGLE = "https://www.googleapis.com/compute/v1"
MACHINE_TYPES = {"e2-standard-4": (4, 16384), "n2-standard-8": (8, 32768), "c3-standard-22": (22, 88064)}
PAGE_SIZE = 500  # Compute's default maxResults


@dataclass
class Vm:
    name: str
    zone: str
    machine_type: str
    cluster: str
    pool: str
    number: int


@dataclass
class GcpWorld:
    """The state behind both fakes; tests arrange it directly (as an operator would in the console)."""

    project: str
    public_key: str
    clusters: dict[tuple[str, str], container_v1.Cluster] = field(default_factory=dict)
    vms: dict[str, Vm] = field(default_factory=dict)
    operations: dict[str, tuple[container_v1.Operation, Callable[[], None], int]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)
    down: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def authorized(self, token: str) -> bool:
        """An access token the token endpoint issued, or a self-signed JWT of the service account (what Google's
        generated clients send when they may: `always_use_jwt_access`)."""
        if token in self.tokens:
            return True
        try:
            jwt.decode(token, self.public_key, algorithms=["RS256"], options={"verify_aud": False})
        except jwt.PyJWTError:
            return False
        return True

    # -- arranging
    def add_cluster(self, location: str, name: str, zones: list[str]) -> container_v1.Cluster:
        cluster = container_v1.Cluster(
            name=name,
            location=location,
            locations=zones,
            endpoint=f"34.1.{len(self.clusters)}.1",
            current_master_version="1.31.4-gke.1000",
            status=container_v1.Cluster.Status.RUNNING,
            self_link=f"https://container.googleapis.com/v1/projects/{self.project}/locations/{location}/clusters/{name}",
        )
        self.clusters[(location, name)] = cluster
        return cluster

    def add_node_pool(
        self,
        location: str,
        cluster: str,
        name: str,
        *,
        nodes: int,
        machine_type: str = "e2-standard-4",
        zones: list[str] | None = None,
    ) -> None:
        owner = self.clusters[(location, cluster)]
        pool = container_v1.NodePool(
            name=name,
            config=container_v1.NodeConfig(machine_type=machine_type, disk_size_gb=100, labels={"pool": name}),
            initial_node_count=nodes,
            locations=zones or list(owner.locations)[:1],
            status=container_v1.NodePool.Status.RUNNING,
            version=owner.current_master_version,
        )
        pool.instance_group_urls = [
            f"{GOOGLE}/projects/{self.project}/zones/{z}/instanceGroupManagers/gke-{cluster}-{name}-grp"
            for z in pool.locations
        ]
        owner.node_pools.append(pool)
        self._resize(owner, name, nodes)

    def pool(self, location: str, cluster: str, name: str) -> container_v1.NodePool | None:
        owner = self.clusters.get((location, cluster))
        return next((p for p in owner.node_pools if p.name == name), None) if owner else None

    def nodes_of(self, cluster: str, pool: str) -> list[str]:
        return sorted(v.name for v in self.vms.values() if v.cluster == cluster and v.pool == pool)

    def _resize(self, cluster: container_v1.Cluster, pool_name: str, per_zone: int) -> None:
        """Each zone of the pool runs `per_zone` VMs (GKE counts node pool sizes per zone)."""
        pool = next(p for p in cluster.node_pools if p.name == pool_name)
        for zone in pool.locations:
            mine = sorted(
                (v for v in self.vms.values() if v.pool == pool_name and v.cluster == cluster.name and v.zone == zone),
                key=lambda v: v.number,
            )
            for vm in mine[per_zone:]:
                del self.vms[vm.name]
            for _ in range(per_zone - len(mine[:per_zone])):
                number = next(self._ids)
                name = f"gke-{cluster.name}-{pool_name}-{number:05d}"
                self.vms[name] = Vm(name, zone, pool.config.machine_type, cluster.name, pool_name, number)

    def _operation(
        self, location: str, kind: container_v1.Operation.Type, target: str, apply: Callable[[], None]
    ) -> container_v1.Operation:
        name = f"operation-{next(self._ids)}"
        operation = container_v1.Operation(
            name=name,
            location=location,
            operation_type=kind,
            status=container_v1.Operation.Status.RUNNING,
            target_link=target,
            self_link=f"https://container.googleapis.com/v1/projects/{self.project}/locations/{location}/operations/{name}",
        )
        self.operations[name] = (operation, apply, 0)
        return operation


def _parts(name: str, *keys: str) -> dict[str, str]:
    """`projects/p/locations/l/clusters/c/...` -> {"projects": p, ...}; KeyError when a part is missing."""
    segments = name.split("/")
    found = dict(zip(segments[0::2], segments[1::2], strict=False))
    return {key: found[key] for key in keys}


class ClusterManager:
    """The gRPC methods. Each validates what GKE validates for these calls that matters to the plugin."""

    def __init__(self, world: GcpWorld) -> None:
        self.world = world

    def _check(self, context: grpc.ServicerContext, method: str) -> None:
        self.world.requests.append(method)
        if self.world.down:
            context.abort(grpc.StatusCode.UNAVAILABLE, "The service is currently unavailable.")
        metadata = dict(context.invocation_metadata())
        if not self.world.authorized(str(metadata.get("authorization", "")).removeprefix("Bearer ")):
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "Request had invalid authentication credentials.")

    def _cluster(self, name: str, context: grpc.ServicerContext) -> tuple[str, container_v1.Cluster]:
        try:
            parts = _parts(name, "projects", "locations", "clusters")
        except KeyError:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid resource name {name!r}.")
        cluster = self.world.clusters.get((parts["locations"], parts["clusters"]))
        if parts["projects"] != self.world.project or cluster is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Not found: {name}.")
        return parts["locations"], cluster

    def _node_pool(
        self, name: str, context: grpc.ServicerContext
    ) -> tuple[str, container_v1.Cluster, container_v1.NodePool]:
        location, cluster = self._cluster(name, context)
        pool_name = name.rsplit("/nodePools/", 1)[-1] if "/nodePools/" in name else ""
        pool = next((p for p in cluster.node_pools if p.name == pool_name), None)
        if pool is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Node pool {pool_name!r} not found.")
        return location, cluster, pool

    def ListClusters(
        self, request: container_v1.ListClustersRequest, context: grpc.ServicerContext
    ) -> container_v1.ListClustersResponse:
        self._check(context, "ListClusters")
        parts = _parts(request.parent, "projects", "locations")
        with self.world.lock:
            clusters = [c for (loc, _), c in sorted(self.world.clusters.items()) if parts["locations"] in ("-", loc)]
            return container_v1.ListClustersResponse(clusters=clusters)

    def GetCluster(
        self, request: container_v1.GetClusterRequest, context: grpc.ServicerContext
    ) -> container_v1.Cluster:
        self._check(context, "GetCluster")
        with self.world.lock:
            return self._cluster(request.name, context)[1]

    def GetNodePool(
        self, request: container_v1.GetNodePoolRequest, context: grpc.ServicerContext
    ) -> container_v1.NodePool:
        self._check(context, "GetNodePool")
        with self.world.lock:
            return self._node_pool(request.name, context)[2]

    def SetNodePoolSize(
        self, request: container_v1.SetNodePoolSizeRequest, context: grpc.ServicerContext
    ) -> container_v1.Operation:
        self._check(context, "SetNodePoolSize")
        with self.world.lock:
            location, cluster, pool = self._node_pool(request.name, context)
            if request.node_count < 0:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "node_count must be non-negative.")
            count = request.node_count
            return self.world._operation(
                location,
                container_v1.Operation.Type.SET_NODE_POOL_SIZE,
                request.name,
                lambda: self.world._resize(cluster, pool.name, count),
            )

    def CreateNodePool(
        self, request: container_v1.CreateNodePoolRequest, context: grpc.ServicerContext
    ) -> container_v1.Operation:
        self._check(context, "CreateNodePool")
        with self.world.lock:
            location, cluster = self._cluster(request.parent, context)
            wanted = request.node_pool
            if not wanted.name or any(p.name == wanted.name for p in cluster.node_pools):
                context.abort(
                    grpc.StatusCode.ALREADY_EXISTS if wanted.name else grpc.StatusCode.INVALID_ARGUMENT,
                    f"Node pool {wanted.name!r} cannot be created.",
                )
            machine = wanted.config.machine_type or "e2-medium"
            if machine not in MACHINE_TYPES:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"Machine type {machine!r} does not exist.")

            def create() -> None:
                self.world.add_node_pool(
                    location,
                    cluster.name,
                    wanted.name,
                    nodes=wanted.initial_node_count,
                    machine_type=machine,
                    zones=list(wanted.locations) or None,
                )

            return self.world._operation(
                location,
                container_v1.Operation.Type.CREATE_NODE_POOL,
                f"{request.parent}/nodePools/{wanted.name}",
                create,
            )

    def DeleteNodePool(
        self, request: container_v1.DeleteNodePoolRequest, context: grpc.ServicerContext
    ) -> container_v1.Operation:
        self._check(context, "DeleteNodePool")
        with self.world.lock:
            location, cluster, pool = self._node_pool(request.name, context)

            def delete() -> None:
                self.world._resize(cluster, pool.name, 0)
                cluster.node_pools.remove(pool)

            return self.world._operation(location, container_v1.Operation.Type.DELETE_NODE_POOL, request.name, delete)

    def GetOperation(
        self, request: container_v1.GetOperationRequest, context: grpc.ServicerContext
    ) -> container_v1.Operation:
        """RUNNING the first time it is read, then DONE with its change applied."""
        self._check(context, "GetOperation")
        with self.world.lock:
            name = request.name.rsplit("/", 1)[-1]
            if name not in self.world.operations:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Operation {name!r} not found.")
            operation, apply, polls = self.world.operations[name]
            if operation.status != container_v1.Operation.Status.DONE and polls >= 1:
                apply()
                operation.status = container_v1.Operation.Status.DONE
            self.world.operations[name] = (operation, apply, polls + 1)
            return operation


def _handlers(servicer: ClusterManager) -> grpc.GenericRpcHandler:
    methods = {
        "ListClusters": (container_v1.ListClustersRequest, container_v1.ListClustersResponse),
        "GetCluster": (container_v1.GetClusterRequest, container_v1.Cluster),
        "GetNodePool": (container_v1.GetNodePoolRequest, container_v1.NodePool),
        "SetNodePoolSize": (container_v1.SetNodePoolSizeRequest, container_v1.Operation),
        "CreateNodePool": (container_v1.CreateNodePoolRequest, container_v1.Operation),
        "DeleteNodePool": (container_v1.DeleteNodePoolRequest, container_v1.Operation),
        "GetOperation": (container_v1.GetOperationRequest, container_v1.Operation),
    }
    return grpc.method_handlers_generic_handler(
        SERVICE,
        {
            name: grpc.unary_unary_rpc_method_handler(
                getattr(servicer, name),
                request_deserializer=request.deserialize,
                response_serializer=response.serialize,
            )
            for name, (request, response) in methods.items()
        },
    )


def _instance_json(world: GcpWorld, vm: Vm) -> dict[str, Any]:
    zone_url = f"{GOOGLE}/projects/{world.project}/zones/{vm.zone}"
    message = compute_v1.Instance(
        name=vm.name,
        id=10_000_000 + vm.number,
        zone=zone_url,
        machine_type=f"{zone_url}/machineTypes/{vm.machine_type}",
        status="RUNNING",
        labels={"goog-k8s-cluster-name": vm.cluster, "goog-k8s-node-pool-name": vm.pool},
        network_interfaces=[
            compute_v1.NetworkInterface(network_i_p=f"10.128.{vm.number // 250}.{vm.number % 250 + 2}")
        ],
        self_link=f"{zone_url}/instances/{vm.name}",
        creation_timestamp="2026-12-01T08:00:00.000-08:00",
    )
    return json.loads(compute_v1.Instance.to_json(message))


class _ComputeHandler(BaseHTTPRequestHandler):
    world: GcpWorld
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"error": {"code": status, "message": message, "errors": [{"message": message}]}})

    def do_POST(self) -> None:
        """The OAuth2 token endpoint of the service account's `token_uri`."""
        body = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
        if self.path != "/token" or body.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            self._error(400, "unsupported grant")
            return
        try:
            claims = jwt.decode(
                body["assertion"][0], self.world.public_key, algorithms=["RS256"], options={"verify_aud": False}
            )
        except (jwt.PyJWTError, KeyError):
            self._send(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            return
        token = f"ya29.fake-{next(self.world._ids)}-{claims['iss'].split('@')[0]}"
        self.world.tokens.add(token)
        self._send(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def do_GET(self) -> None:
        world = self.world
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        world.requests.append(f"GET {url.path}")
        if world.down:
            self._error(503, "The service is currently unavailable.")
            return
        if not world.authorized(self.headers.get("Authorization", "").removeprefix("Bearer ")):
            self._error(401, "Request had invalid authentication credentials.")
            return
        segments = url.path.strip("/").split("/")
        with world.lock:
            if segments[:2] != ["compute", "v1"] or segments[3:4] != [world.project]:
                self._error(404, f"The resource '{url.path}' was not found")
            elif segments[4:] == ["aggregated", "instances"]:
                self._aggregated(query)
            elif len(segments) == 8 and segments[4] == "zones" and segments[6] == "machineTypes":
                self._machine_type(segments[5], segments[7])
            else:
                self._error(404, f"The resource '{url.path}' was not found")

    def _aggregated(self, query: dict[str, list[str]]) -> None:
        """Pages of `maxResults` VMs (default 500), continued by `pageToken` (an offset here)."""
        size = int(query.get("maxResults", [PAGE_SIZE])[0])
        start = int(query.get("pageToken", ["0"])[0] or 0)
        vms = sorted(self.world.vms.values(), key=lambda v: (v.zone, v.name))
        page = vms[start : start + size]
        items: dict[str, dict[str, Any]] = {}
        for vm in page:
            items.setdefault(f"zones/{vm.zone}", {"instances": []})["instances"].append(_instance_json(self.world, vm))
        body: dict[str, Any] = {
            "kind": "compute#instanceAggregatedList",
            "id": f"projects/{self.world.project}/aggregated/instances",
            "items": items,
        }
        if start + size < len(vms):
            body["nextPageToken"] = str(start + size)
        compute_v1.InstanceAggregatedList.from_json(json.dumps(body))  # the published message type accepts it
        self._send(200, body)

    def _machine_type(self, zone: str, name: str) -> None:
        if name not in MACHINE_TYPES:
            self._error(
                404, f"The resource 'projects/{self.world.project}/zones/{zone}/machineTypes/{name}' was not found"
            )
            return
        cpus, memory = MACHINE_TYPES[name]
        zone_url = f"{GOOGLE}/projects/{self.world.project}/zones/{zone}"
        message = compute_v1.MachineType(
            name=name,
            guest_cpus=cpus,
            memory_mb=memory,
            zone=zone,
            kind="compute#machineType",
            description=f"{cpus} vCPUs, {memory // 1024} GB RAM",
            self_link=f"{zone_url}/machineTypes/{name}",
        )
        self._send(200, json.loads(compute_v1.MachineType.to_json(message)))


@dataclass
class FakeGcp:
    world: GcpWorld
    grpc_server: grpc.Server
    grpc_endpoint: str
    http_server: ThreadingHTTPServer
    compute_endpoint: str

    @property
    def token_uri(self) -> str:
        return f"{self.compute_endpoint}/token"

    def stop(self) -> None:
        self.grpc_server.stop(grace=None)
        self.http_server.shutdown()
        self.http_server.server_close()


def start(project: str, public_key: str) -> FakeGcp:
    world = GcpWorld(project=project, public_key=public_key)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((_handlers(ClusterManager(world)),))
    port = server.add_secure_port("127.0.0.1:0", grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP))
    server.start()
    handler = type("Handler", (_ComputeHandler,), {"world": world})
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=http.serve_forever, name="fake-compute", daemon=True).start()
    return FakeGcp(world, server, f"127.0.0.1:{port}", http, f"http://127.0.0.1:{http.server_address[1]}")
