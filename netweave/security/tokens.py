"""netweave API tokens: minting, hashing at rest and verification.

A token reads `nwt_<key>.<secret>`. The key finds the row; the secret is checked against an HMAC-SHA256 keyed
with a pepper from the environment (NETWEAVE_TOKEN_PEPPER), compared in constant time. Without a configured
pepper one is derived from SECRET_KEY, so changing SECRET_KEY then invalidates every token.

A verified token is remembered in the process for NETWEAVE_TOKEN_CACHE_SECONDS, so a read costs no extra query;
expiry is still checked on every request, and a change made in the admin reaches other processes within that
time (docs/security.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
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


_cache: dict[str, tuple[float, ApiToken]] = {}
_cache_lock = threading.Lock()
_CACHE_LIMIT = 4096


def authenticate(value: str) -> ApiToken | None:
    """`verify` with the in-process cache; records use when it goes to the database."""
    ttl = float(getattr(settings, "NETWEAVE_TOKEN_CACHE_SECONDS", 0))
    cache_key = hash_secret(value)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(cache_key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    token = verify(value)
    if token is None:
        return None
    touch(token)
    if ttl > 0:
        with _cache_lock:
            if len(_cache) >= _CACHE_LIMIT:
                _cache.clear()
            _cache[cache_key] = (now, token)
    return token


def forget(token: ApiToken) -> None:
    """Drop a changed or deleted token from this process's cache."""
    with _cache_lock:
        for cache_key in [k for k, (_, cached) in _cache.items() if cached.pk == token.pk]:
            del _cache[cache_key]
