"""The base plugin contract shared by every category (the seed's `Plugin` interface, in Python)."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from rest_framework import serializers

from plugins.sdk.errors import InvalidRequest
from plugins.sdk.validation import error_paths


class PluginCategory(StrEnum):
    IMS = "ims"
    DMS = "dms"
    SMO = "smo"
    OBSERVABILITY = "observability"


class Capability(StrEnum):
    """Capability names exactly as the seed spells them."""

    # IMS
    RESOURCE_POOL_MANAGEMENT = "resource-pool-management"
    RESOURCE_MANAGEMENT = "resource-management"
    RESOURCE_TYPE_DISCOVERY = "resource-type-discovery"
    REALTIME_EVENTS = "realtime-events"
    # DMS
    PACKAGE_MANAGEMENT = "package-management"
    DEPLOYMENT_LIFECYCLE = "deployment-lifecycle"
    ROLLBACK = "rollback"
    SCALING = "scaling"
    GITOPS = "gitops"
    SUSPEND = "suspend"  # netweave's own (docs/decisions/0017-suspend-resume.md): the engine's reconciliation paused
    # SMO
    WORKFLOW_ORCHESTRATION = "workflow-orchestration"
    SERVICE_MODELING = "service-modeling"
    POLICY_MANAGEMENT = "policy-management"
    INVENTORY_SYNC = "inventory-sync"
    # Observability
    METRICS_COLLECTION = "metrics-collection"
    DISTRIBUTED_TRACING = "distributed-tracing"
    ALERT_MANAGEMENT = "alert-management"


@dataclass(frozen=True)
class HealthStatus:
    healthy: bool
    message: str = ""
    details: Mapping[str, str] = field(default_factory=dict)
    timestamp: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


class EmptyConfig(serializers.Serializer):
    """Config class for plugins that take no settings."""


class Plugin(ABC):
    """A backend plugin type. One object of the class serves one configured plugin instance.

    Class attributes describe the type; `config_class` is a DRF serializer that validates the instance's
    config block and gives field-level messages. It is the type's one config schema: plugins.sdk.schema reads
    it for the admin's form, the REST API's JSON Schema and docs/plugin-config-reference.md, so give every field
    `help_text` and a `default` (see that module and docs/decisions/0009-plugin-config-schema.md). Fields listed
    in `secret_fields` hold credentials: the config stores a reference to a Secret row for them, and the
    resolved value only reaches `initialize`.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    category: ClassVar[PluginCategory]
    config_class: ClassVar[type[serializers.Serializer]] = EmptyConfig
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, instance_name: str = "") -> None:
        self.instance_name = instance_name or self.name

    @abstractmethod
    def capabilities(self) -> frozenset[Capability]:
        """What this instance can do; operations outside it raise NotSupported."""

    @abstractmethod
    def initialize(self, config: Mapping[str, Any]) -> None:
        """Take validated config (secrets resolved) and connect. Raise a PluginError on failure."""

    def validated_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """`config` checked by the type's `config_class`, with its defaults filled in: what initialize() uses.

        netweave validates a config block before initialize() sees it, but a plugin object is also built by
        tests, scripts and other callers that hand it a raw mapping, so initialize() starts with this rather than
        trusting its argument. Raises InvalidRequest whose `field` is the first bad field's path and whose
        detail lists every problem (paths as plugins.sdk.validation spells them); the values of `secret_fields`
        never appear in it.
        """
        serializer = self.config_class(data=dict(config))
        if serializer.is_valid():
            return dict(serializer.validated_data)
        credentials = [value for key, value in config.items() if key in self.secret_fields and isinstance(value, str)]
        pairs = error_paths(serializer.errors, root="config", hide=credentials)
        problems = "; ".join(f"{path if path == 'config' else f'config.{path}'}: {message}" for path, message in pairs)
        raise InvalidRequest(
            f"Plugin instance '{self.instance_name}' ({self.category}.{self.name}) has invalid config: {problems}",
            field=pairs[0][0],
        )

    @classmethod
    def config_warnings(cls, config: Mapping[str, Any]) -> list[str]:
        """Risks in a valid config the operator should see (TLS verification off, ...): the admin shows each as a
        warning when the instance is saved. `config` is the stored block (credentials as references)."""
        return []

    @abstractmethod
    def health(self) -> HealthStatus:
        """Ask the backend whether it is reachable and usable right now."""

    def close(self) -> None:  # noqa: B027 - optional hook, most plugins hold nothing to release
        """Release connections. Called when the instance is reconfigured or the process exits."""
