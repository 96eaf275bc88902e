"""A small A&AI REST client under /aai/<version>, honouring `resource-version` optimistic locking.

Writes go through A&AI's bulk single-transaction API (`POST /aai/<version>/bulk/single-transaction`, A&AI 1810+,
documented in aai-common's docs/AAI REST API Documentation/bulkApi.rst): a list of put/patch/delete operations that
A&AI commits together or rolls back together, answering the status of the first failed operation. A&AI refuses a
create that carries a resource-version, and an update or delete whose resource-version is not the current one,
with 412 Precondition Failed. A 412 (or a 404: a delete of something already gone) makes the client read the
current resource-version of every object in that transaction and send it again (a few times: another writer may
be racing).

A PUT answers no resource-version (the bulk API's `response-body` is null for puts), so the new versions are read
back after the writes: one GET per object for a few, one GET of the whole collection for many."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, Conflict, InvalidRequest

ATTEMPTS = 4
BULK = "/bulk/single-transaction"
LIST_THRESHOLD = 200  # read back this many objects of one collection or more with one GET of the collection
READ = {"depth": "0", "nodes-only": "true"}  # the object's own properties, not its relationships or children


@dataclass(frozen=True)
class Collection:
    """An A&AI collection (plural path) and how an item's path is built from its keys."""

    path: str  # e.g. /cloud-infrastructure/pservers
    node_type: str  # the JSON array's name in the collection GET, e.g. pserver
    keys: tuple[str, ...]  # key properties, in path order

    def item_path(self, item: Mapping[str, Any]) -> str:
        # As mapping.py builds the paths (the ids are netweave's, not escaped there either).
        return f"{self.path}/{self.node_type}/" + "/".join(str(item[key]) for key in self.keys)


@dataclass(frozen=True)
class Operation:
    """One write of a bulk transaction; `version` is the resource-version A&AI holds (None: create / unknown)."""

    action: str  # put | delete
    path: str
    body: Mapping[str, Any] = field(default_factory=dict)
    version: str | None = None

    def payload(self) -> dict[str, Any]:
        if self.action == "delete":
            return {"action": "delete", "uri": f"{self.path}?resource-version={quote(self.version or '')}", "body": {}}
        body = dict(self.body)
        if self.version:
            body["resource-version"] = self.version
        return {"action": self.action, "uri": self.path, "body": body}


def _shown(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    return urlunsplit((parts.scheme, f"{host}:{parts.port}" if parts.port else host, parts.path, "", ""))


def chunked(operations: Sequence[Operation], size: int) -> Iterable[Sequence[Operation]]:
    for start in range(0, len(operations), max(size, 1)):
        yield operations[start : start + size]


class AaiClient:
    def __init__(self, client: httpx.Client, base: str, version: str, from_app: str) -> None:
        self.client = client
        self.base = f"{base.rstrip('/')}/aai/{version}"
        self.from_app = from_app
        self.refetches = 0  # transactions refused with 412/404 and sent again with current versions (tests, README)

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
        response = self._send("GET", path, params=READ)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise BackendUnavailable(f"A&AI GET {path} answered HTTP {response.status_code}")
        return str(response.json().get("resource-version") or "") or None

    def transact(self, operations: Sequence[Operation]) -> None:
        """Commit `operations` in one single-transaction bulk request (at most A&AI's bulk limit of them)."""
        pending = list(operations)
        for _ in range(ATTEMPTS):
            if not pending:
                return
            response = self._send("POST", BULK, json={"operations": [op.payload() for op in pending]})
            if response.status_code in (200, 201):
                return
            if response.status_code not in (404, 412):
                raise BackendUnavailable(f"A&AI bulk transaction answered HTTP {response.status_code}")
            self.refetches += 1
            pending = self._refreshed(pending)
        raise Conflict(
            f"A&AI kept refusing a bulk transaction of {len(pending)} operations with HTTP 412/404 "
            "(resource-versions changing under us, or a parent object missing)"
        )

    def _refreshed(self, operations: Sequence[Operation]) -> list[Operation]:
        """The operations with A&AI's current resource-versions; deletes of objects already gone dropped."""
        fresh: list[Operation] = []
        for op in operations:
            version = self.current_version(op.path)
            if op.action == "delete" and version is None:
                continue
            fresh.append(Operation(op.action, op.path, op.body, version))
        return fresh

    def versions(self, paths: Sequence[str], collections: Sequence[Collection]) -> dict[str, str]:
        """The current resource-version of each of `paths` (absent: A&AI does not hold it)."""
        by_collection: dict[Collection | None, list[str]] = defaultdict(list)
        for path in paths:
            owner = next((c for c in collections if path.startswith(f"{c.path}/{c.node_type}/")), None)
            by_collection[owner].append(path)
        found: dict[str, str] = {}
        for collection, members in by_collection.items():
            if collection is not None and len(members) >= LIST_THRESHOLD:
                wanted = set(members)
                for item in self._list(collection):
                    path = collection.item_path(item)
                    if path in wanted and item.get("resource-version"):
                        found[path] = str(item["resource-version"])
                continue
            for path in members:
                version = self.current_version(path)
                if version is not None:
                    found[path] = version
        return found

    def _list(self, collection: Collection) -> list[dict[str, Any]]:
        response = self._send("GET", collection.path, params=READ)
        if response.status_code == 404:  # A&AI's answer for an empty collection
            return []
        if response.status_code != 200:
            raise BackendUnavailable(f"A&AI GET {collection.path} answered HTTP {response.status_code}")
        return [item for item in response.json().get(collection.node_type) or [] if isinstance(item, dict)]

    def echo(self) -> httpx.Response:
        url = self.base.rsplit("/", 1)[0] + "/util/echo"
        return self.client.get(url, headers=self._headers())
