"""openstacksdk and keystoneauth errors -> the SDK's PluginErrors, so the API answers the right ProblemDetails.

Credentials never reach these messages: Keystone's and Nova's error texts carry none, and connection errors
are reported by type and host only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk

from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    PluginError,
)

AUTH_FAILED = "authentication failed"


TLS_UNVERIFIED = "the TLS certificate of OpenStack could not be verified"
_VERIFY_FAILED = re.compile(r"certificate verify failed: ([^()'\"]+)")


def _tls_failure(exc: ksa.SSLError, doing: str) -> BackendUnavailable:
    """Say why TLS failed. OpenSSL's reason ("self-signed certificate in certificate chain", "Hostname
    mismatch, ...") is read from the text keystoneauth builds out of the requests error: it names the URL and the
    certificate, never a credential (those travel in request bodies and headers)."""
    found = _VERIFY_FAILED.search(str(exc))
    if found is None:
        return BackendUnavailable(f"the TLS handshake with OpenStack failed while {doing}")
    return BackendUnavailable(
        f"{TLS_UNVERIFIED} while {doing} ({found.group(1).strip()}): set caBundle to the CA that signed it"
    )


def _message(exc: BaseException) -> str:
    if isinstance(exc, sdk.HttpException):
        return (exc.details or exc.message or "").strip() or str(exc.status_code)
    return type(exc).__name__


def translate(exc: BaseException, doing: str, *, field: str | None = None) -> PluginError:
    """The PluginError for an exception raised while `doing` something (a phrase: "booting server x")."""
    if isinstance(exc, PluginError):
        return exc
    if isinstance(exc, ksa.Unauthorized | ksa.NoMatchingPlugin | ksa.MissingRequiredOptions) or (
        isinstance(exc, sdk.HttpException) and exc.status_code == 401
    ):
        return AuthenticationFailed(f"{AUTH_FAILED}: Keystone rejected the configured credentials ({doing})")
    if isinstance(exc, ksa.EndpointNotFound | sdk.EndpointNotFound):
        return BackendUnavailable(f"no endpoint for {doing} in the configured region: {exc}")
    if isinstance(exc, ksa.SSLError):
        return _tls_failure(exc, doing)
    if isinstance(exc, ksa.ConnectionError | ksa.DiscoveryFailure):
        return BackendUnavailable(f"OpenStack is unreachable while {doing} ({type(exc).__name__})")
    if isinstance(exc, sdk.HttpException) and exc.status_code is not None:
        status, message = exc.status_code, _message(exc)
        if status == 404:
            return NotFound(f"{doing}: {message}", field=field)
        if status in (409, 413) or (status == 403 and "quota" in message.lower()):
            return Conflict(f"{doing}: {message}", field=field)
        if status == 403:
            return AuthenticationFailed(f"{doing}: the configured OpenStack user is not allowed to: {message}")
        if 400 <= status < 500:
            return InvalidRequest(f"{doing}: {message}", field=field)
        return BackendUnavailable(f"{doing}: OpenStack answered {status}: {message}")
    if isinstance(exc, ksa.ClientException | sdk.SDKException):
        return BackendUnavailable(f"{doing}: {type(exc).__name__}: {exc}")
    raise exc


@contextlib.contextmanager
def translated(doing: str, *, field: str | None = None) -> Iterator[None]:
    """Run a block of SDK calls, re-raising what fails as a PluginError."""
    try:
        yield
    except PluginError:
        raise
    except (ksa.ClientException, sdk.SDKException) as exc:
        raise translate(exc, doing, field=field) from None
