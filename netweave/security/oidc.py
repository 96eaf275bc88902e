"""OAuth2/OIDC bearer JWTs, verified against the identity provider's JWKS.

The key set is fetched from NETWEAVE_OIDC_JWKS_URL, kept for NETWEAVE_OIDC_JWKS_LIFETIME seconds, and fetched
again early when a token names a key id the set does not hold (the provider has rotated its keys), at most once
per NETWEAVE_OIDC_JWKS_MIN_REFRESH seconds so a flood of made-up key ids cannot turn into a flood of fetches.
Only the algorithms in NETWEAVE_OIDC_ALGORITHMS are accepted (never `none`, never HMAC with a public key).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from django.conf import settings

from netweave.security.roles import Role, parse_roles

logger = logging.getLogger(__name__)


class TokenRejected(Exception):
    """The JWT cannot be accepted; the message says why, for the 401 detail (it never echoes the token)."""


@dataclass
class JwksCache:
    url: str
    lifetime: float
    min_refresh: float
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)
    fetched_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _refresh(self) -> None:
        self.fetched_at = time.monotonic()
        try:
            response = httpx.get(self.url, timeout=5.0)
            response.raise_for_status()
            key_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError) as exc:
            logger.warning("Cannot fetch the OIDC key set from %s: %s", self.url, type(exc).__name__)
            return
        self.keys = {key.key_id or "": key for key in key_set.keys}

    def key(self, kid: str) -> jwt.PyJWK | None:
        with self.lock:
            age = time.monotonic() - self.fetched_at
            if age > self.lifetime or (kid not in self.keys and age >= self.min_refresh):
                self._refresh()
            return self.keys.get(kid)


_caches: dict[str, JwksCache] = {}
_caches_lock = threading.Lock()


def jwks_cache() -> JwksCache:
    url = settings.NETWEAVE_OIDC_JWKS_URL
    with _caches_lock:
        cache = _caches.get(url)
        if cache is None:
            cache = JwksCache(
                url=url,
                lifetime=settings.NETWEAVE_OIDC_JWKS_LIFETIME,
                min_refresh=settings.NETWEAVE_OIDC_JWKS_MIN_REFRESH,
            )
            _caches[url] = cache
        return cache


@dataclass(frozen=True)
class VerifiedToken:
    subject: str
    roles: frozenset[Role]


def _claim(claims: Mapping[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def roles_from_claims(claims: Mapping[str, Any]) -> frozenset[Role]:
    """Roles from the configured claims (dotted paths, e.g. `realm_access.roles`), through the group map."""
    role_map: Mapping[str, str] = settings.NETWEAVE_OIDC_ROLE_MAP
    names: list[str] = []
    for path in settings.NETWEAVE_OIDC_ROLES_CLAIMS:
        value = _claim(claims, path)
        if isinstance(value, str):
            value = value.split()
        if isinstance(value, list):
            names.extend(str(item) for item in value)
    return parse_roles(role_map.get(name, name) for name in names)


def verify(token: str) -> VerifiedToken:
    """Check signature, issuer, audience and expiry (with NETWEAVE_OIDC_LEEWAY seconds of clock skew)."""
    algorithms = list(settings.NETWEAVE_OIDC_ALGORITHMS)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.DecodeError:
        raise TokenRejected("The bearer token is neither a netweave API token nor a well-formed JWT.") from None
    if header.get("alg") not in algorithms:
        raise TokenRejected(f"The token's algorithm is not accepted (accepted: {', '.join(algorithms)}).")
    kid = header.get("kid")
    key = jwks_cache().key(kid if isinstance(kid, str) else "")
    if key is None:
        raise TokenRejected("The token's signing key is not in the identity provider's key set.")
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=algorithms,
            audience=settings.NETWEAVE_OIDC_AUDIENCE,
            issuer=settings.NETWEAVE_OIDC_ISSUER,
            leeway=settings.NETWEAVE_OIDC_LEEWAY,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenRejected("The token has expired.") from None
    except jwt.InvalidAudienceError:
        raise TokenRejected("The token is not meant for this service (audience).") from None
    except jwt.InvalidIssuerError:
        raise TokenRejected("The token was not issued by the configured identity provider (issuer).") from None
    except jwt.InvalidSignatureError:
        raise TokenRejected("The token's signature is not valid.") from None
    except jwt.ImmatureSignatureError:
        raise TokenRejected("The token is not valid yet.") from None
    except jwt.MissingRequiredClaimError as exc:
        raise TokenRejected(f"The token lacks the '{exc.claim}' claim.") from None
    except jwt.InvalidTokenError:
        raise TokenRejected("The token is not valid.") from None
    return VerifiedToken(subject=str(claims["sub"]), roles=roles_from_claims(claims))
