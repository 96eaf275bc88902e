"""Per-identity rate limits on the O2 APIs (429 ProblemDetails with Retry-After, from the exception handler).

The history lives in the `throttle` cache (settings.CACHES), which must be shared by every web process: the
default is a file-based cache under the data directory; production may point NETWEAVE_THROTTLE_CACHE_URL at a
database cache or Redis (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from netweave.security.network import client_address
from netweave.security.principals import Principal


class IdentityRateThrottle(SimpleRateThrottle):
    scope = "o2"

    def __init__(self) -> None:
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self) -> str | None:
        return settings.NETWEAVE_API_RATE or None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        principal = request.user
        ident = principal.identity if isinstance(principal, Principal) else f"addr:{client_address(request)}"
        return f"throttle:{self.scope}:{ident}"
