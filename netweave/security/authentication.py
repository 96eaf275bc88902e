"""DRF authentication classes for the O2 APIs, listed in REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"].

Each class recognises its own credential and returns a Principal, refuses a bad one with 401 (the message
says why: expired, wrong audience, ...), or steps aside (None) when the request carries no credential of its
kind. A request with no credential at all reaches the policy unauthenticated and gets 401 unless its route is
public. Every 401 carries `WWW-Authenticate: Bearer` (netweave.o2.problems).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from netweave.security import mtls, oidc, tokens
from netweave.security.network import client_address, from_trusted_proxy, in_networks, parse_networks
from netweave.security.permissions import WWW_AUTHENTICATE
from netweave.security.principals import Principal
from netweave.security.roles import parse_roles


def bearer_credential(request: Request) -> str | None:
    """The credential of an `Authorization: Bearer <credential>` header, or None when there is no such header."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, credential = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise exceptions.AuthenticationFailed("Only the Bearer authorization scheme is accepted.")
    credential = credential.strip()
    if not credential:
        raise exceptions.AuthenticationFailed("The Bearer authorization header carries no token.")
    return credential


class _Base(BaseAuthentication):
    def authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE


class ApiTokenAuthentication(_Base):
    """netweave API tokens (`Authorization: Bearer nwt_<key>.<secret>`), managed in the admin."""

    def authenticate(self, request: Request) -> tuple[Principal, Any] | None:
        credential = bearer_credential(request)
        if credential is None or not tokens.looks_like_token(credential):
            return None
        token = tokens.authenticate(credential)
        if token is None:
            raise exceptions.AuthenticationFailed("The API token is not valid.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("The API token has expired.")
        networks = parse_networks(token.allowed_networks)
        if networks and not in_networks(client_address(request), networks):
            raise exceptions.PermissionDenied("This API token may not be used from this address.")
        principal = Principal(
            identity=f"token:{token.key}",
            method="token",
            roles=parse_roles(token.roles),
            write_enabled=token.write_enabled,
            pk=token.user_id,
        )
        return principal, token


class JWTAuthentication(_Base):
    """OAuth2/OIDC bearer JWTs, when NETWEAVE_OIDC_JWKS_URL is configured."""

    def authenticate(self, request: Request) -> tuple[Principal, Any] | None:
        credential = bearer_credential(request)
        if credential is None or tokens.looks_like_token(credential):
            return None
        if not settings.NETWEAVE_OIDC_JWKS_URL:
            raise exceptions.AuthenticationFailed(
                "Only netweave API tokens are accepted here (OIDC is not configured)."
            )
        try:
            verified = oidc.verify(credential)
        except oidc.TokenRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        principal = Principal(identity=f"jwt:{verified.subject}", method="jwt", roles=verified.roles)
        return principal, None


class ClientCertificateAuthentication(_Base):
    """mTLS client certificates: from netweave's own TLS listener, or forwarded by a trusted proxy."""

    def authenticate(self, request: Request) -> tuple[Principal, Any] | None:
        pem = self._presented(request)
        if pem is None:
            return None
        try:
            verified = mtls.verify(pem)
        except mtls.CertificateRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        return Principal(identity=f"cert:{verified.subject}", method="mtls", roles=verified.roles), None

    def _presented(self, request: Request) -> bytes | None:
        forwarded = request.META.get(mtls.forwarded_header_meta_key())
        if forwarded:
            if not from_trusted_proxy(request):
                raise exceptions.AuthenticationFailed(
                    "A forwarded client certificate is accepted only from a trusted proxy."
                )
            return mtls.decode_forwarded(forwarded)
        direct = request.META.get(mtls.DIRECT_ENVIRON_KEY)
        if direct:
            return str(direct).encode("ascii", errors="replace")
        return None
