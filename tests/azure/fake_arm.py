"""A small fake Azure: the ARM operations the azure IMS plugin calls and an Entra ID token endpoint, over HTTPS on a
free loopback port, in the test process.

Azure has no local emulator for Azure Resource Manager (BACKENDS.md). The real SDK clients (azure-mgmt-
containerservice, azure-mgmt-compute, azure-identity) reach this server through their base URL and authority host;
paths, api-versions and bodies follow Microsoft's REST API specifications for the api-versions the SDK pins
(see plugins/ims/azure/README.md, "The fake ARM"), and tests/azure/arm_spec.py checks every answer against them.
What it enforces, as the plugin must cope with it:

- auth: OpenID discovery and `POST /{tenant}/oauth2/v2.0/token` (client credentials: the client secret, or a
  client assertion JWT signed with the certificate's key); ARM calls without a token it issued are 401;
- paging: lists answer `page_size` items and a `nextLink` to the rest;
- long-running operations: an agent pool PUT answers 201 (new) or 200 (update) and a DELETE 202, each with an
  `Azure-AsyncOperation` URL whose status is `InProgress` on the first read and `Succeeded` on the next one, when
  the change happens (the VMSS instances follow the pool's count);
- throttling (`throttle` requests answer 429 with a Retry-After) and outages (`down`: 503 for everything).

It is not part of netweave: only tests and the bench start it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt

from tests.azure import arm_spec

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "6a2f3c1e-0d1b-4b7e-9a55-3f2e1c0b9a77"
SUBSCRIPTION = "8d5e9c2a-1f3b-4c6d-9e7f-0a1b2c3d4e5f"
SIZES = {  # VM size -> (cores, memory MB)
    "Standard_D4s_v5": (4, 16384),
    "Standard_D8s_v5": (8, 32768),
    "Standard_F16s_v2": (16, 32768),
}


@dataclass
class World:
    """The subscription's state. Tests arrange it with add_cluster/add_pool and read it back."""

    subscription: str = SUBSCRIPTION
    tenant: str = TENANT
    client_id: str = CLIENT_ID
    client_secret: str = field(default_factory=lambda: "s3cr3t~" + secrets.token_urlsafe(24))
    certificate_pem: bytes = b""  # when set, a client assertion signed by its key is accepted too
    page_size: int = 2
    base: str = ""
    clusters: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (rg, name) -> cluster
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)  # answers the spec does not allow (the fixture fails on any)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, operation id, api-version)
    follows: list[str] = field(default_factory=list)  # operation ids of the nextLink pages served
    answers: list[tuple[str, int, Any]] = field(default_factory=list)  # (operation id, status, body) served
    down: bool = False
    throttle: int = 0  # the next N ARM requests answer 429
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_cluster(self, group: str, name: str, location: str = "westeurope") -> None:
        self.clusters[(group, name)] = {
            "location": location,
            "node_group": f"MC_{group}_{name}_{location}",
            "version": "1.33.2",
            "pools": {},
        }

    def add_pool(
        self,
        group: str,
        cluster: str,
        name: str,
        *,
        count: int,
        vm_size: str = "Standard_D4s_v5",
        zones: list[str] | None = None,
        mode: str = "User",
    ) -> None:
        suffix = hashlib.sha256(f"{group}/{cluster}/{name}".encode()).hexdigest()[:8]
        self.clusters[(group, cluster)]["pools"][name] = {
            "count": count,
            "vmSize": vm_size,
            "zones": list(zones or []),
            "mode": mode,
            "state": "Succeeded",
            "vmss": f"aks-{name}-{suffix}-vmss",
            "instances": [],
            "next_instance": 0,
        }
        self._settle(self.clusters[(group, cluster)]["pools"][name])

    def _settle(self, pool: dict[str, Any]) -> None:
        """The VMSS follows the pool's count: new instances get the next ids, a scale-in removes the newest."""
        while len(pool["instances"]) < pool["count"]:
            index = pool["next_instance"]
            pool["next_instance"] += 1
            zones = pool["zones"]
            pool["instances"].append({"id": str(index), "zone": zones[index % len(zones)] if zones else ""})
        del pool["instances"][pool["count"] :]

    def node_count(self, group: str, cluster: str, pool: str) -> int:
        return len(self.clusters[(group, cluster)]["pools"][pool]["instances"])

    def operation_ids(self) -> list[str]:
        return [op for _, op, _ in self.requests]


def _agent_pool_body(world: World, group: str, cluster: str, name: str) -> dict[str, Any]:
    info = world.clusters[(group, cluster)]
    pool = info["pools"][name]
    properties: dict[str, Any] = {
        "count": pool["count"],
        "vmSize": pool["vmSize"],
        "osType": "Linux",
        "osSKU": "Ubuntu",
        "mode": pool["mode"],
        "type": "VirtualMachineScaleSets",
        "maxPods": 110,
        "enableAutoScaling": False,
        "orchestratorVersion": info["version"],
        "currentOrchestratorVersion": info["version"],
        "provisioningState": pool["state"],
        "powerState": {"code": "Running"},
        "nodeLabels": {"netweave.io/pool": name},
    }
    if pool["zones"]:
        properties["availabilityZones"] = pool["zones"]
    return {
        "id": f"/subscriptions/{world.subscription}/resourceGroups/{group}/providers/Microsoft.ContainerService/"
        f"managedClusters/{cluster}/agentPools/{name}",
        "name": name,
        "type": "Microsoft.ContainerService/managedClusters/agentPools",
        "properties": properties,
    }


def _cluster_body(world: World, group: str, name: str) -> dict[str, Any]:
    info = world.clusters[(group, name)]
    return {
        "id": f"/subscriptions/{world.subscription}/resourcegroups/{group}/providers/Microsoft.ContainerService/"
        f"managedClusters/{name}",
        "name": name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "location": info["location"],
        "tags": {"team": "ran"},
        "sku": {"name": "Base", "tier": "Free"},
        "properties": {
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
            "kubernetesVersion": info["version"],
            "currentKubernetesVersion": info["version"],
            "dnsPrefix": f"{name}-dns",
            "fqdn": f"{name}-dns-1a2b3c4d.hcp.{info['location']}.azmk8s.io",
            "nodeResourceGroup": info["node_group"],
            "agentPoolProfiles": [
                {**_agent_pool_body(world, group, name, pool)["properties"], "name": pool}
                for pool in sorted(info["pools"])
            ],
        },
    }


def _vmss_body(world: World, info: dict[str, Any], pool_name: str) -> dict[str, Any]:
    pool = info["pools"][pool_name]
    body: dict[str, Any] = {
        "id": f"/subscriptions/{world.subscription}/resourceGroups/{info['node_group']}/providers/Microsoft.Compute/"
        f"virtualMachineScaleSets/{pool['vmss']}",
        "name": pool["vmss"],
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "location": info["location"],
        "tags": {"aks-managed-poolName": pool_name, "aks-managed-orchestrator": f"Kubernetes:{info['version']}"},
        "sku": {"name": pool["vmSize"], "tier": "Standard", "capacity": pool["count"]},
        "properties": {"provisioningState": "Succeeded", "orchestrationMode": "Uniform"},
    }
    if pool["zones"]:
        body["zones"] = pool["zones"]
    return body


def _vm_body(world: World, info: dict[str, Any], pool_name: str, instance: dict[str, Any]) -> dict[str, Any]:
    pool = info["pools"][pool_name]
    vmss, index = pool["vmss"], instance["id"]
    body: dict[str, Any] = {
        "id": f"/subscriptions/{world.subscription}/resourceGroups/{info['node_group']}/providers/Microsoft.Compute/"
        f"virtualMachineScaleSets/{vmss}/virtualMachines/{index}",
        "name": f"{vmss}_{index}",
        "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
        "location": info["location"],
        "instanceId": index,
        "sku": {"name": pool["vmSize"], "tier": "Standard"},
        "properties": {
            "latestModelApplied": True,
            "vmId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{vmss}/{index}")),
            "provisioningState": "Succeeded",
            "osProfile": {"computerName": f"{vmss.removesuffix('-vmss')}-vmss{int(index):06x}"},
        },
    }
    if instance["zone"]:
        body["zones"] = [instance["zone"]]
    return body


class Handler(BaseHTTPRequestHandler):
    server: FakeArmServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    @property
    def world(self) -> World:
        return self.server.world

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"code": code, "message": message}}, headers)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}") if length else {}

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self.world.lock:
            if self.world.down:
                return self._error(503, "ServiceUnavailable", "The service is temporarily unavailable.")
            if url.path.startswith(f"/{self.world.tenant}/"):
                return self._identity(method, url.path)
            if self.world.throttle > 0:
                self.world.throttle -= 1
                # Azure gives whole seconds; azure-core parses the value as a float, so tests wait 10 ms.
                return self._error(429, "TooManyRequests", "Too many requests.", {"Retry-After": "0.01"})
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in self.world.tokens:
                return self._error(401, "InvalidAuthenticationToken", "The access token is invalid.")
            operation = arm_spec.operation_of(method, url.path)
            if operation is None:
                return self._error(404, "NotFound", f"No route {method} {url.path}.")
            version = query.get("api-version", "")
            self.world.requests.append((method, operation.operation_id, version))
            if version != operation.api_version:
                return self._error(400, "InvalidApiVersionParameter", f"api-version {version!r} is not supported.")
            if "$skiptoken" in query:
                self.world.follows.append(operation.operation_id)
            self._arm(method, operation, operation.match(url.path), query)

    # -------------------------------------------------------------------------------------- Entra ID

    def _identity(self, method: str, path: str) -> None:
        base, tenant = self.server.url, self.world.tenant
        if method == "GET" and path == f"/{tenant}/v2.0/.well-known/openid-configuration":
            return self._send(
                200,
                {
                    "issuer": f"{base}/{tenant}/v2.0",
                    "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
                    "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
                },
            )
        if method == "POST" and path == f"/{tenant}/oauth2/v2.0/token":
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[-1] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if form.get("grant_type") != "client_credentials" or form.get("client_id") != self.world.client_id:
                return self._send(400, {"error": "unauthorized_client", "error_description": "AADSTS700016"})
            if not self._client_proved(form, f"{base}{path}"):
                return self._send(401, {"error": "invalid_client", "error_description": "AADSTS7000215"})
            token = secrets.token_urlsafe(32)
            self.world.tokens.add(token)
            return self._send(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token})
        self._send(404, {"error": "not_found"})

    def _client_proved(self, form: dict[str, str], audience: str) -> bool:
        if "client_secret" in form:
            return secrets.compare_digest(form["client_secret"], self.world.client_secret)
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return False
        if not self.world.certificate_pem:
            return False
        from cryptography import x509

        public_key = x509.load_pem_x509_certificate(self.world.certificate_pem).public_key()
        try:
            claims = jwt.decode(
                form.get("client_assertion", ""), public_key, algorithms=["RS256", "PS256"], audience=audience
            )
        except jwt.PyJWTError:
            return False
        return bool(claims.get("iss") == claims.get("sub") == self.world.client_id)

    # -------------------------------------------------------------------------------------- ARM

    def _page(self, operation: arm_spec.Operation, items: list[dict[str, Any]], query: dict[str, str]) -> None:
        start = int(query.get("$skiptoken", "0"))
        end = start + self.world.page_size
        body: dict[str, Any] = {"value": items[start:end]}
        if end < len(items):
            next_query = urlencode({"api-version": operation.api_version, "$skiptoken": str(end)})
            body["nextLink"] = f"{self.server.url}{urlsplit(self.path).path}?{next_query}"
        self._answer(operation, 200, body)

    def _answer(
        self, operation: arm_spec.Operation, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        try:
            arm_spec.check_response(operation, status, body, headers or {})
        except arm_spec.SpecViolation as exc:
            self.world.violations.append(str(exc))
            return self._error(500, "FakeSpecViolation", str(exc))
        self.world.answers.append((operation.operation_id, status, body))
        self._send(status, body, headers)

    def _arm(self, method: str, operation: arm_spec.Operation, args: dict[str, str], query: dict[str, str]) -> None:
        world = self.world
        if args.get("subscriptionId") != world.subscription:
            return self._error(
                404, "SubscriptionNotFound", f"The subscription {args.get('subscriptionId')!r} could not be found."
            )
        op = operation.operation_id
        group, cluster = args.get("resourceGroupName", ""), args.get("resourceName", "")
        if op in ("ManagedClusters_List", "ManagedClusters_ListByResourceGroup"):
            keys = sorted(k for k in world.clusters if op == "ManagedClusters_List" or k[0].lower() == group.lower())
            return self._page(operation, [_cluster_body(world, *k) for k in keys], query)
        if op == "VirtualMachineSizes_List":
            sizes = [
                {
                    "name": name,
                    "numberOfCores": cores,
                    "memoryInMB": memory,
                    "maxDataDiskCount": 8,
                    "osDiskSizeInMB": 1047552,
                    "resourceDiskSizeInMB": 0,
                }
                for name, (cores, memory) in sorted(SIZES.items())
            ]
            return self._answer(operation, 200, {"value": sizes})
        if op == "AksOperationStatus_Get":
            return self._operation_status(operation, args["operationId"])
        if op == "AksOperationResults_Get":
            return self._send(204)
        if op in ("VirtualMachineScaleSets_List", "VirtualMachineScaleSetVMs_List"):
            node_group = group.lower()
            owners = [info for info in world.clusters.values() if info["node_group"].lower() == node_group]
            if op == "VirtualMachineScaleSets_List":
                items = [_vmss_body(world, info, p) for info in owners for p in sorted(info["pools"])]
                return self._page(operation, items, query)
            for info in owners:
                for name, pool in info["pools"].items():
                    if pool["vmss"] == args["virtualMachineScaleSetName"]:
                        vms = [_vm_body(world, info, name, i) for i in pool["instances"]]
                        return self._page(operation, vms, query)
            return self._error(404, "ResourceNotFound", "The scale set was not found.")
        info = world.clusters.get((group, cluster))
        if info is None:
            return self._error(404, "ResourceNotFound", f"The managed cluster {cluster!r} was not found.")
        if op == "ManagedClusters_Get":
            return self._answer(operation, 200, _cluster_body(world, group, cluster))
        if op == "AgentPools_List":
            return self._page(
                operation, [_agent_pool_body(world, group, cluster, p) for p in sorted(info["pools"])], query
            )
        name = args["agentPoolName"]
        if op == "AgentPools_Get":
            if name not in info["pools"]:
                return self._error(404, "NotFound", f"Agent pool {name!r} not found.")
            return self._answer(operation, 200, _agent_pool_body(world, group, cluster, name))
        if op == "AgentPools_CreateOrUpdate":
            return self._put_pool(operation, info, group, cluster, name, self._body())
        if op == "AgentPools_Delete":
            if name not in info["pools"]:
                return self._send(204)
            info["pools"][name]["state"] = "Deleting"
            headers = self._start(info, lambda: info["pools"].pop(name, None))
            return self._answer(operation, 202, None, headers)
        self._error(405, "MethodNotAllowed", f"{method} is not supported here.")

    def _put_pool(
        self, operation: arm_spec.Operation, info: dict[str, Any], group: str, cluster: str, name: str, body: Any
    ) -> None:
        problem = arm_spec.check_request(operation, body)
        if problem:
            return self._error(400, "InvalidParameter", problem)
        properties = body["properties"]
        count = properties.get("count", 1)
        if not isinstance(count, int) or not 0 <= count <= 1000:
            return self._error(400, "InvalidParameter", "properties.count must be between 0 and 1000.")
        if properties.get("vmSize", "Standard_D4s_v5") not in SIZES:
            return self._error(400, "InvalidParameter", f"The VM size {properties.get('vmSize')!r} is not available.")
        existing = info["pools"].get(name)
        if existing is None:
            self.world.add_pool(
                group,
                cluster,
                name,
                count=0,
                vm_size=properties.get("vmSize", "Standard_D4s_v5"),
                zones=properties.get("availabilityZones"),
                mode=properties.get("mode", "User"),
            )
            existing = info["pools"][name]
            existing["state"], status = "Creating", 201
        else:
            if properties.get("vmSize", existing["vmSize"]) != existing["vmSize"]:
                return self._error(400, "PropertyChangeNotAllowed", "Changing property 'vmSize' is not allowed.")
            existing["state"], status = ("Scaling" if count != existing["count"] else "Updating"), 200
        pool = existing

        def apply() -> None:
            pool["count"], pool["state"] = count, "Succeeded"
            self.world._settle(pool)

        headers = self._start(info, apply)
        self._answer(operation, status, _agent_pool_body(self.world, group, cluster, name), headers)

    def _start(self, info: dict[str, Any], apply: Any) -> dict[str, str]:
        """A long-running operation: its status URL (Azure-AsyncOperation) and result URL (Location)."""
        op_id = str(uuid.uuid4())
        self.world.operations[op_id] = {"polls": 0, "apply": apply, "status": "InProgress"}
        provider = f"{self.server.url}/subscriptions/{self.world.subscription}/providers/Microsoft.ContainerService"
        where = f"{provider}/locations/{info['location']}"
        query = f"api-version={arm_spec.AKS_API_VERSION}"
        return {
            "Azure-AsyncOperation": f"{where}/operations/{op_id}?{query}",
            "Location": f"{where}/operationresults/{op_id}?{query}",
        }

    def _operation_status(self, operation: arm_spec.Operation, op_id: str) -> None:
        state = self.world.operations.get(op_id)
        if state is None:
            return self._error(404, "NotFound", "No such operation.")
        state["polls"] += 1
        if state["status"] == "InProgress" and state["polls"] >= 2:
            state["apply"]()
            state["status"] = "Succeeded"
        body = {
            "id": urlsplit(self.path).path,
            "name": op_id,
            "status": state["status"],
            "startTime": "2026-12-06T21:00:00Z",
        }
        if state["status"] == "Succeeded":
            body["endTime"] = "2026-12-06T21:00:05Z"
        self._answer(operation, 200, body)


class FakeArmServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, world: World, cert_file: str, key_file: str) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.world = world
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FakeArmServer:
        self.world.base = self.url
        self._thread = threading.Thread(target=self.serve_forever, name="fake-arm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
