"""A fake ONAP A&AI for the ONAP SMO plugin's tests (BACKENDS.md: no runnable A&AI here; a fake checked against
A&AI's published schema). It is a real HTTP server on loopback that:

- stores objects by path under /aai/<version>/ (cloud-regions and their tenants, complexes, pservers, PNFs);
- validates every PUT body with JSON Schema (AAI_SCHEMA below: the node types' properties, required ones and types
  as A&AI v29 defines them), after filling a missing key from the path and a missing defaulted required property
  as A&AI does; unknown properties are refused with 400, which is stricter than A&AI (aai-common's MoxyLoader
  sets no handler for unknown properties, so A&AI does not refuse them) so that a misspelt property fails the
  test instead of going unnoticed;
- enforces `resource-version` optimistic locking as the A&AI schema states it ("Used for optimistic concurrency.
  Must be empty on create, valid on update and delete"): a create carrying one, or an update/delete without the
  current one, is 412; every write gives the object a new resource-version;
- refuses a relationship to an object it does not hold (400), so parents must be written before children;
- runs the bulk single-transaction API (`POST /aai/<version>/bulk/single-transaction`, put and delete operations,
  at most `bulk_limit` of them) as A&AI documents it (aai-common docs/AAI REST API Documentation/bulkApi.rst, and
  aai-resources' BulkSingleTransactionConsumer): operations in order, all committed or all rolled back, the first
  failure's status and an "Operation N ... failed with status code (S)" serviceException; each operation passes
  the same schema and resource-version checks as a single request;
- answers collection GETs (`/cloud-infrastructure/pservers` ...: `{"pserver": [...]}`, 404 when empty) and
  honours `nodes-only=true`;
- answers GET /aai/util/echo; can be told to answer 503 for everything (an A&AI outage).
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import fastjsonschema
import jsonschema

RELATIONSHIP_LIST = {
    "type": "object",
    "properties": {
        "relationship": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["related-to", "related-link"],
                "properties": {
                    "related-to": {"type": "string"},
                    "relationship-label": {"type": "string"},
                    "related-link": {"type": "string"},
                    "relationship-data": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["relationship-key", "relationship-value"],
                            "properties": {
                                "relationship-key": {"type": "string"},
                                "relationship-value": {"type": "string"},
                            },
                        },
                    },
                },
            },
        }
    },
}


def _node(
    keys: tuple[str, ...],
    required: list[str],
    strings: list[str],
    booleans: tuple[str, ...] = (),
    integers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One node type's scalar properties as JSON Schema. The keys and the required properties with a default value
    are not in `required`: A&AI takes a missing key from the URI and fills a missing defaulted property (see
    `_write`), so only the others are refused when absent."""
    properties: dict[str, Any] = {name: {"type": "string"} for name in [*keys, *required, *strings, *COMMON]}
    properties.update({name: {"type": "boolean"} for name in booleans})
    properties.update({name: {"type": "integer"} for name in integers})
    properties["relationship-list"] = RELATIONSHIP_LIST
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


# Properties every node type below has (aai_oxm_v29.xml).
COMMON = ["resource-version", "data-owner", "data-source", "data-source-version"]
# String properties pserver and pnf both have.
DEVICE = [
    "equip-type",
    "equip-vendor",
    "equip-model",
    "serial-number",
    "ipaddress-v4-loopback-0",
    "ipaddress-v6-loopback-0",
    "ipaddress-v4-aim",
    "ipaddress-v6-aim",
    "ipaddress-v6-oam",
    "inv-status",
    "prov-status",
    "management-option",
    "operational-status",
    "ops-note",
]

# The five A&AI node types netweave writes: their keys, required properties, and the scalar properties A&AI v29
# defines for them (aai-schema-service, aai-schema/src/main/resources/onap/oxm/v29/aai_oxm_v29.xml; the plugin
# README says which commit). Child containers (tenants, p-interfaces, ...) are not accepted inline: netweave writes
# children by their own path.
AAI_SCHEMA: dict[str, dict[str, Any]] = {
    "cloud-region": _node(
        ("cloud-owner", "cloud-region-id"),
        [],
        [
            "cloud-type",
            "owner-defined-type",
            "cloud-region-version",
            "identity-url",
            "cloud-zone",
            "complex-name",
            "sriov-automation",
            "cloud-extra-info",
            "cloud-function",
            "cloud-role",
            "ops-note",
            "cloud-region-number-definition",
            "status",
            "upgrade-cycle",
        ],
        ("orchestration-disabled", "in-maint"),
        ("cloud-region-number",),
    ),
    "tenant": _node(
        ("tenant-id",), ["tenant-name"], ["tenant-context", "parent-id", "production-state", "support-model"]
    ),
    "complex": _node(
        ("physical-location-id",),
        ["physical-location-type", "street1", "city", "postal-code", "country", "region"],
        [
            "data-center-code",
            "complex-name",
            "identity-url",
            "time-zone",
            "street2",
            "state",
            "latitude",
            "longitude",
            "elevation",
            "lata",
        ],
    ),
    "pserver": _node(
        ("hostname",),
        [],
        [
            *DEVICE,
            "ptnii-equip-name",
            "fqdn",
            "pserver-selflink",
            "ipv4-oam-address",
            "pserver-id",
            "internet-topology",
            "pserver-name2",
            "purpose",
            "host-profile",
            "role",
            "function",
        ],
        ("in-maint",),
        ("number-of-cpus", "disk-in-gigabytes", "ram-in-megabytes"),
    ),
    "pnf": _node(
        ("pnf-name",),
        [],
        [
            *DEVICE,
            "pnf-name2",
            "selflink",
            "pnf-name2-source",
            "pnf-id",
            "nf-naming-code",
            "network-operating-system",
            "nf-function",
            "orchestration-status",
            "ipaddress-v4-oam",
            "sw-version",
            "frame-id",
            "nf-role",
            "admin-status",
            "model-customization-id",
            "model-invariant-id",
            "model-version-id",
            "config-validation-request-id",
            "config-validation-status",
            "nf-type",
            "common-base-indicator",
            "equipment-clli",
            "pnf-ipv4-address",
            "pnf-ipv6-address",
            "phone-number",
        ],
        ("in-maint", "spare-equipment-indicator"),
    ),
}
# The OXM's `requires`: A&AI refuses one of a pnf's model ids without the other.
AAI_SCHEMA["pnf"]["dependencies"] = {
    "model-invariant-id": ["model-version-id"],
    "model-version-id": ["model-invariant-id"],
}
# Required properties with a default value (`defaultValue` in the OXM): A&AI's validator fills them in when a PUT
# leaves them out (aai-common's DefaultFields resolver) instead of refusing the PUT.
DEFAULTS: dict[str, dict[str, Any]] = {
    "cloud-region": {"orchestration-disabled": False, "in-maint": False},
    "pserver": {"in-maint": False},
    "pnf": {"in-maint": False, "spare-equipment-indicator": False},
}

# Path patterns under /aai/<version>: node type and the key properties its last segments give.
PATHS = [
    (
        re.compile(r"^/cloud-infrastructure/cloud-regions/cloud-region/([^/]+)/([^/]+)$"),
        "cloud-region",
        ("cloud-owner", "cloud-region-id"),
    ),
    (
        re.compile(r"^/cloud-infrastructure/cloud-regions/cloud-region/[^/]+/[^/]+/tenants/tenant/([^/]+)$"),
        "tenant",
        ("tenant-id",),
    ),
    (re.compile(r"^/cloud-infrastructure/complexes/complex/([^/]+)$"), "complex", ("physical-location-id",)),
    (re.compile(r"^/cloud-infrastructure/pservers/pserver/([^/]+)$"), "pserver", ("hostname",)),
    (re.compile(r"^/network/pnfs/pnf/([^/]+)$"), "pnf", ("pnf-name",)),
]


# Compiled to Python once (fastjsonschema): interpreting the schema per body (jsonschema) was about 85% of the fake's
# time per object in the 100k northbound bench. The schemas are the same dicts; jsonschema checks they are valid.
for _schema in AAI_SCHEMA.values():
    jsonschema.Draft7Validator.check_schema(_schema)
VALIDATORS = {node_type: fastjsonschema.compile(schema) for node_type, schema in AAI_SCHEMA.items()}

# Collection GETs (plural paths): node type of their items, and the items' path pattern.
COLLECTIONS = {
    "/cloud-infrastructure/cloud-regions": "cloud-region",
    "/cloud-infrastructure/complexes": "complex",
    "/cloud-infrastructure/pservers": "pserver",
    "/network/pnfs": "pnf",
}
BULK_ACTIONS = {"put": "PUT", "delete": "DELETE"}  # A&AI also has patch; netweave does not send it
VERSION_PREFIX = re.compile(r"^/aai/v\d+")


@dataclass
class FakeAai:
    version: str = "v29"
    bulk_limit: int = 30  # A&AI's aai.bulkconsumer.payloadlimit default
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    outage: bool = False
    _versions: Any = field(default_factory=lambda: itertools.count(1_700_000_000_000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def of_type(self, node_type: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {p: dict(o) for p, o in self.objects.items() if _node_type(p) == node_type}

    def statuses(self, status: int) -> int:
        return sum(1 for _, _, s in self.requests if s == status)

    def handle(self, method: str, raw_path: str, body: bytes) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self.outage:
            return 503, {"requestError": {"serviceException": {"text": "A&AI unavailable"}}}
        if parts.path == "/aai/util/echo":
            return 200, {"ok": True}
        prefix = f"/aai/{self.version}"
        if not parts.path.startswith(prefix + "/"):
            return 404, None
        path = parts.path[len(prefix) :]
        if path == "/bulk/single-transaction":
            return self._bulk(body) if method == "POST" else (405, None)
        if method == "GET" and path in COLLECTIONS:
            return self._list(path, query)
        node_type = _node_type(path)
        if node_type is None:
            return 404, None
        with self._lock:
            if method == "GET":
                current = self.objects.get(path)
                return (200, _shaped(current, query)) if current is not None else (404, None)
            try:
                data = json.loads(body) if method == "PUT" else None
            except ValueError as exc:
                return 400, _error(f"invalid {node_type}: {exc}")
            return self._write(method, path, node_type, query, data, [])

    def _list(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        node_type = COLLECTIONS[path]
        with self._lock:
            items = [_shaped(o, query) for p, o in self.objects.items() if _node_type(p) == node_type]
        return (200, {node_type: items}) if items else (404, _error(f"no {node_type} found"))

    def _write(
        self, method: str, path: str, node_type: str, query: dict[str, str], data: Any, journal: list[Any]
    ) -> tuple[int, Any]:
        """One PUT or DELETE, with the lock held; `journal` gets (path, previous object or None) to roll back."""
        current = self.objects.get(path)
        if method == "DELETE":
            if current is None:
                return 404, _error(f"{node_type} not found")
            if query.get("resource-version") != current["resource-version"]:
                return 412, _error(f"Precondition Failed:resource-version MISMATCH for delete of {node_type}")
            for other in [p for p in self.objects if p == path or p.startswith(path + "/")]:
                journal.append((other, self.objects.pop(other)))
            return 204, None
        if method != "PUT":
            return 405, None
        keys = _path_keys(path)
        if isinstance(data, dict):
            # As A&AI's PUT validation does (aai-common RESTAPI.validateIntrospector): a missing key comes from the
            # URI (InjectKeysFromURI), a missing required property with a default gets it (DefaultFields).
            data = {**DEFAULTS.get(node_type, {}), **keys, **data}
        try:
            VALIDATORS[node_type](data)
        except fastjsonschema.JsonSchemaException as exc:
            return 400, _error(f"invalid {node_type}: {exc.message}")
        if any(str(data[key]) != value for key, value in keys.items()):
            return 400, _error("uri and payload keys don't match")
        if node_type == "tenant" and path.rsplit("/tenants/", 1)[0] not in self.objects:
            return 404, _error("parent cloud-region not found")
        for relation in data.get("relationship-list", {}).get("relationship", []):
            link = urlsplit(relation["related-link"]).path
            target = VERSION_PREFIX.sub("", link)
            if target not in self.objects:
                return 400, _error(f"related object {relation['related-link']} not found")
        given = data.get("resource-version")
        if current is None and given:
            return 412, _error("resource-version passed for create")
        if current is not None and given != current["resource-version"]:
            return 412, _error("resource-version missing or stale for update")
        data["resource-version"] = str(next(self._versions))
        journal.append((path, current))
        self.objects[path] = data
        return (201 if current is None else 200), None

    def _bulk(self, body: bytes) -> tuple[int, Any]:
        """POST /bulk/single-transaction (A&AI's bulkApi.rst and BulkSingleTransactionConsumer): the operations run
        in order in one transaction; the first failure rolls all back and answers its status."""
        try:
            operations = json.loads(body).get("operations")
        except (ValueError, AttributeError):
            return 400, _error("Input payload does not follow bulk/single-transaction interface")
        if not isinstance(operations, list) or not operations:
            return 400, _error("Payload has no objects to operate on")
        if len(operations) > self.bulk_limit:
            return 400, _error(f"Payload Limit Reached, reduce payload: Allowed limit = {self.bulk_limit}")
        problems = []
        for i, op in enumerate(operations):
            if not isinstance(op, dict) or not op.get("action"):
                problems.append(f"Operation {i} missing 'action'")
            elif op["action"] not in BULK_ACTIONS:
                problems.append(f"Operation {i} has invalid action '{op['action']}'")
            if not isinstance(op, dict) or not op.get("uri"):
                problems.append(f"Operation {i} missing 'uri'")
            if not isinstance(op, dict) or op.get("body") is None:
                problems.append(f"Operation {i} missing 'body'")
        if problems:
            return 400, _error(f"input payload missing required properties. [{', '.join(problems)}]")
        responses, journal = [], []
        with self._lock:
            for i, op in enumerate(operations):
                parts = urlsplit(VERSION_PREFIX.sub("", "/" + op["uri"].lstrip("/")))
                node_type = _node_type(parts.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if node_type is None:
                    status, answer = 404, _error(f"unknown uri {parts.path}")
                else:
                    method = BULK_ACTIONS[op["action"]]
                    status, answer = self._write(method, parts.path, node_type, query, op["body"], journal)
                if status >= 300:
                    for path, previous in reversed(journal):
                        if previous is None:
                            self.objects.pop(path, None)
                        else:
                            self.objects[path] = previous
                    text = (answer or {}).get("requestError", {}).get("serviceException", {}).get("text", "")
                    return status, _error(
                        f"Operation {i} with action ({op['action']}) on uri ({op['uri']}) failed with status code "
                        f"({status}) and msg ({text})"
                    )
                responses.append(
                    {"action": op["action"], "uri": op["uri"], "response-status-code": status, "response-body": None}
                )
        return 201, {"operation-responses": responses}

    def start(self) -> FakeAai:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and the client's delayed
                # ACK add about 40 ms to every keep-alive request.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if not self.headers.get("X-FromAppId") or not self.headers.get("X-TransactionId"):
                    status, answer = 400, _error("X-FromAppId and X-TransactionId are required")
                else:
                    status, answer = fake.handle(self.command, self.path, body)
                with fake._lock:
                    fake.requests.append((self.command, self.path, status))
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = do_PATCH = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _node_type(path: str) -> str | None:
    for pattern, node_type, _ in PATHS:
        if pattern.match(path):
            return node_type
    return None


def _path_keys(path: str) -> dict[str, str]:
    """The key properties an object's path gives (its node type's uriTemplate)."""
    for pattern, _, keys in PATHS:
        match = pattern.match(path)
        if match:
            return dict(zip(keys, match.groups(), strict=True))
    return {}


def _shaped(item: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    """A GET's view of an object: `nodes-only` leaves out its relationship-list."""
    if query.get("nodes-only") == "true":
        return {k: v for k, v in item.items() if k != "relationship-list"}
    return dict(item)


def _error(text: str) -> dict[str, Any]:
    return {"requestError": {"serviceException": {"messageId": "SVC3000", "text": text}}}
