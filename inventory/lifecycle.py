"""The inventory's side of plugin instance lifecycles.

- Retiring (plugins.lifecycle.instance_retiring, sent by the framework): the inventory removes what the instance
  owns through reconcile, so every object gets its delete change-log row and notification in the same
  transaction as the instance's deletion.
- Saving (Django's post_save, whoever saves: the admin, the config import, the REST API): once committed, a
  health check is queued, so a new or reconfigured instance shows its real health within seconds instead of
  "unknown" until someone clicks Test connection. Syncs record health again after each run (inventory.sync).
  A broker that is away (a Redis restart) does not fail the save that was already committed: the check is not
  queued, a warning says so, and the instance's next sync records its health.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from inventory.sync import retire_instance
from plugins import lifecycle
from plugins.models import PluginInstance

logger = logging.getLogger(__name__)


@receiver(lifecycle.instance_retiring, sender=PluginInstance, dispatch_uid="netweave-inventory-retire")
def _retire_inventory(sender: type, instance: PluginInstance, **kwargs: Any) -> None:
    retire_instance(instance)


@receiver(post_save, sender=PluginInstance, dispatch_uid="netweave-health-on-save")
def _check_health_on_save(sender: type, instance: PluginInstance, raw: bool = False, **kwargs: Any) -> None:
    if raw or not instance.enabled:
        return
    pk = str(instance.pk)
    transaction.on_commit(lambda: queue_health_check(pk))


def queue_health_check(pk: str) -> None:
    """Queue the health check of a committed save. Raising here would turn a committed save (an operator's in the
    admin, a sync's) into an error after the fact, so a broker that refuses is logged instead."""
    from inventory.tasks import check_plugin_health

    try:
        check_plugin_health.delay(pk)
    except Exception as exc:  # kombu raises several types when the broker is away
        logger.warning("Could not queue a health check for plugin instance %s (%s); its next sync records it", pk, exc)
