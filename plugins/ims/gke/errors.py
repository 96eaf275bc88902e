"""google-api-core errors -> the SDK's PluginErrors. Google's error messages carry no credential; a service
account's private key never leaves google-auth (it signs a JWT locally)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    PluginError,
)

AUTH_FAILED = "authentication failed"


def translate(exc: BaseException, doing: str, *, field: str | None = None) -> PluginError:
    if isinstance(exc, PluginError):
        return exc
    if isinstance(exc, auth_exc.GoogleAuthError):
        return AuthenticationFailed(f"{AUTH_FAILED}: Google refused the service account while {doing}")
    if isinstance(exc, gexc.NotFound):
        return NotFound(f"{doing}: {exc.message}", field=field)
    if isinstance(exc, gexc.Unauthenticated | gexc.PermissionDenied | gexc.Unauthorized | gexc.Forbidden):
        return AuthenticationFailed(f"{AUTH_FAILED}: Google refused {doing} ({type(exc).__name__})")
    if isinstance(exc, gexc.AlreadyExists | gexc.Conflict | gexc.FailedPrecondition):
        return Conflict(f"{doing}: {exc.message}", field=field)
    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted):
        return BackendUnavailable(f"{doing}: Google is throttling requests; retried without success")
    if isinstance(exc, gexc.InvalidArgument | gexc.BadRequest):
        return InvalidRequest(f"{doing}: {exc.message}", field=field)
    if isinstance(exc, gexc.RetryError):
        return BackendUnavailable(f"Google Cloud is unreachable while {doing} (retries exhausted)")
    if isinstance(exc, gexc.GoogleAPICallError):
        return BackendUnavailable(f"Google Cloud is unreachable while {doing} ({type(exc).__name__})")
    raise exc


@contextlib.contextmanager
def translated(doing: str, *, field: str | None = None) -> Iterator[None]:
    try:
        yield
    except PluginError:
        raise
    except (gexc.GoogleAPIError, auth_exc.GoogleAuthError) as exc:
        raise translate(exc, doing, field=field) from None
