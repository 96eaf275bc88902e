"""A small A&AI REST client: PUT/GET/DELETE under /aai/<version>, honouring `resource-version` optimistic locking.

A&AI refuses a create that carries a resource-version, and an update or delete whose resource-version is not the
current one, with 412 Precondition Failed. A 412 makes the client read the object's current resource-version and
try again (a few times: another writer may be racing)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, Conflict, InvalidRequest

ATTEMPTS = 4


def _shown(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, parts.path, "", ""))


class AaiClient:
    def __init__(self, client: httpx.Client, base: str, version: str, from_app: str) -> None:
        self.client = client
        self.base = f"{base.rstrip('/')}/aai/{version}"
        self.from_app = from_app
        self.refetches = 0  # 412s answered by reading the current resource-version (for tests and the README)

    def _headers(self) -> dict[str, str]:
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "X-FromAppId": self.from_app,
            "X-TransactionId": str(uuid.uuid4()),
        }

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.base + path
        try:
            response = self.client.request(method, url, headers=self._headers(), **kwargs)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"A&AI {_shown(url)} unreachable ({type(exc).__name__})") from None
        if response.status_code in (401, 403):
            raise AuthenticationFailed(f"A&AI {method} {_shown(url)} answered HTTP {response.status_code}")
        if response.status_code == 400:
            raise InvalidRequest(f"A&AI refused {method} {_shown(url)}: {response.text[:300]}")
        if response.status_code >= 500:
            raise BackendUnavailable(f"A&AI {method} {_shown(url)} answered HTTP {response.status_code}")
        return response

    def current_version(self, path: str) -> str | None:
        response = self._send("GET", path, params={"depth": "0"})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BackendUnavailable(f"A&AI GET {path} answered HTTP {response.status_code}")
        return str(response.json().get("resource-version") or "") or None

    def upsert(self, path: str, body: Mapping[str, Any], version: str | None) -> str:
        """Create or replace the object at `path`; return its new resource-version."""
        for _ in range(ATTEMPTS):
            payload = dict(body)
            if version:
                payload["resource-version"] = version
            response = self._send("PUT", path, json=payload)
            if response.status_code in (200, 201):
                new = self.current_version(path)
                if new is None:
                    raise BackendUnavailable(f"A&AI accepted PUT {path} but the object is not there")
                return new
            if response.status_code == 412:
                self.refetches += 1
                version = self.current_version(path)
                continue
            raise BackendUnavailable(f"A&AI PUT {path} answered HTTP {response.status_code}")
        raise Conflict(f"A&AI kept refusing PUT {path} with 412 (resource-version changing under us)")

    def delete(self, path: str, version: str | None) -> None:
        for _ in range(ATTEMPTS):
            if version is None:
                version = self.current_version(path)
                if version is None:
                    return  # already gone
            response = self._send("DELETE", path, params={"resource-version": version})
            if response.status_code in (200, 204, 404):
                return
            if response.status_code == 412:
                self.refetches += 1
                version = None
                continue
            raise BackendUnavailable(f"A&AI DELETE {path} answered HTTP {response.status_code}")
        raise Conflict(f"A&AI kept refusing DELETE {path} with 412")

    def echo(self) -> httpx.Response:
        url = self.base.rsplit("/", 1)[0] + "/util/echo"
        return self.client.get(url, headers=self._headers())
