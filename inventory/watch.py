"""Realtime inventory: feed a plugin's native change events into reconcile, one object at a time.

`manage.py netweave_watch` runs one `InstanceWatcher` thread per enabled IMS instance whose plugin declares
`realtime-events`. Each watcher first relists (a full sync, so nothing that happened while it was not
watching is missed), then consumes `plugin.watch()`. When the watch breaks (backend restart, expired
watch), the watcher backs off, relists and watches again; the periodic sync keeps running regardless, so a
dead watcher only makes changes arrive later, never lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections, connections

from inventory.sync import ReconcileError, SyncFailed, apply_changes, sync_instance
from netweave import context
from plugins.models import PluginInstance
from plugins.sdk import ims as sdk
from plugins.sdk.base import Capability, PluginCategory
from plugins.sdk.errors import NotSupported, PluginError

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 60.0


def apply_event(instance: PluginInstance, event: sdk.InventoryEvent) -> None:
    """Reconcile the one object an event names (its current state, or its deletion)."""
    with context.bind(source="watch", plugin_instance_id=instance.pk):
        if event.obj is None:
            apply_changes(instance, deletes={event.kind: [event.native_id]})
        else:
            apply_changes(instance, upserts={event.kind: [event.obj]})


def watchable_instances() -> list[PluginInstance]:
    """Enabled IMS instances whose plugin type declares realtime events."""
    from plugins.registry import get_plugin

    found = []
    for instance in PluginInstance.objects.filter(category=PluginCategory.IMS, enabled=True):
        try:
            plugin = get_plugin(instance)
        except PluginError as exc:
            logger.warning("cannot watch %s: %s", instance.name, exc.detail)
            continue
        if Capability.REALTIME_EVENTS in plugin.capabilities():
            found.append(instance)
    return found


class InstanceWatcher(threading.Thread):
    """Relist, then watch one instance until stopped; on failure back off and start over.

    `stop` belongs to this watcher alone: the watch command sets it when the instance is removed, disabled or the
    command exits, and the watcher sets it itself when it finds its instance gone."""

    def __init__(self, instance: PluginInstance, stop: threading.Event, *, initial_backoff: float = 1.0) -> None:
        super().__init__(name=f"watch-{instance.name}", daemon=True)
        self.instance = instance
        self.stop_event = stop
        self.initial_backoff = initial_backoff

    def run(self) -> None:
        backoff = self.initial_backoff
        try:
            while not self.stop_event.is_set():
                try:
                    self._relist_and_watch()
                    backoff = self.initial_backoff
                except NotSupported:
                    logger.info("%s has no realtime events; the periodic sync covers it", self.instance.name)
                    return
                except (PluginError, SyncFailed, ReconcileError) as exc:
                    self._back_off(backoff, str(getattr(exc, "detail", None) or exc))
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                except Exception:  # a database error must not end the watch for good: retry like any other
                    logger.exception("watch of %s failed unexpectedly", self.instance.name)
                    self._back_off(backoff, "unexpected error")
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                finally:
                    close_old_connections()
        finally:
            connections.close_all()  # this thread's connections: nothing may keep the database busy after it

    def _back_off(self, seconds: float, reason: str) -> None:
        logger.warning("watch of %s interrupted (%s); relisting in %.0fs", self.instance.name, reason, seconds)
        self.stop_event.wait(seconds)

    def _relist_and_watch(self) -> None:
        from plugins.registry import get_plugin

        instance = PluginInstance.objects.filter(pk=self.instance.pk).first()
        if instance is None or not instance.enabled:
            # Removed (config import with --prune, admin) or disabled: this watch ends for good; the command's
            # rescan starts a new one if the instance comes back.
            state = "removed" if instance is None else "disabled"
            logger.info("plugin instance %s was %s; its watch ends", self.instance.name, state)
            self.stop_event.set()
            return
        plugin = get_plugin(instance)
        if not isinstance(plugin, sdk.IMSPlugin):
            raise NotSupported(f"{instance.name} is not an IMS plugin")

        def relist() -> None:
            # Called by the plugin once its watch has a starting point: changes from here on are delivered.
            with context.bind(source="watch"):
                sync_instance(instance)
            logger.info("watching %s", instance.name)

        handler: Callable[[sdk.InventoryEvent], None] = lambda event: apply_event(instance, event)  # noqa: E731
        plugin.watch(handler, self.stop_event.is_set, relist)
