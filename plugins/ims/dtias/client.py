"""The DTIAS REST client (httpx): a bearer token from the token endpoint, refreshed before it expires; paged lists;
asynchronous jobs followed until they end; HTTP failures -> the SDK's errors.

Paths follow the public traces of the DTIAS API (see README.md, "What the plugin assumes about DTIAS").
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    PluginError,
)

JOB_DONE = frozenset({"SUCCESS", "COMPLETED"})
JOB_FAILED = frozenset({"FAILED", "ERROR", "CANCELLED"})
JOB_POLL_SECONDS = 0.2


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        return str(body.get("message") or body.get("Message") or response.reason_phrase)
    return response.reason_phrase


class Client:
    """One DTIAS tenant. Thread-safe: the token is shared and renewed under a lock."""

    def __init__(
        self,
        endpoint: str,
        tenant: str,
        client_id: str,
        username: str,
        password: str,
        *,
        verify: bool | ssl.SSLContext,
        timeout: float,
        page_size: int,
        refresh_margin: float,
        job_timeout: float,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.tenant = tenant
        self._client_id = client_id
        self._username = username
        self._password = password
        self.page_size = page_size
        self.refresh_margin = refresh_margin
        self.job_timeout = job_timeout
        self._http = httpx.Client(base_url=self.endpoint, verify=verify, timeout=timeout)
        self._lock = threading.Lock()
        self._token = ""
        self._expires = 0.0
        self._refresh_token = ""
        self._refresh_expires = 0.0
        self.token_requests = 0  # for tests and health: how often a token was fetched or refreshed

    def close(self) -> None:
        self._http.close()

    # -- tokens

    def _token_request(self, body: dict[str, str]) -> httpx.Response:
        try:
            return self._http.post(f"/identity/v1/tenant/{self.tenant}/token/create", json=body)
        except httpx.HTTPError as exc:
            raise _transport(exc, "getting a token") from None

    def _fetch_token(self) -> None:
        """A token by refresh_token while that is valid, else by password."""
        now = time.monotonic()
        response = None
        if self._refresh_token and now < self._refresh_expires - self.refresh_margin:
            response = self._token_request(
                {"grant_type": "refresh_token", "client_id": self._client_id, "refresh_token": self._refresh_token}
            )
            if response.status_code != 200:
                response = None  # refresh refused (revoked, expired early): log in again
        if response is None:
            response = self._token_request(
                {
                    "grant_type": "password",
                    "client_id": self._client_id,
                    "username": self._username,
                    "password": self._password,
                }
            )
        if response.status_code in (400, 401, 403):
            raise AuthenticationFailed(
                f"authentication failed: the DTIAS token endpoint refused the configured client and user "
                f"({response.status_code})"
            )
        if response.status_code != 200:
            raise BackendUnavailable(f"the DTIAS token endpoint answered {response.status_code}")
        body = response.json()
        self.token_requests += 1
        self._token = str(body["access_token"])
        self._expires = now + float(body.get("expires_in") or 60)
        self._refresh_token = str(body.get("refresh_token") or "")
        self._refresh_expires = now + float(body.get("refresh_expires_in") or 0)

    def token(self, *, renew: bool = False) -> str:
        """The current token, renewed when it is within `refresh_margin` of its expiry (or when asked to)."""
        with self._lock:
            if renew or not self._token or time.monotonic() >= self._expires - self.refresh_margin:
                self._fetch_token()
            return self._token

    # -- requests

    def request(self, method: str, path: str, doing: str, *, field: str | None = None, **kwargs: Any) -> Any:
        """One API call under /v1/tenants/{tenant}; JSON back. A 401 (a token revoked or expired early) is retried
        once with a new token."""
        url = f"/v1/tenants/{self.tenant}/{path}"
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token(renew=attempt == 2)}"}
            try:
                response = self._http.request(method, url, headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                raise _transport(exc, doing) from None
            if response.status_code == 401 and attempt == 1:
                continue
            return _checked(response, doing, field)
        raise AssertionError("unreachable")

    def pages(self, path: str, key: str, doing: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paged list (pageNumber from 1, pageSize), page after page."""
        number = 1
        while True:
            body = self.request("GET", path, doing, params={**params, "pageNumber": number, "pageSize": self.page_size})
            items = body.get(key) or []
            yield from items
            paging = body.get("Pagination") or {}
            total_pages = int(paging.get("TotalPages") or 1)
            if number >= total_pages or not items:
                return
            number += 1

    def wait_for_job(self, job_id: str, doing: str) -> None:
        """Follow an asynchronous job until it ends; a failed job is a Conflict carrying DTIAS's reason."""
        deadline = time.monotonic() + self.job_timeout
        while True:
            brief = (self.request("GET", f"jobs/{job_id}", f"{doing} (job {job_id})") or {}).get("brief") or {}
            status = str(brief.get("Status") or "").upper()
            if status in JOB_DONE:
                return
            if status in JOB_FAILED:
                raise Conflict(f"{doing}: DTIAS job {job_id} failed: {brief.get('FailReason') or status}")
            if time.monotonic() > deadline:
                raise BackendUnavailable(
                    f"{doing}: DTIAS job {job_id} is still {status} after {self.job_timeout:.0f} s"
                )
            time.sleep(JOB_POLL_SECONDS)


def _transport(exc: httpx.HTTPError, doing: str) -> PluginError:
    cause = exc.__context__ or exc.__cause__
    if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return BackendUnavailable(
            f"the TLS certificate of DTIAS could not be verified while {doing}: set caBundle to the CA that signed it"
        )
    return BackendUnavailable(f"DTIAS is unreachable while {doing} ({type(exc).__name__})")


def _checked(response: httpx.Response, doing: str, field: str | None) -> Any:
    status = response.status_code
    if status < 300:
        return response.json() if response.content else {}
    message = _message(response)
    if status in (401, 403):
        raise AuthenticationFailed(f"authentication failed: DTIAS refused the request ({doing}): {message}")
    if status == 404:
        raise NotFound(f"{doing}: {message}", field=field)
    if status == 409:
        raise Conflict(f"{doing}: {message}", field=field)
    if 400 <= status < 500:
        raise InvalidRequest(f"{doing}: {message}", field=field)
    raise BackendUnavailable(f"{doing}: DTIAS answered {status}: {message}")
