"""Live plugin objects for configured PluginInstance rows, one per instance per process.

`get_plugin(instance)` instantiates the instance's plugin type, initializes it with the resolved config and
caches it keyed by the row's primary key and `updated` timestamp: a row saved since (new config) gets a fresh
object and the replaced one is closed. `check_health` asks the plugin and records the answer on the row.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import uuid
from dataclasses import dataclass

from django.db import transaction

from plugins import lifecycle
from plugins.discovery import UnknownPluginType, get_plugin_class
from plugins.models import PluginInstance
from plugins.sdk.base import HealthStatus, Plugin
from plugins.sdk.errors import BackendUnavailable, PluginError
from plugins.secrets import ConfigError, SecretError, resolve_config

logger = logging.getLogger(__name__)

HEALTH_MESSAGE_MAX = 500  # PluginInstance.health_message max_length


class PluginDisabled(BackendUnavailable):
    """The plugin instance is disabled; nothing is sent to its backend."""

    title = "Plugin instance disabled"


class PluginUnavailable(BackendUnavailable):
    """The instance cannot be set up: unknown type, invalid config or an unavailable credential. `detail` is
    safe to show (it names keys, secrets, variables and files, never a value)."""

    title = "Plugin instance not usable"


@dataclass
class _Entry:
    updated: dt.datetime | None
    plugin: Plugin


_lock = threading.Lock()
_entries: dict[uuid.UUID, _Entry] = {}
_init_locks: dict[uuid.UUID, threading.Lock] = {}


def _init_lock(pk: uuid.UUID) -> threading.Lock:
    with _lock:
        return _init_locks.setdefault(pk, threading.Lock())


def _close(plugin: Plugin, reason: str) -> None:
    try:
        plugin.close()
    except Exception:
        logger.exception("Closing plugin instance %s (%s) failed", plugin.instance_name, reason)


def _is_current(entry: _Entry | None, instance: PluginInstance) -> bool:
    if entry is None:
        return False
    if entry.updated == instance.updated:
        return True
    # A caller holding an older copy of the row gets the newer object rather than thrashing the cache.
    return entry.updated is not None and instance.updated is not None and entry.updated > instance.updated


def get_plugin(instance: PluginInstance) -> Plugin:
    """The initialized plugin object serving `instance` in this process.

    Raises PluginDisabled for a disabled instance, PluginUnavailable when the type is unknown, the config invalid
    or a secret unavailable, and whatever PluginError the plugin's `initialize` raises.
    """
    if not instance.enabled:
        raise PluginDisabled(f"Plugin instance '{instance.name}' is disabled.")
    pk = instance.pk
    entry = _entries.get(pk)
    if _is_current(entry, instance):
        assert entry is not None
        return entry.plugin
    with _init_lock(pk):
        entry = _entries.get(pk)  # another thread may have initialized it meanwhile
        if _is_current(entry, instance):
            assert entry is not None
            return entry.plugin
        try:
            plugin_class = get_plugin_class(instance.category, instance.plugin_type)
            config = resolve_config(instance)
        except (UnknownPluginType, ConfigError, SecretError) as exc:
            raise PluginUnavailable(str(exc)) from None
        plugin = plugin_class(instance.name)
        try:
            plugin.initialize(config)
        except BaseException:
            _close(plugin, "initialize failed")
            raise
        with _lock:
            replaced = _entries.get(pk)
            _entries[pk] = _Entry(instance.updated, plugin)
        if replaced is not None and replaced.plugin is not plugin:
            _close(replaced.plugin, "reconfigured")
        logger.info("Initialized plugin instance %s (%s/%s)", instance.name, instance.category, instance.plugin_type)
        return plugin


def forget(instance_pk: uuid.UUID) -> None:
    """Drop (and close) the cached plugin object of an instance, e.g. after the row was deleted."""
    with _lock:
        entry = _entries.pop(instance_pk, None)
        _init_locks.pop(instance_pk, None)
    if entry is not None:
        _close(entry.plugin, "forgotten")


def forget_all() -> None:
    """Close every cached plugin object (process exit, tests)."""
    with _lock:
        entries = list(_entries.values())
        _entries.clear()
        _init_locks.clear()
    for entry in entries:
        _close(entry.plugin, "shutdown")


atexit.register(forget_all)


def _safe_message(exc: BaseException) -> str:
    if isinstance(exc, PluginError):
        return exc.detail
    # Anything else may carry backend text we have not vetted (a URL with credentials, ...): name the type only.
    return f"Unexpected error ({type(exc).__name__}); see the netweave log for details."


def check_health(instance: PluginInstance) -> HealthStatus:
    """Ask the instance's plugin whether its backend is usable; record the answer on the row.

    Never raises for a plugin failure: any error becomes an unhealthy status with a safe message.
    """
    try:
        status = get_plugin(instance).health()
        if not isinstance(status, HealthStatus):
            raise TypeError(f"health() returned {type(status).__name__}, not HealthStatus")
    except Exception as exc:
        if not isinstance(exc, PluginError):
            logger.exception("Health check of plugin instance %s failed unexpectedly", instance.name)
        else:
            logger.warning("Plugin instance %s is unhealthy: %s", instance.name, exc.detail)
        status = HealthStatus(healthy=False, message=_safe_message(exc))
    message = status.message[:HEALTH_MESSAGE_MAX]
    checked = status.timestamp
    PluginInstance.objects.filter(pk=instance.pk).update(
        health_ok=status.healthy, health_message=message, health_checked=checked
    )
    instance.health_ok = status.healthy
    instance.health_message = message
    instance.health_checked = checked
    return status


def retire_instance(instance: PluginInstance) -> None:
    """Remove a plugin instance that is no longer configured (config import with --prune, admin, REST API).

    The `instance_retiring` lifecycle signal lets the apps holding state for it (the inventory) remove what it
    owns first, so each object gets its delete change-log row and notification; then the row goes, with its
    routing rules, and once committed the live plugin object is closed.
    """
    pk = instance.pk
    with transaction.atomic():
        lifecycle.instance_retiring.send(sender=PluginInstance, instance=instance)
        instance.delete()
    transaction.on_commit(lambda: forget(pk))
    logger.info("Retired plugin instance %s (%s/%s)", instance.name, instance.category, instance.plugin_type)


__all__ = [
    "PluginDisabled",
    "PluginUnavailable",
    "check_health",
    "forget",
    "forget_all",
    "get_plugin",
    "retire_instance",
]
