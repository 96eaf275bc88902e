"""Errors a plugin raises. The O2 API maps each to a ProblemDetails status (see STATUS)."""

from __future__ import annotations


class PluginError(Exception):
    """Base class. `detail` is safe to show to API callers: it must never contain a credential."""

    status = 500
    title = "Plugin error"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


class NotFound(PluginError):
    status = 404
    title = "Not found"


class Conflict(PluginError):
    status = 409
    title = "Conflict"


class InvalidRequest(PluginError):
    status = 400
    title = "Invalid request"


class NotSupported(PluginError):
    """The backend cannot do this operation. Raised instead of pretending success."""

    status = 501
    title = "Not supported"


class BackendUnavailable(PluginError):
    status = 503
    title = "Backend unavailable"


class AuthenticationFailed(PluginError):
    """The backend rejected netweave's credentials (a gateway problem, hence 502 to the API caller)."""

    status = 502
    title = "Backend authentication failed"
