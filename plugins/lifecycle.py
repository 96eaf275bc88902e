"""The plugin framework's lifecycle events, as Django signals.

The framework (sdk, registry, routing, discovery, config import) knows nothing of the apps that keep state for a
plugin instance (the inventory, alarms, schedules). Those apps subscribe here instead of being called, so the
framework never imports them and they can be replaced or tested alone.

- `instance_retiring(sender=PluginInstance, instance=...)`: sent inside the transaction that is about to delete
  the instance's row. Receivers remove what the instance owns (the inventory app retires its objects through
  reconcile, so each one gets its change-log row and notification). A receiver that raises aborts the
  deletion (e.g. ProtectedError when something still references the instance's objects).
"""

from __future__ import annotations

from django.dispatch import Signal

instance_retiring = Signal()

__all__ = ["instance_retiring"]
