"""The plugin's connection to one API server, on the official `kubernetes` client.

Objects travel as the API server's own JSON (camelCase dicts), parsed with orjson: the client's generated model
classes are slow to build for thousands of Nodes and do not exist for custom resources. Every call goes through
`ApiClient.call_api` (the client's configuration, TLS, authentication and connection pool) and every failure is
turned into a PluginError whose detail is safe to show: a status and reason from the API server, or the kind of
network failure, never a credential.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import urllib3
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.watch.watch import iter_resp_lines
from urllib3.util.retry import Retry

from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    PluginError,
)
from plugins.sdk.untrusted import load_yaml

MACHINE_GROUP = "machine.openshift.io"
MACHINE_VERSION = "v1beta1"


@dataclass(frozen=True)
class Source:
    """One kind of API object the plugin reads (and watches)."""

    key: str
    group: str
    version: str
    plural: str
    namespaced: bool

    def path(self, namespace: str, name: str = "") -> str:
        root = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        where = f"/namespaces/{namespace}" if self.namespaced else ""
        return f"{root}{where}/{self.plural}" + (f"/{name}" if name else "")


NODES = Source("nodes", "", "v1", "nodes", namespaced=False)
STORAGE_CLASSES = Source("storageclasses", "storage.k8s.io", "v1", "storageclasses", namespaced=False)
MACHINE_SETS = Source("machinesets", MACHINE_GROUP, MACHINE_VERSION, "machinesets", namespaced=True)
MACHINES = Source("machines", MACHINE_GROUP, MACHINE_VERSION, "machines", namespaced=True)


@dataclass(frozen=True)
class AccessData:
    """What the native_k8sapi profile hands out: how to reach and authenticate to the cluster's API."""

    server: str
    ca_cert: str
    user: str
    client_cert: str
    client_key: str = field(repr=False)


@dataclass(frozen=True)
class ServiceAccountToken:
    """A bearer token the API server issued for a ServiceAccount (TokenRequest), and when it expires (RFC 3339)."""

    token: str = field(repr=False)
    expiration: str


class ResourceExpired(BackendUnavailable):
    """410 Gone: the resourceVersion a watch asked for is no longer kept; relist and watch from the new one."""


THROTTLED_RETRIES = 8
THROTTLED_WAIT_MAX_SECONDS = 5


def throttling_retries() -> Retry:
    """urllib3 retries for one answer only, 429 Too Many Requests, after its Retry-After (capped).

    The API server answers 429 when API Priority and Fairness sheds load, and while the watch cache of a resource is
    still initializing, as it is for a few seconds after a CRD is created. The request did not run, so every method
    is safe to repeat; client-go does the same. Nothing else is retried: an outage or a refusal must show at once,
    and the callers (sync, watcher, lifecycle worker) retry on their own schedule.
    """
    return Retry(
        total=None,
        connect=0,
        read=0,
        redirect=0,
        other=0,
        status=THROTTLED_RETRIES,
        status_forcelist={429},
        allowed_methods=None,
        backoff_factor=0.25,
        backoff_max=2,
        respect_retry_after_header=True,
        retry_after_max=THROTTLED_WAIT_MAX_SECONDS,
        raise_on_status=False,
    )


def _status_message(exc: ApiException) -> str:
    try:
        body = orjson.loads(exc.body or b"{}")
    except orjson.JSONDecodeError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return str(message or exc.reason or "")


def translate(exc: BaseException, what: str) -> PluginError:
    """A client or network failure as the PluginError the O2 API maps to a ProblemDetails."""
    if isinstance(exc, PluginError):
        return exc
    if isinstance(exc, ApiException):
        status, message = exc.status or 0, _status_message(exc)
        if status in (401, 403):
            return AuthenticationFailed(f"the Kubernetes API refused {what}: {status} {exc.reason}")
        if status == 404:
            return NotFound(f"{what}: not found on the Kubernetes API server")
        if status == 409:
            return Conflict(f"{what}: {message}")
        if status == 410:
            return ResourceExpired(f"{what}: {message or 'resource version expired'}")
        if status in (400, 422):
            return InvalidRequest(f"{what}: the Kubernetes API server rejected it: {message}")
        return BackendUnavailable(f"{what}: the Kubernetes API server answered {status} {exc.reason}")
    if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
        return BackendUnavailable(f"{what}: the Kubernetes API server is unreachable ({type(exc).__name__})")
    return BackendUnavailable(f"{what}: unexpected {type(exc).__name__}")


def _load_kubeconfig(text: str, context: str) -> tuple[client.Configuration, dict[str, Any]]:
    data = load_yaml(text, source="kubeconfig", field_name="kubeconfig")
    if not isinstance(data, dict):
        raise InvalidRequest("kubeconfig is not a kubeconfig document", field="kubeconfig")
    configuration = client.Configuration()
    try:
        # The loader may write embedded certificates to temporary files, which is what urllib3 needs.
        loader = config.kube_config.KubeConfigLoader(config_dict=data, active_context=context or None)
        loader.load_and_set(configuration)
    except (ConfigException, KeyError, TypeError, ValueError) as exc:
        # The loader's messages name contexts and users, not credential values.
        raise InvalidRequest(f"kubeconfig cannot be used: {type(exc).__name__}", field="kubeconfig") from None
    return configuration, data


def _access_from_kubeconfig(data: Mapping[str, Any], context: str) -> AccessData:
    """Server, CA and client certificate of the kubeconfig's (current) context, PEM-decoded."""

    def named(section: str, name: str) -> Mapping[str, Any]:
        for entry in data.get(section) or []:
            if isinstance(entry, Mapping) and entry.get("name") == name:
                return entry
        return {}

    def pem(block: Mapping[str, Any], key: str) -> str:
        if block.get(f"{key}-data"):
            return base64.b64decode(block[f"{key}-data"]).decode()
        if block.get(key):
            with contextlib.suppress(OSError):
                return Path(block[key]).read_text()
        return ""

    context_name = context or data.get("current-context") or ""
    ctx = named("contexts", context_name).get("context") or {}
    cluster = named("clusters", ctx.get("cluster", "")).get("cluster") or {}
    user = named("users", ctx.get("user", "")).get("user") or {}
    return AccessData(
        server=str(cluster.get("server", "")),
        ca_cert=pem(cluster, "certificate-authority"),
        user=str(ctx.get("user", "")),
        client_cert=pem(user, "client-certificate"),
        client_key=pem(user, "client-key"),
    )


class Connection:
    """An authenticated connection to one API server."""

    def __init__(self, *, kubeconfig: str, context: str, in_cluster: bool, timeout: float) -> None:
        self.timeout = timeout
        self.cluster_name = ""
        if in_cluster:
            configuration = client.Configuration()
            try:
                config.load_incluster_config(client_configuration=configuration)
            except ConfigException:
                raise InvalidRequest(
                    "inCluster is set but netweave does not run in a Kubernetes pod", field="inCluster"
                ) from None
            self._access = AccessData(configuration.host, _read(configuration.ssl_ca_cert), "", "", "")
        else:
            configuration, data = _load_kubeconfig(kubeconfig, context)
            self._access = _access_from_kubeconfig(data, context)
            ctx_name = context or data.get("current-context") or ""
            for entry in data.get("contexts") or []:
                if isinstance(entry, Mapping) and entry.get("name") == ctx_name:
                    self.cluster_name = str((entry.get("context") or {}).get("cluster", ""))
        configuration.retries = throttling_retries()
        self.host = configuration.host
        self.api = client.ApiClient(configuration)

    @property
    def access(self) -> AccessData:
        return self._access

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.api.close()

    # -- raw calls

    def request(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, Any]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float | tuple[float, float] | None = None,
        stream: bool = False,
        what: str = "the request",
    ) -> Any:
        """Call the API server; return the parsed JSON body (or the open response with `stream`)."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            response = self.api.call_api(
                path,
                method,
                query_params=query or [],
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=timeout if timeout is not None else self.timeout,
            )
        except Exception as exc:
            raise translate(exc, what) from None
        raw = response[0] if isinstance(response, tuple) else response
        if stream:
            return raw
        try:
            return orjson.loads(raw.data) if raw.data else {}
        except orjson.JSONDecodeError:
            raise BackendUnavailable(f"{what}: the Kubernetes API server sent something that is not JSON") from None

    def version(self) -> dict[str, Any]:
        return dict(self.request("GET", "/version", what="reading the server version"))

    def list(self, source: Source, namespace: str) -> tuple[list[dict[str, Any]], str]:
        """Every object of `source` (paged by the server in chunks of 500), and the list's resourceVersion."""
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query: list[tuple[str, Any]] = [("limit", 500)]
            if token:
                query.append(("continue", token))
            page = self.request("GET", source.path(namespace), query=query, what=f"listing {source.plural}")
            items.extend(page.get("items") or [])
            meta = page.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                return items, str(meta.get("resourceVersion", ""))

    def get(self, source: Source, namespace: str, name: str) -> dict[str, Any]:
        return dict(self.request("GET", source.path(namespace, name), what=f"reading {source.key[:-1]} {name!r}"))

    def create(self, source: Source, namespace: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", source.path(namespace), body=dict(body), what=f"creating a {source.key[:-1]}"))

    def merge_patch(self, source: Source, namespace: str, name: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        return dict(
            self.request(
                "PATCH",
                source.path(namespace, name),
                body=dict(patch),
                content_type="application/merge-patch+json",
                what=f"updating {source.key[:-1]} {name!r}",
            )
        )

    def delete(self, source: Source, namespace: str, name: str) -> None:
        self.request(
            "DELETE",
            source.path(namespace, name),
            body={"propagationPolicy": "Background"},
            what=f"deleting {source.key[:-1]} {name!r}",
        )

    def request_token(self, namespace: str, name: str, seconds: int) -> ServiceAccountToken:
        """A TokenRequest (authentication.k8s.io/v1) for ServiceAccount namespace/name, valid `seconds`, for the API
        server's default audiences (the endpoint of the client's create_namespaced_service_account_token).
        Errors are the usual PluginErrors; the token itself never reaches a message."""
        answer = self.request(
            "POST",
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token",
            body={
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {"expirationSeconds": seconds},
            },
            what=f"requesting a token for ServiceAccount {namespace}/{name}",
        )
        status = answer.get("status") or {}
        if not status.get("token"):
            raise BackendUnavailable(f"the TokenRequest for ServiceAccount {namespace}/{name} returned no token")
        return ServiceAccountToken(str(status["token"]), str(status.get("expirationTimestamp", "")))

    def watch(
        self, source: Source, namespace: str, resource_version: str, timeout_seconds: int
    ) -> tuple[Any, Iterator[dict[str, Any]]]:
        """Open a watch from `resource_version`: the response (close it to stop) and its decoded events."""
        query: list[tuple[str, Any]] = [
            ("watch", "true"),
            ("resourceVersion", resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", timeout_seconds),
        ]
        response = self.request(
            "GET",
            source.path(namespace),
            query=query,
            timeout=(self.timeout, timeout_seconds + self.timeout),
            stream=True,
            what=f"watching {source.plural}",
        )

        def events() -> Iterator[dict[str, Any]]:
            for line in iter_resp_lines(response):
                if line:
                    yield orjson.loads(line)

        return response, events()


def _read(path: str | None) -> str:
    if not path:
        return ""
    with contextlib.suppress(OSError):
        return Path(path).read_text()
    return ""
