"""A small fake of Argo CD's API server (the Application calls the argocd plugin's REST mode makes), checked
against Argo CD's own published OpenAPI: `assets/swagger.json` of the Go module at the version whose CRDs
tests/argocd_harness.py applies, read from the same module zip (Go module proxy, Go module cache).

Every request the fake handles is checked against swagger.json before it is served: the path and method are an
operation of the document, each query parameter is one of that operation's, and the JSON body validates against
the body parameter's schema; every response body validates against the operation's 200 (or `default`,
runtimeError) schema. The schemas are made strict for the check (an object definition with `properties`
refuses other keys), so a misspelt field fails too. A failed check is recorded in `problems` and answered 500;
the fixture asserts there were none.

Behind the checks, the fake keeps Applications in memory and plays Argo CD's controller on each request, as
tests/argocd_harness.py does on the API server: an automated Application whose spec changed is synced (status
as the real controller writes it); a manual one stays OutOfSync until `/sync`; `/rollback` is refused while
auto-sync is on (Argo CD's rule), else deploys the history entry's source at its revision.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
import uuid
import zipfile
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from jsonschema import Draft4Validator

from tests.argocd_harness import ARGOCD_MODULE, ARGOCD_VERSION, synced_status
from tests.crd_modules import module_zip

TOKEN = "argocd-test-token-" + uuid.uuid4().hex
LOOSE = frozenset({"runtimeRawExtension"})  # RawExtension carries any JSON (valuesObject)


def swagger() -> dict[str, Any]:
    with zipfile.ZipFile(module_zip(ARGOCD_MODULE, ARGOCD_VERSION)) as archive:
        return dict(json.loads(archive.read(f"{ARGOCD_MODULE}@{ARGOCD_VERSION}/assets/swagger.json")))


def strict_definitions(definitions: Mapping[str, Any]) -> dict[str, Any]:
    """The definitions, each object with `properties` refusing other keys, except where that would be wrong: a
    definition composed with allOf, the parts it is composed of (each part sees all the keys), RawExtension."""
    strict = copy.deepcopy(dict(definitions))
    parts = {
        str(part.get("$ref", "")).rsplit("/", 1)[-1] for schema in strict.values() for part in schema.get("allOf") or []
    }
    for name, schema in strict.items():
        if name in LOOSE | parts or "allOf" in schema or "additionalProperties" in schema or "properties" not in schema:
            continue
        schema["additionalProperties"] = False
    return strict


class SwaggerCheck:
    """Operations and schemas of swagger.json, for checking what the fake receives and answers."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.definitions = strict_definitions(document["definitions"])
        self.operations: list[tuple[re.Pattern[str], str, dict[str, Any]]] = []
        for template, methods in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "([^/]+)", template) + "$")
            for method, operation in methods.items():
                self.operations.append((pattern, method.upper(), operation))

    def operation(self, method: str, path: str) -> dict[str, Any]:
        for pattern, known, operation in self.operations:
            if known == method and pattern.match(path):
                return operation
        raise AssertionError(f"{method} {path} is not an operation of Argo CD's API")

    def errors(self, schema: Mapping[str, Any], instance: Any, what: str) -> list[str]:
        validator = Draft4Validator({**dict(schema), "definitions": self.definitions})
        return [
            f"{what}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(instance)
        ]

    def request(self, method: str, path: str, query: Mapping[str, Any], body: Any) -> list[str]:
        operation = self.operation(method, path)
        parameters = operation.get("parameters") or []
        allowed = {p["name"] for p in parameters if p["in"] == "query"}
        problems = [
            f"{method} {path}: query parameter {name} is not Argo CD's" for name in query if name not in allowed
        ]
        schema = next((p["schema"] for p in parameters if p["in"] == "body"), None)
        if schema is None and body is not None:
            problems.append(f"{method} {path}: takes no body")
        if schema is not None:
            problems += self.errors(schema, body, f"{method} {path} request")
        return problems

    def response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        responses = self.operation(method, path)["responses"]
        schema = (responses.get("200") if status == 200 else responses.get("default")) or {}
        return self.errors(schema.get("schema") or {}, body, f"{method} {path} response {status}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class FakeArgoCD:
    """The Applications and the controller's part; `handle` serves one checked request."""

    def __init__(self, check: SwaggerCheck) -> None:
        self.check = check
        self.apps: dict[tuple[str, str], dict[str, Any]] = {}
        self.problems: list[str] = []
        self.calls: list[str] = []
        self.lock = threading.Lock()

    # -- the controller

    def reconcile(self) -> None:
        for app in self.apps.values():
            spec, status = app["spec"], app.setdefault("status", {})
            compared = (status.get("sync") or {}).get("comparedTo") or {}
            if compared.get("source") == spec["source"]:
                continue
            if (spec.get("syncPolicy") or {}).get("automated"):
                app["status"] = synced_status(app)
            else:
                sync = status.setdefault("sync", {})
                sync.update(
                    {
                        "status": "OutOfSync",
                        "comparedTo": {"source": spec["source"], "destination": spec["destination"]},
                    }
                )
                status.setdefault("health", {"status": "Missing"})

    def deploy(self, app: dict[str, Any], source: Mapping[str, Any]) -> None:
        """A sync operation of `source` (the spec's, or a history entry's for a rollback)."""
        deployed = {**app, "spec": {**app["spec"], "source": dict(source)}}
        status = synced_status(deployed)
        status["sync"]["comparedTo"]["source"] = app["spec"]["source"]
        if not self._same_content(app["spec"]["source"], source, status["sync"]["revision"]):
            status["sync"]["status"] = "OutOfSync"
        app["status"] = status

    @staticmethod
    def _same_content(spec: Mapping[str, Any], source: Mapping[str, Any], revision: str) -> bool:
        strip = {k: v for k, v in spec.items() if k != "targetRevision"}
        return strip == {k: v for k, v in source.items() if k != "targetRevision"} and spec.get("targetRevision") in (
            source.get("targetRevision"),
            revision,
        )

    # -- the API

    def find(self, namespace: str, name: str) -> dict[str, Any]:
        app = self.apps.get((namespace, name))
        if app is None:
            raise ApiError(404, 5, f'applications.argoproj.io "{name}" not found')
        return app

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        given = body if isinstance(body, dict) else {}
        namespace = (
            query.get("appNamespace")
            or given.get("appNamespace")
            or (given.get("metadata") or {}).get("namespace", "argocd")
        )
        parts = [unquote(p) for p in path.split("/")[4:]]  # after /api/v1/applications
        self.reconcile()
        if not parts:
            if method == "GET":
                wanted = dict(item.split("=", 1) for item in (query.get("selector") or "").split(",") if "=" in item)
                items = [
                    a
                    for (ns, _), a in sorted(self.apps.items())
                    if ns == namespace and all(a["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())
                ]
                return 200, {"items": items, "metadata": {"resourceVersion": str(len(self.calls))}}
            name = body["metadata"]["name"]
            if (namespace, name) in self.apps:
                raise ApiError(409, 6, f"application {name} already exists")
            app = copy.deepcopy(body)
            app["metadata"].update(
                {"namespace": namespace, "uid": str(uuid.uuid4()), "creationTimestamp": _now(), "resourceVersion": "1"}
            )
            self.apps[(namespace, name)] = app
            self.reconcile()
            return 200, app
        name, action = parts[0], (parts[1] if len(parts) > 1 else "")
        app = self.find(namespace, name)
        if method == "GET" and not action:
            return 200, app
        if method == "PUT":
            app["spec"] = copy.deepcopy(body["spec"])
            for key in ("labels", "annotations", "finalizers"):
                if key in body["metadata"]:
                    app["metadata"][key] = copy.deepcopy(body["metadata"][key])
            app["metadata"]["resourceVersion"] = str(int(app["metadata"]["resourceVersion"]) + 1)
            self.reconcile()
            return 200, app
        if method == "DELETE":
            del self.apps[(namespace, name)]  # cascade: the controller removes what it deployed, then the app
            return 200, {}
        if action == "sync":
            self.deploy(app, app["spec"]["source"])
            return 200, app
        if action == "rollback":
            if (app["spec"].get("syncPolicy") or {}).get("automated"):
                raise ApiError(400, 9, "rollback cannot be initiated when auto-sync is enabled")
            entry = next((h for h in app["status"].get("history") or [] if h["id"] == body["id"]), None)
            if entry is None:
                raise ApiError(400, 3, f"application {name} does not have deployment with id {body['id']}")
            self.deploy(app, {**entry["source"], "targetRevision": entry["revision"]})
            return 200, app
        if action == "resource-tree":
            dest = app["spec"]["destination"]["namespace"]
            nodes = [
                {
                    "group": group,
                    "version": "v1",
                    "kind": kind,
                    "namespace": dest,
                    "name": name,
                    "uid": str(uuid.uuid4()),
                    "health": {"status": "Healthy"},
                }
                for group, kind in (("apps", "Deployment"), ("", "Service"))
            ]
            return 200, {"nodes": nodes}
        raise ApiError(404, 5, f"{method} {path}")

    def serve(self, method: str, raw_path: str, headers: Mapping[str, str], raw_body: bytes) -> tuple[int, bytes]:
        url = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self.lock:
            self.calls.append(f"{method} {url.path}")
            try:
                body = json.loads(raw_body) if raw_body else None
            except ValueError:
                body = None
                self.problems.append(f"{method} {url.path}: body is not JSON")
            self.problems += self.check.request(method, url.path, query, body)
            if headers.get("Authorization") != f"Bearer {TOKEN}":
                status, answer = 401, {"error": "invalid session", "code": 16, "message": "invalid session"}
            else:
                try:
                    status, answer = self.handle(method, url.path, query, body)
                    answer = copy.deepcopy(answer)
                except ApiError as exc:
                    status, answer = exc.status, {"error": exc.message, "code": exc.code, "message": exc.message}
            found = self.check.response(method, url.path, status, answer)
            self.problems += found
            if found:
                status, answer = 500, {"error": "fake: response off Argo CD's schema", "code": 13, "message": found[0]}
        return status, json.dumps(answer).encode()


def _handler(fake: FakeArgoCD) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = fake.serve(self.command, self.path, dict(self.headers), self.rfile.read(length))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def argocd_swagger() -> SwaggerCheck:
    return SwaggerCheck(swagger())


@pytest.fixture
def argocd_server(argocd_swagger: SwaggerCheck) -> Iterator[tuple[str, FakeArgoCD]]:
    """The fake Argo CD API server on a loopback port: (its URL, the fake). Fails the test on any request or
    response off Argo CD's published schema."""
    fake = FakeArgoCD(argocd_swagger)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", fake
    server.shutdown()
    server.server_close()
    assert not fake.problems, "\n".join(fake.problems[:10])
