"""netweave API tokens: minting, hashing at rest and verification.

A token reads `nwt_<key>.<secret>`. The key finds the row; the secret is checked against an HMAC-SHA256 keyed
with a pepper from the environment (NETWEAVE_TOKEN_PEPPER), compared in constant time. Without a configured
pepper one is derived from SECRET_KEY, so changing SECRET_KEY then invalidates every token.

A verified token is remembered in the process for NETWEAVE_TOKEN_CACHE_SECONDS, so a request costs neither the
HMAC nor the token query; expiry is still checked on every request. A cached token is used only while the
token generation stamp is the one read before the token was verified. The stamp lives in the `throttle` cache,
which every web process already shares (a file cache on one host, the database or Redis across hosts,
docs/security.md), and gets a new random value after any token change or deletion commits: a revocation
takes effect on the next request in every process, for one cache read per request and no database query.
A missing or unreadable stamp never lets a cached token through.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from netweave.models import ApiToken

PREFIX = "nwt_"
KEY_LENGTH = 12
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _pepper() -> bytes:
    configured = getattr(settings, "NETWEAVE_TOKEN_PEPPER", "")
    if configured:
        return str(configured).encode("utf-8")
    return hashlib.sha256(b"netweave-token-pepper:" + str(settings.SECRET_KEY).encode("utf-8")).digest()


def hash_secret(secret: str) -> str:
    return hmac.new(_pepper(), secret.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ParsedToken:
    key: str
    secret: str


def looks_like_token(value: str) -> bool:
    return value.startswith(PREFIX)


def parse(value: str) -> ParsedToken | None:
    body = value.removeprefix(PREFIX)
    key, dot, secret = body.partition(".")
    if not dot or len(key) != KEY_LENGTH or not key.isalnum() or not secret:
        return None
    return ParsedToken(key=key, secret=secret)


def create_token(
    name: str,
    roles: Iterable[str],
    *,
    write_enabled: bool = False,
    allowed_networks: Iterable[str] = (),
    expires: datetime | None = None,
    user_id: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token row and return it with the full token text, which is never stored and never shown again."""
    token = ApiToken(
        name=name,
        roles=sorted(set(roles)),
        write_enabled=write_enabled,
        allowed_networks=list(allowed_networks),
        expires=expires,
        user_id=user_id,
    )
    return token, assign_secret(token)


def assign_secret(token: ApiToken) -> str:
    """Give `token` a fresh key and secret, save it, and return the full token text."""
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    token.key = "".join(secrets.choice(alphabet) for _ in range(KEY_LENGTH))
    secret = secrets.token_urlsafe(32)
    token.secret_hash = hash_secret(secret)
    token.save()
    return f"{PREFIX}{token.key}.{secret}"


def verify(value: str) -> ApiToken | None:
    """The token row if `value` is a genuine token (expiry and networks are checked by the caller)."""
    parsed = parse(value)
    if parsed is None:
        return None
    token = ApiToken.objects.filter(key=parsed.key).first()
    if token is None or not hmac.compare_digest(token.secret_hash, hash_secret(parsed.secret)):
        return None
    return token


def touch(token: ApiToken) -> None:
    """Record use, at most once a minute per token (a write per request would cost every read)."""
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


GENERATION_KEY = "netweave:token-generation"


def _shared() -> Any:
    return caches["throttle"]


def generation() -> str | None:
    """The current token generation stamp (made if there is none yet); None when the shared cache fails."""
    try:
        stamp = _shared().get(GENERATION_KEY)
        if stamp is None:
            _shared().add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
            stamp = _shared().get(GENERATION_KEY)
    except Exception:  # any cache failure only means: do not trust the process cache
        return None
    return str(stamp) if stamp is not None else None


def bump_generation() -> None:
    """Invalidate every process's token cache once the current transaction commits (right away outside one):
    a process that verifies the token before the commit still sees the old stamp change afterwards."""

    def bump() -> None:
        with contextlib.suppress(Exception):
            _shared().set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)

    transaction.on_commit(bump)


_cache: dict[str, tuple[float, str, ApiToken]] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 4096


def authenticate(value: str) -> ApiToken | None:
    """`verify` with the in-process cache; records use when it goes to the database."""
    ttl = float(getattr(settings, "NETWEAVE_TOKEN_CACHE_SECONDS", 0))
    cache_key = hash_secret(value)
    now = time.monotonic()
    current = generation() if ttl > 0 else None  # read before verifying: a later change is seen next time
    with _cache_lock:
        hit = _cache.get(cache_key)
    if hit is not None and current is not None and now - hit[0] < ttl and hit[1] == current:
        return hit[2]
    token = verify(value)
    if token is None:
        return None
    touch(token)
    if ttl > 0 and current is not None:
        with _cache_lock:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            _cache[cache_key] = (now, current, token)
    return token


def forget(token: ApiToken) -> None:
    """Drop a changed or deleted token from this process's cache."""
    with _cache_lock:
        for cache_key in [k for k, (_, _, cached) in _cache.items() if cached.pk == token.pk]:
            del _cache[cache_key]


def _token_changed(sender: type[ApiToken], instance: ApiToken, **kwargs: object) -> None:
    bump_generation()


def connect_revocation_signals() -> None:
    """Any saved or deleted token (admin, management command, API) bumps the generation in its transaction."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_token_changed, sender=ApiToken, dispatch_uid="netweave.tokens.saved")
    post_delete.connect(_token_changed, sender=ApiToken, dispatch_uid="netweave.tokens.deleted")
