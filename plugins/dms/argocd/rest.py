"""Argo CD's API server, the seed's REST mode: `serverUrl` + `authToken` (a bearer token of an Argo CD account).

The calls are Argo CD's own (assets/swagger.json in its Go module): `GET/POST /api/v1/applications`,
`GET/DELETE /api/v1/applications/{name}`, `PUT /api/v1/applications/{application.metadata.name}`,
`POST .../{name}/sync`, `POST .../{name}/rollback` and `GET .../{applicationName}/resource-tree`; the
Applications namespace goes where each operation takes it (`appNamespace` query parameter, or the body).
Errors come back as grpc-gateway's `runtimeError` ({code, message}); they are mapped
onto netweave's plugin errors with Argo CD's message, never with the token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, Conflict, InvalidRequest, NotFound

API = "/api/v1/applications"


class ArgoCDServer:
    """The Application calls of Argo CD's API server, for one Applications namespace."""

    def __init__(self, server_url: str, token: str, namespace: str, timeout: float, *, verify: bool | str) -> None:
        self.namespace = namespace
        self._client = httpx.Client(
            base_url=server_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=timeout,
            verify=verify,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._client.close()

    def _call(
        self, method: str, path: str, what: str, *, body: Any = None, in_query: bool = True, **params: Any
    ) -> dict[str, Any]:
        """One call; `in_query`: the operation takes `appNamespace` as a query parameter (update, sync and
        rollback carry it in their body instead)."""
        query = {**({"appNamespace": self.namespace} if in_query else {}), **params}
        try:
            response = self._client.request(method, path, params=query, json=body)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{what}: Argo CD's API server did not answer ({type(exc).__name__}).") from None
        if response.status_code < 300:
            return dict(response.json() or {}) if response.content else {}
        try:
            message = str((response.json() or {}).get("message") or "")[:500]
        except ValueError:
            message = ""
        detail = f"{what}: Argo CD answered {response.status_code}{': ' + message if message else ''}"
        if response.status_code in (401, 403):
            raise AuthenticationFailed(detail)
        if response.status_code == 404 or "not found" in message.lower():
            raise NotFound(detail)
        if response.status_code == 409 or "already exists" in message.lower():
            raise Conflict(detail)
        if response.status_code == 400:
            raise InvalidRequest(detail)
        raise BackendUnavailable(detail)

    @staticmethod
    def _item(name: str) -> str:
        return f"{API}/{quote(name, safe='')}"

    def list(self, selector: str) -> list[dict[str, Any]]:
        return list(self._call("GET", API, "listing Argo CD Applications", selector=selector).get("items") or [])

    def get(self, name: str) -> dict[str, Any]:
        return self._call("GET", self._item(name), f"reading Application {name}")

    @staticmethod
    def _body(app: Mapping[str, Any]) -> dict[str, Any]:
        """An Application as the API server takes it: swagger's v1alpha1Application has no apiVersion/kind."""
        return {key: app[key] for key in ("metadata", "spec", "operation") if key in app}

    def create(self, app: Mapping[str, Any]) -> dict[str, Any]:
        what = f"creating Application {app['metadata']['name']}"
        return self._call("POST", API, what, body=self._body(app), in_query=False)

    def update(self, app: Mapping[str, Any]) -> dict[str, Any]:
        name = app["metadata"]["name"]
        return self._call("PUT", self._item(name), f"updating Application {name}", body=self._body(app), in_query=False)

    def delete(self, name: str, *, cascade: bool) -> None:
        self._call("DELETE", self._item(name), f"deleting Application {name}", cascade=str(cascade).lower())

    def sync(self, name: str, *, prune: bool) -> dict[str, Any]:
        body = {"name": name, "appNamespace": self.namespace, "prune": prune}
        return self._call("POST", f"{self._item(name)}/sync", f"syncing Application {name}", body=body, in_query=False)

    def rollback(self, name: str, history_id: int, *, prune: bool) -> dict[str, Any]:
        body = {"name": name, "appNamespace": self.namespace, "id": history_id, "prune": prune}
        what = f"rolling back Application {name}"
        return self._call("POST", f"{self._item(name)}/rollback", what, body=body, in_query=False)

    def resource_tree(self, name: str) -> dict[str, Any]:
        return self._call("GET", f"{self._item(name)}/resource-tree", f"reading the resources of Application {name}")
