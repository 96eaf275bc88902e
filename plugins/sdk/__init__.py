"""The netweave plugin SDK: what a backend plugin implements. Third-party plugins import only this package."""

from plugins.sdk.base import Capability, EmptyConfig, HealthStatus, Plugin, PluginCategory
from plugins.sdk.dms import DMSPlugin
from plugins.sdk.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    Conflict,
    InvalidRequest,
    NotFound,
    NotSupported,
    PluginError,
)
from plugins.sdk.ims import IMSPlugin
from plugins.sdk.observability import ObservabilityPlugin
from plugins.sdk.smo import SMOPlugin

__all__ = [
    "AuthenticationFailed",
    "BackendUnavailable",
    "Capability",
    "Conflict",
    "DMSPlugin",
    "EmptyConfig",
    "HealthStatus",
    "IMSPlugin",
    "InvalidRequest",
    "NotFound",
    "NotSupported",
    "ObservabilityPlugin",
    "Plugin",
    "PluginCategory",
    "PluginError",
    "SMOPlugin",
]
