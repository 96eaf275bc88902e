"""Which callback URLs netweave sends notifications to (server-side request forgery protection).

- https only, unless the scheme is in NETWEAVE_CALLBACK_ALLOWED_SCHEMES (e.g. "http") or the host is in
  NETWEAVE_CALLBACK_ALLOWED_HOSTS;
- every address the host resolves to must be a global unicast address: loopback, link-local (which holds the
  cloud metadata service 169.254.169.254), private, shared, reserved and multicast ranges are refused unless
  the host is allow-listed; one refused address among several answers refuses the URL;
- an IPv6 address that carries an IPv4 address (NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo, IPv4-mapped,
  -compatible and -translated forms) is judged by the IPv4 address it reaches; the local-use NAT64 prefix
  64:ff9b:1::/48 is refused outright;
- the check runs when the subscription is made and again before every delivery, because a name can be
  re-pointed at an internal address after it was accepted (DNS rebinding).

Allow-listed hosts are compared with the URL's host exactly (IP literals as written, e.g. 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings

Resolver = Callable[[str, int], list[str]]


class CallbackRefused(Exception):
    """The callback URL may not be used; the message says why (it names no credential)."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


_resolver: Resolver = system_resolver


def set_resolver(resolver: Resolver | None) -> None:
    """Replace name resolution (tests simulate a name that resolves to a private address)."""
    global _resolver
    _resolver = resolver or system_resolver


def _allowed_hosts() -> set[str]:
    return {h.lower() for h in getattr(settings, "NETWEAVE_CALLBACK_ALLOWED_HOSTS", [])}


def _allowed_schemes() -> set[str]:
    return {"https"} | {s.lower() for s in getattr(settings, "NETWEAVE_CALLBACK_ALLOWED_SCHEMES", [])}


# IPv6 ranges that carry an IPv4 address in their last 32 bits: the well-known NAT64 prefix (RFC 6052), the
# deprecated IPv4-compatible form (RFC 4291) and IPv4-translated addresses (RFC 2765). A NAT64 gateway or a
# dual-stack host turns them into IPv4 traffic, so each is judged by the IPv4 address it embeds.
_EMBEDS_LAST_32 = (
    ipaddress.IPv6Network("64:ff9b::/96"),
    ipaddress.IPv6Network("::/96"),
    ipaddress.IPv6Network("::ffff:0:0:0/96"),
)
# The local-use NAT64 prefix (RFC 8215): translated by the operator's own gateway, with a prefix length the
# operator chooses, so the embedded address cannot be located reliably; it never names a public host.
_LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches through a translation or tunnelling mechanism."""
    embedded = []
    if address.ipv4_mapped is not None:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour is not None:  # 2002::/16, 6to4 (RFC 3056)
        embedded.append(address.sixtofour)
    if address.teredo is not None:  # 2001::/32, Teredo (RFC 4380): the server and the client
        embedded.extend(address.teredo)
    if any(address in network for network in _EMBEDS_LAST_32) and int(address) > 1:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def _refused_range(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return "a local-use NAT64 address (64:ff9b:1::/48)"
        for inner in embedded_ipv4(address):
            problem = _refused_range(inner)
            if problem:
                return f"{problem} ({inner}) embedded in an IPv6 address"
        if address.ipv4_mapped is not None:
            return None
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address (this includes cloud metadata services)"
    if address.is_multicast:
        return "a multicast address"
    if not address.is_global:
        return "a private or reserved address"
    return None


def check_callback(url: str) -> str | None:
    """Raise CallbackRefused unless `url` may receive notifications now.

    Returns the address the delivery must connect to when the host is a name (the address that was checked, so
    that a second lookup by the HTTP client cannot be answered differently: DNS rebinding), or None when the host
    is an IP literal or an allow-listed name that does not resolve here.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackRefused(f"not a valid URL: {exc}") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        raise CallbackRefused("must be an absolute http(s) URL with a host")
    if parts.username or parts.password:
        raise CallbackRefused("must not carry credentials in the URL; configure an SMO endpoint instead")
    allow_listed = host in _allowed_hosts()
    if scheme not in _allowed_schemes() and not allow_listed:
        raise CallbackRefused(f"scheme {scheme} is not allowed (https only unless the operator allow-lists it)")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [
                ipaddress.ip_address(a.split("%")[0])
                for a in _resolver(host, port or (443 if scheme == "https" else 80))
            ]
        except (OSError, UnicodeError) as exc:
            if allow_listed:
                return None
            raise CallbackRefused(f"host {host} does not resolve ({type(exc).__name__})") from None
    if not allow_listed:
        for address in addresses:
            problem = _refused_range(address)
            if problem:
                raise CallbackRefused(f"host {host} is {problem} ({address}); only an allow-listed host may be")
    if literal is not None or not addresses:
        return None
    return str(addresses[0])
