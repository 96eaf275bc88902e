"""The base URL of netweave's O2 links: the O-Cloud's `serviceUri`, paging links, notification `objectRef`s.

A configured NETWEAVE_PUBLIC_URL always wins (netweave behind a proxy or an ingress knows no better). Without
it, an API answer uses the scheme and host the request was made to, so a client of an app bound to
127.0.0.1:8123 gets links to 127.0.0.1:8123; what is built outside a request (a notification, the SMO
registration) uses the O-Cloud's configured base, http://<NETWEAVE_BIND> by default, the address `make run`
serves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def public_base(request: Any = None) -> str:
    """The base URL, without a trailing slash. `request` is a Django or DRF request, or None outside one."""
    configured = str(getattr(settings, "NETWEAVE_PUBLIC_URL", "") or "")
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return str(request.build_absolute_uri("/")).rstrip("/")
    return str(settings.NETWEAVE_OCLOUD["serviceUri"]).rstrip("/")


def public_url(path: str, request: Any = None) -> str:
    """`path` (absolute, starting with '/') under the public base."""
    return public_base(request) + path
