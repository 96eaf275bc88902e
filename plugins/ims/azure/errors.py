"""azure-core errors -> the SDK's PluginErrors. ARM's error bodies carry no credential, azure-identity's messages
name the tenant and client but not the secret; `translate` still removes the configured credentials by value."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from azure.core import exceptions as aze

from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    PluginError,
)
from plugins.sdk.validation import REDACTED

AUTH_FAILED = "authentication failed"


def _clean(text: str, hidden: Iterable[str]) -> str:
    for value in hidden:
        if value:
            text = text.replace(value, REDACTED)
    return text


def _message(exc: aze.HttpResponseError, hidden: Iterable[str]) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None) or exc.reason or type(exc).__name__
    return _clean(str(message), hidden)


def translate(exc: BaseException, doing: str, *, field: str | None = None, hidden: Iterable[str] = ()) -> PluginError:
    """The PluginError for an azure-core exception raised while `doing` something (a phrase: "listing clusters")."""
    if isinstance(exc, PluginError):
        return exc
    if isinstance(exc, aze.ClientAuthenticationError):
        return AuthenticationFailed(f"{AUTH_FAILED}: Azure refused the service principal while {doing}")
    if isinstance(exc, aze.HttpResponseError):
        status = exc.status_code or 0
        if status in (401, 403):
            return AuthenticationFailed(f"{AUTH_FAILED}: Azure refused {doing} ({status})")
        if status == 404:
            return NotFound(f"{doing}: {_message(exc, hidden)}", field=field)
        if status == 429:
            return BackendUnavailable(f"{doing}: Azure is throttling requests (429); retried without success")
        if status in (409, 412):
            return Conflict(f"{doing}: {_message(exc, hidden)}", field=field)
        if 400 <= status < 500:
            return InvalidRequest(f"{doing}: {_message(exc, hidden)}", field=field)
        return BackendUnavailable(f"Azure is unreachable while {doing} ({status or type(exc).__name__})")
    if isinstance(exc, aze.ServiceRequestError | aze.ServiceResponseError):
        return BackendUnavailable(f"Azure is unreachable while {doing} ({type(exc).__name__})")
    if isinstance(exc, aze.AzureError):
        return BackendUnavailable(f"{doing}: {type(exc).__name__}")
    raise exc


@contextlib.contextmanager
def translated(doing: str, *, field: str | None = None, hidden: Iterable[str] = ()) -> Iterator[None]:
    """Run a block of SDK calls, re-raising what fails as a PluginError."""
    try:
        yield
    except PluginError:
        raise
    except aze.AzureError as exc:
        raise translate(exc, doing, field=field, hidden=hidden) from None
