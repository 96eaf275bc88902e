"""Where a request comes from, believing a forwarded header only when the direct peer is a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> list[Network]:
    """CIDRs (or single addresses) as networks; raises ValueError naming the bad entry."""
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"'{text}' is not an IP address or network (CIDR)") from None
    return networks


def in_networks(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def peer_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "")


def from_trusted_proxy(request: HttpRequest) -> bool:
    return in_networks(peer_address(request), parse_networks(settings.NETWEAVE_TRUSTED_PROXIES))


def client_address(request: HttpRequest) -> str:
    """The caller's address: the peer, or the last X-Forwarded-For hop a trusted proxy appended."""
    peer = peer_address(request)
    if from_trusted_proxy(request):
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if forwarded:
            try:
                return str(ipaddress.ip_address(forwarded[-1]))
            except ValueError:
                return peer
    return peer
