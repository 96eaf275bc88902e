"""A small fake Dell DTIAS API for the dtias plugin's tests: a real HTTP server on a free loopback port.

Dell publishes no SDK or simulator for DTIAS. This fake follows the public traces of its API (the OpenAPI client
Red Hat's O-Cloud hardware manager plugin generated for DTIAS) and the seed; every assumption beyond them is listed
in plugins/ims/dtias/README.md ("The fake DTIAS"). What it enforces, as the plugin must cope with it:

- auth: `POST /identity/v1/tenant/{tenant}/token/create` (password or refresh_token grant) issues bearer tokens
  that expire after `token_seconds`; any other call without a valid token is 401;
- paging: list endpoints take `pageNumber` (from 1) and `pageSize` (at most MAX_PAGE_SIZE) and answer one page with
  its `Pagination`;
- asynchronous jobs: creating, updating and deleting a resource group answers a `jobid` at once; the change happens
  when the job completes, `job_seconds` later (`GET /v1/tenants/{tenant}/jobs/{jobid}`), or the job fails with a
  `FailReason` (not enough free servers of a profile, an id already taken).

It is not part of netweave: only tests and the bench start it.
"""

from __future__ import annotations

import json
import re
import secrets
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

MAX_PAGE_SIZE = 50
TOKEN_PATH = re.compile(r"^/identity/v1/tenant/(?P<tenant>[^/]+)/token/create$")
API_PATH = re.compile(r"^/v1/tenants/(?P<tenant>[^/]+)/(?P<rest>.+)$")
PROFILES = {  # resource profile id -> (model, cores, memory GiB, disks, NICs)
    "xr8620t-du": ("PowerEdge XR8620t", 32, 256, 2, 4),
    "r760-cu": ("PowerEdge R760", 64, 512, 4, 4),
}


@dataclass
class FakeState:
    tenant: str = "ocloud"
    client_id: str = "netweave"
    username: str = "o2ims"
    password: str = "dtias-Pa55word"
    token_seconds: float = 60.0
    job_seconds: float = 0.3
    servers: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (monotonic)
    refresh_tokens: dict[str, float] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path), for tests
    lock: threading.RLock = field(default_factory=threading.RLock)

    def add_servers(self, count: int, *, site: str = "dallas-edge-1") -> None:
        for index in range(len(self.servers), len(self.servers) + count):
            profile = list(PROFILES)[index % len(PROFILES)]
            model, cores, memory, disks, nics = PROFILES[profile]
            server_id = f"srv-{index:05d}"
            self.servers[server_id] = {
                "Id": server_id,
                "Name": f"edge-{index:05d}",
                "Description": f"Dell {model}",
                "GlobalAssetId": f"SVCTAG{index:05d}",
                "ResourceProfileID": profile,
                "ResourceTypeId": "Server~1.0.0",
                "SiteId": site,
                "Labels": [{"Key": "rack", "Value": f"r{index % 4}"}],
                "Res": {
                    "Manufacturer": "Dell Inc.",
                    "Model": model,
                    "Processor": {"Model": "Intel Xeon Gold 6433N", "Cores": cores},
                    "MemoryGiB": memory,
                    "Disks": disks,
                    "Nics": nics,
                },
                "opState": "ENABLED",
                "provisioningState": "AVAILABLE",
            }

    def free_servers(self, profile: str) -> list[str]:
        used = {s for g in self.groups.values() for sel in g["resourceSelectors"].values() for s in sel["resources"]}
        return sorted(s for s, v in self.servers.items() if v["ResourceProfileID"] == profile and s not in used)

    def settle(self) -> None:
        """Complete the jobs whose time has come (called on every request)."""
        now = time.monotonic()
        for job in self.jobs.values():
            if job["Status"] == "IN_PROGRESS" and now >= job["due"]:
                try:
                    job["apply"]()
                    job["Status"] = "SUCCESS"
                except ValueError as exc:
                    job["Status"] = "FAILED"
                    job["FailReason"] = str(exc)


class Handler(BaseHTTPRequestHandler):
    server: FakeDTIASServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"code": status, "message": message, "details": []})

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return None

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        expiry = self.server.state.tokens.get(token)
        if expiry is None:
            self._error(401, "missing or unknown bearer token")
            return False
        if time.monotonic() >= expiry:
            self._error(401, "token expired")
            return False
        return True

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        with state.lock:
            state.requests.append((method, parts.path))
            state.settle()
            token = TOKEN_PATH.match(parts.path)
            if token and method == "POST":
                return self._token(token["tenant"])
            api = API_PATH.match(parts.path)
            if api is None:
                return self._error(404, f"no route {parts.path}")
            if not self._authorized():
                return None
            if api["tenant"] != state.tenant:
                return self._error(403, f"not a member of tenant {api['tenant']}")
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            return self._api(method, api["rest"], query)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- token endpoint

    def _token(self, tenant: str) -> None:
        state = self.server.state
        body = self._body() or {}
        if tenant != state.tenant or body.get("client_id") != state.client_id:
            return self._error(401, "unknown client")
        grant = body.get("grant_type")
        if grant == "password":
            if (body.get("username"), body.get("password")) != (state.username, state.password):
                return self._error(401, "invalid user credentials")
        elif grant == "refresh_token":
            expiry = state.refresh_tokens.pop(str(body.get("refresh_token")), None)
            if expiry is None or time.monotonic() >= expiry:
                return self._error(401, "invalid refresh token")
        else:
            return self._error(400, "grant_type must be password or refresh_token")
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        state.tokens[access] = time.monotonic() + state.token_seconds
        state.refresh_tokens[refresh] = time.monotonic() + state.token_seconds * 4
        return self._send(
            200,
            {
                "access_token": access,
                "expires_in": state.token_seconds,
                "refresh_token": refresh,
                "refresh_expires_in": state.token_seconds * 4,
                "token_type": "Bearer",
                "scope": "openid",
            },
        )

    # -- the API

    def _page(self, items: list[Any], key: str, query: dict[str, str]) -> None:
        try:
            number = int(query.get("pageNumber", "1"))
            size = int(query.get("pageSize", str(MAX_PAGE_SIZE)))
        except ValueError:
            return self._error(400, "pageNumber and pageSize are integers")
        if number < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return self._error(400, f"pageNumber >= 1, 1 <= pageSize <= {MAX_PAGE_SIZE}")
        start = (number - 1) * size
        total = len(items)
        return self._send(
            200,
            {
                key: items[start : start + size],
                "Pagination": {
                    "PageNumber": number,
                    "PageSize": size,
                    "TotalItems": total,
                    "TotalPages": max(1, -(-total // size)),
                },
            },
        )

    def _api(self, method: str, rest: str, query: dict[str, str]) -> None:
        state = self.server.state
        segments = rest.split("/")
        if segments[:2] == ["inventory", "servers"]:
            if method != "GET":
                return self._error(405, "read only")
            if len(segments) == 3:
                found = state.servers.get(segments[2])
                return self._send(200, {"Server": found}) if found else self._error(404, "no such server")
            return self._page([state.servers[k] for k in sorted(state.servers)], "Servers", query)
        if segments[0] == "jobs" and len(segments) == 2 and method == "GET":
            job = state.jobs.get(segments[1])
            if job is None:
                return self._error(404, "no such job")
            brief = {k: job[k] for k in ("Id", "Status", "StartTime", "FailReason") if k in job}
            return self._send(200, {"brief": brief})
        if segments[0] == "resourcegroups":
            return self._groups(method, segments[1:], query)
        return self._error(404, f"no route {rest}")

    def _groups(self, method: str, segments: list[str], query: dict[str, str]) -> None:
        state = self.server.state
        if not segments and method == "GET":
            return self._page([state.groups[k] for k in sorted(state.groups)], "ResourceGroups", query)
        if not segments and method == "POST":
            request = (self._body() or {}).get("resourceGroup")
            if not isinstance(request, dict) or not request.get("id") or not request.get("name"):
                return self._error(400, "resourceGroup.id and resourceGroup.name are required")
            return self._job(lambda: self._create_group(request))
        group = state.groups.get(segments[0]) if segments else None
        if group is None:
            return self._error(404, "no such resource group")
        if method == "GET":
            return self._send(200, group)
        if method == "PUT":
            request = (self._body() or {}).get("resourceGroup") or {}
            return self._job(lambda: self._update_group(group, request))
        if method == "DELETE":
            return self._job(lambda: self._delete_group(group))
        return self._error(405, "method not allowed")

    def _job(self, apply: Any) -> None:
        state = self.server.state
        job_id = f"job-{uuid.uuid4().hex[:12]}"
        state.jobs[job_id] = {
            "Id": job_id,
            "Status": "IN_PROGRESS",
            "StartTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "due": time.monotonic() + state.job_seconds,
            "apply": apply,
        }
        self._send(200, {"jobid": job_id})

    def _selectors(self, request: dict[str, Any]) -> dict[str, Any]:
        state = self.server.state
        selectors = {}
        taken: set[str] = set()
        for key, selector in (request.get("resourceSelectors") or {}).items():
            profile = selector.get("ResourceProfileId")
            count = int(selector.get("numResources") or 0)
            free = [s for s in state.free_servers(profile) if s not in taken]
            if len(free) < count:
                raise ValueError(f"selector {key}: {count} servers of profile {profile} requested, {len(free)} free")
            chosen = free[:count]
            taken.update(chosen)
            selectors[key] = {
                "rpId": selector.get("rpId", ""),
                "ResourceProfileId": profile,
                "numResources": count,
                "filters": selector.get("filters") or {},
                "resources": chosen,
            }
        return selectors

    def _create_group(self, request: dict[str, Any]) -> None:
        state = self.server.state
        if request["id"] in state.groups:
            raise ValueError(f"resource group {request['id']} already exists")
        state.groups[request["id"]] = {
            "id": request["id"],
            "name": request["name"],
            "description": request.get("description", ""),
            "resourceTypeId": request.get("resourceTypeId", "ResourceGroup~2.1.1"),
            "resourceSelectors": self._selectors(request),
            "state": "ACTIVE",
        }

    def _update_group(self, group: dict[str, Any], request: dict[str, Any]) -> None:
        for key in ("name", "description"):
            if key in request:
                group[key] = request[key]

    def _delete_group(self, group: dict[str, Any]) -> None:
        self.server.state.groups.pop(group["id"], None)


class FakeDTIASServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, state: FakeState, port: int = 0, *, tls: tuple[str, str] | None = None) -> None:
        """`tls`: (certificate file, key file) to serve HTTPS instead of HTTP."""
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.socket = context.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.serve_forever, name="fake-dtias", daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FakeDTIASServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port (again: nothing)."""
        if self.thread.is_alive():
            self.shutdown()
            self.server_close()
