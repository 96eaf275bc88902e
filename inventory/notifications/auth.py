"""Authentication towards SMOs: OAuth2 client credentials, mTLS client certificates and HMAC body signatures.

Configured per SMO endpoint (inventory.models.SmoEndpoint) with Secret references; values are resolved at
delivery time with plugins.secrets.resolve and never logged or put into an error message. TLS contexts and
OAuth2 tokens are cached per endpoint and dropped when the endpoint row changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings

from inventory.models import SmoEndpoint, Subscription
from inventory.notifications import sender
from plugins import secrets


class AuthError(Exception):
    """Authentication towards the SMO could not be prepared (the message names no secret value)."""


ENDPOINT_CACHE_SECONDS = 5.0
_endpoints: tuple[float, list[SmoEndpoint]] = (0.0, [])


def _prefixed_endpoints() -> list[SmoEndpoint]:
    """Endpoints with a base URL, re-read at most every few seconds (one query less per delivery)."""
    global _endpoints
    loaded, endpoints = _endpoints
    if time.monotonic() - loaded > ENDPOINT_CACHE_SECONDS:
        endpoints = list(
            SmoEndpoint.objects.exclude(base_url="").select_related(
                "oauth2_client_secret", "client_certificate", "client_key", "hmac_key"
            )
        )
        _endpoints = (time.monotonic(), endpoints)
    return endpoints


def forget_endpoints() -> None:
    global _endpoints
    _endpoints = (0.0, [])


def endpoint_for(subscription: Subscription) -> SmoEndpoint | None:
    """The subscription's own endpoint, else the endpoint with the longest base URL its callback starts with."""
    if subscription.endpoint_id is not None:
        return subscription.endpoint
    matching = [e for e in _prefixed_endpoints() if subscription.callback.startswith(e.base_url)]
    return max(matching, key=lambda e: len(e.base_url), default=None)


def attempt_seconds() -> float:
    """NETWEAVE_NOTIFICATION_TIMEOUT: the most one delivery attempt (token request, connect, request, answer and
    redirects together) may take."""
    return float(getattr(settings, "NETWEAVE_NOTIFICATION_TIMEOUT", 10.0))


def _ssl_context(endpoint: SmoEndpoint | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if endpoint is None:
        return context
    if endpoint.ca_certificate.strip():
        context = ssl.create_default_context(cadata=endpoint.ca_certificate)
    if endpoint.client_certificate is not None and endpoint.client_key is not None:
        pem = secrets.resolve(endpoint.client_certificate) + "\n" + secrets.resolve(endpoint.client_key) + "\n"
        # ssl loads a chain from a file only; the file lives for the duration of the call, readable by us alone.
        fd, path = tempfile.mkstemp(prefix="netweave-mtls-", suffix=".pem")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(pem)
            context.load_cert_chain(path)
        except ssl.SSLError:
            raise AuthError(f"SMO endpoint '{endpoint.name}': the client certificate or key is not valid PEM") from None
        finally:
            os.unlink(path)
    return context


_lock = threading.Lock()
_contexts: dict[tuple[object, datetime | None], ssl.SSLContext] = {}


def _cache_key(endpoint: SmoEndpoint | None) -> tuple[object, datetime | None]:
    return (None, None) if endpoint is None else (endpoint.pk, endpoint.updated)


def tls_context(endpoint: SmoEndpoint | None) -> ssl.SSLContext:
    """The TLS context for https requests through this endpoint (its CA bundle, its client certificate), built
    once per version of the endpoint row: loading the system CAs and a certificate costs milliseconds."""
    key = _cache_key(endpoint)
    with _lock:
        context = _contexts.get(key)
    if context is None:
        context = _ssl_context(endpoint)
        with _lock:
            for old in [k for k in _contexts if k[0] == key[0]]:
                del _contexts[old]
            _contexts[key] = context
    return context


@dataclass
class _Token:
    value: str
    expires: float


_tokens: dict[tuple[object, datetime | None], _Token] = {}


def forget_token(endpoint: SmoEndpoint) -> None:
    """Drop a cached token (the SMO answered 401: it may have been revoked)."""
    with _lock:
        _tokens.pop(_cache_key(endpoint), None)


def _oauth2_token(endpoint: SmoEndpoint) -> str:
    key = _cache_key(endpoint)
    with _lock:
        token = _tokens.get(key)
    if token is not None and token.expires > time.monotonic():
        return token.value
    if endpoint.oauth2_client_secret is None:
        raise AuthError(f"SMO endpoint '{endpoint.name}': OAuth2 needs a client secret")
    data = {"grant_type": "client_credentials"}
    if endpoint.oauth2_scope:
        data["scope"] = endpoint.oauth2_scope
    credentials = f"{endpoint.oauth2_client_id}:{secrets.resolve(endpoint.oauth2_client_secret)}".encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
    }
    try:
        # Rare (once per token lifetime), so on a connection of its own. The URL is the operator's, not a
        # subscriber's: it is not put through the callback check.
        with sender.Connections() as connections:
            response = connections.request(
                "POST",
                sender.Target.of(endpoint.oauth2_token_url),
                headers,
                urlencode(data).encode(),
                tls_context(endpoint),
            )
    except sender.SendError as exc:
        reason = str(exc).split(":", 1)[0]
        raise AuthError(f"SMO endpoint '{endpoint.name}': token request failed ({reason})") from None
    if response.status != 200:
        raise AuthError(f"SMO endpoint '{endpoint.name}': token endpoint answered HTTP {response.status}")
    try:
        body = json.loads(response.body)
        value = str(body["access_token"])
        lifetime = float(body.get("expires_in", 300))
    except (ValueError, KeyError, TypeError):
        raise AuthError(f"SMO endpoint '{endpoint.name}': token endpoint answered without an access_token") from None
    with _lock:
        # Renew a little before the SMO would refuse the token.
        _tokens[key] = _Token(value, time.monotonic() + max(lifetime - 30, lifetime / 2))
    return value


def signature(key: str, body: bytes) -> str:
    """The HMAC header value: `sha256=` and the hex HMAC-SHA256 of the exact body bytes."""
    return "sha256=" + hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def request_headers(endpoint: SmoEndpoint | None, body: bytes) -> dict[str, str]:
    """Headers that authenticate one notification POST (bearer token, signature)."""
    headers = {"Content-Type": "application/json"}
    if endpoint is None:
        return headers
    try:
        if endpoint.oauth2_token_url:
            headers["Authorization"] = f"Bearer {_oauth2_token(endpoint)}"
        if endpoint.hmac_key is not None:
            headers[endpoint.hmac_header] = signature(secrets.resolve(endpoint.hmac_key), body)
    except secrets.SecretError as exc:
        raise AuthError(str(exc)) from None
    return headers
