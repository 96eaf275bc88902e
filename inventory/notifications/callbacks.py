"""Which callback URLs netweave sends notifications to (server-side request forgery protection).

- https only, unless the scheme is in NETWEAVE_CALLBACK_ALLOWED_SCHEMES (e.g. "http") or the host is in
  NETWEAVE_CALLBACK_ALLOWED_HOSTS;
- every address the host resolves to must be a global unicast address: loopback, link-local (which holds the
  cloud metadata service 169.254.169.254), private, shared, reserved and multicast ranges are refused unless
  the host is allow-listed;
- the check runs when the subscription is made and again before every delivery, because a name can be
  re-pointed at an internal address after it was accepted (DNS rebinding).

Allow-listed hosts are compared with the URL's host exactly (IP literals as written, e.g. 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

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


def _refused_range(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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


def pinned_request(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL, headers and httpx extensions that send a request for `url` to `address`: the host name stays
    in the Host header and, for https, in SNI and certificate verification."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": parts.hostname or ""} if parts.scheme.lower() == "https" else {}
    return target, {"Host": parts.netloc}, extensions
