"""The inventory's side of the plugin framework's lifecycle events (plugins.lifecycle).

The framework announces that an instance is being retired; the inventory removes what the instance owns through
reconcile, so every object gets its delete change-log row and notification in the same transaction as the
instance's deletion.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from inventory.sync import retire_instance
from plugins import lifecycle
from plugins.models import PluginInstance


@receiver(lifecycle.instance_retiring, sender=PluginInstance, dispatch_uid="netweave-inventory-retire")
def _retire_inventory(sender: type, instance: PluginInstance, **kwargs: Any) -> None:
    retire_instance(instance)
