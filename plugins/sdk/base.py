"""The base plugin contract shared by every category (the seed's `Plugin` interface, in Python)."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from rest_framework import serializers


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
    config block and gives field-level messages. Fields listed in `secret_fields` hold credentials: the
    config stores a reference to a Secret row for them, and the resolved value only reaches `initialize`.
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

    @abstractmethod
    def health(self) -> HealthStatus:
        """Ask the backend whether it is reachable and usable right now."""

    def close(self) -> None:  # noqa: B027 - optional hook, most plugins hold nothing to release
        """Release connections. Called when the instance is reconfigured or the process exits."""
