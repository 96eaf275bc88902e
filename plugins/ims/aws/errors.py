"""botocore errors -> the SDK's PluginErrors, so the API answers the right ProblemDetails.

AWS's error messages carry no credential (a bad signature says so without echoing the key) and connection
errors name the endpoint only; `translate` still removes any configured credential it finds, by value.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from botocore import exceptions as bce

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
NOT_FOUND_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "InvalidInstanceID.NotFound",
        "InvalidInstanceID.Malformed",
        "InvalidInstanceType",
        "InvalidSubnetID.NotFound",
        "NotFoundException",
    }
)
AUTH_CODES = frozenset(
    {
        "AuthFailure",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
    }
)
CONFLICT_CODES = frozenset({"ResourceInUseException", "ResourceLimitExceededException", "ResourceLimitExceeded"})
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "RequestThrottled"}
)


def _clean(text: str, hidden: Iterable[str]) -> str:
    for value in hidden:
        if value:
            text = text.replace(value, REDACTED)
    return text


def translate(exc: BaseException, doing: str, *, field: str | None = None, hidden: Iterable[str] = ()) -> PluginError:
    """The PluginError for a botocore exception raised while `doing` something (a phrase: "listing clusters")."""
    if isinstance(exc, PluginError):
        return exc
    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = _clean(str(error.get("Message", "")) or code, hidden)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        if code in NOT_FOUND_CODES:
            return NotFound(f"{doing}: {message}", field=field)
        if code in AUTH_CODES or status in (401, 403):
            return AuthenticationFailed(f"{AUTH_FAILED}: AWS refused {doing} ({code})")
        if code in THROTTLING_CODES or status == 429:
            return BackendUnavailable(f"{doing}: AWS is throttling requests ({code}); retried without success")
        if code in CONFLICT_CODES or status == 409:
            return Conflict(f"{doing}: {message}", field=field)
        if 400 <= status < 500:
            return InvalidRequest(f"{doing}: {message}", field=field)
        return BackendUnavailable(f"{doing}: AWS answered {status or code}: {message}")
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return AuthenticationFailed(f"{AUTH_FAILED}: no usable AWS credentials while {doing}")
    if isinstance(exc, bce.EndpointConnectionError | bce.ConnectTimeoutError | bce.ReadTimeoutError):
        return BackendUnavailable(f"AWS is unreachable while {doing} ({type(exc).__name__})")
    if isinstance(exc, bce.ParamValidationError):
        return InvalidRequest(f"{doing}: {_clean(str(exc), hidden)}", field=field)
    if isinstance(exc, bce.WaiterError):
        return BackendUnavailable(f"{doing}: {exc.last_response.get('Error', {}).get('Message') or 'timed out'}")
    if isinstance(exc, bce.BotoCoreError):
        return BackendUnavailable(f"{doing}: {type(exc).__name__}")
    raise exc


@contextlib.contextmanager
def translated(doing: str, *, field: str | None = None, hidden: Iterable[str] = ()) -> Iterator[None]:
    """Run a block of boto3 calls, re-raising what fails as a PluginError."""
    try:
        yield
    except PluginError:
        raise
    except (bce.ClientError, bce.BotoCoreError) as exc:
        raise translate(exc, doing, field=field, hidden=hidden) from None
