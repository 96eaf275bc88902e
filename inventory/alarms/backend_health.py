"""An O-Cloud alarm for every backend netweave cannot use (DESIGN.md "Bad input and failure": a backend that is
down keeps serving the last sync for reads, answers 503 for writes, and health AND an alarm say so).

One active alarm per plugin instance, raised against the O-Cloud itself (source: the instance, key
`netweave:backend-unreachable`), MAJOR, with the instance's name and the safe reason in `extensions`. It is
raised (or its reason changed) each time the instance's backend fails — an IMS sync, a DMS health check, an
observability poll — and cleared by the first success after that, so alarm subscribers get NEW, CHANGE and
CLEAR like for any other alarm. The definition id names the category, so an SMO can filter on it.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings

from inventory.alarms import lifecycle
from inventory.alarms.models import PerceivedSeverity
from plugins.models import PluginInstance

logger = logging.getLogger(__name__)

KEY = "netweave:backend-unreachable"
MESSAGE_MAX = 500


def definition_id(instance: PluginInstance) -> str:
    """`netweave-ims-backend-unreachable`, `netweave-dms-backend-unreachable`, ..."""
    return f"netweave-{instance.category}-backend-unreachable"


def ocloud_id() -> uuid.UUID:
    return uuid.UUID(str(settings.NETWEAVE_OCLOUD["oCloudId"]))


def raise_backend_alarm(instance: PluginInstance, message: str) -> None:
    """Raise the instance's backend alarm, or update its reason; `message` must be safe to show."""
    logger.warning("%s instance %s: backend unusable: %s", instance.category.upper(), instance.name, message)
    lifecycle.upsert(
        instance,
        lifecycle.RaisedAlarm(
            source_key=KEY,
            severity=PerceivedSeverity.MAJOR,
            resource_id=ocloud_id(),
            alarm_definition_id=definition_id(instance),
            probable_cause_id=definition_id(instance),
            extensions={"pluginInstance": instance.name, "message": message[:MESSAGE_MAX]},
        ),
    )


def clear_backend_alarm(instance: PluginInstance) -> None:
    """Clear the instance's backend alarm if one is active (the backend works again)."""
    record = lifecycle.active_record(instance, KEY)
    if record is not None:
        logger.info("%s instance %s: backend usable again", instance.category.upper(), instance.name)
        lifecycle.clear(record.pk)
