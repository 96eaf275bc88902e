"""The alarm lifecycle: raise, change, acknowledge, clear and purge, each recorded in the change log (object
type "AlarmEventRecord") in the transaction that made it, so that the alarm notifications (an outbox listener
on the change log) commit or roll back with the alarm itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from inventory import changelog
from inventory.alarms.models import AlarmEventRecord, AlarmServiceConfiguration, PerceivedSeverity
from inventory.alarms.specs import ALARM_EVENT_RECORD
from inventory.models import Resource, ResourceType

OBJECT_TYPE = ALARM_EVENT_RECORD.object_type


@dataclass(frozen=True)
class RaisedAlarm:
    """What a source reports about one active alarm."""

    source_key: str
    severity: int
    resource_id: Any = None
    resource_type_id: Any = None
    alarm_definition_id: str = ""
    probable_cause_id: str = ""
    raised_time: datetime | None = None
    extensions: Mapping[str, Any] = field(default_factory=dict)


def render(record: AlarmEventRecord) -> dict[str, Any]:
    row = {column: getattr(record, column) for column in ALARM_EVENT_RECORD.columns}
    return ALARM_EVENT_RECORD.render(row)


def _log(record: AlarmEventRecord, action: str, prior: dict[str, Any] | None) -> None:
    post = None if action == changelog.DELETE else render(record)
    changelog.record([changelog.Change(OBJECT_TYPE, record.pk, action, prior, post)], plugin_instance=record.source)


def definition_for(resource_type_id: Any, name: str) -> tuple[str, str]:
    """(alarmDefinitionId, probableCauseId) for an alarm called `name` on a resource type, from the type's alarm
    dictionary (matched by definition id or alarm name); ("", "") when the dictionary does not know it."""
    if resource_type_id is None:
        return "", ""
    dictionary = ResourceType.objects.filter(pk=resource_type_id).values_list("alarm_dictionary", flat=True).first()
    for definition in (dictionary or {}).get("alarmDefinition") or []:
        if name in (definition.get("alarmDefinitionId"), definition.get("alarmName")):
            cause = definition.get("probableCauseId") or definition.get("alarmDefinitionId") or ""
            return str(definition.get("alarmDefinitionId") or ""), str(cause)
    return "", ""


def resource_type_of(resource_id: Any) -> Any:
    return Resource.objects.filter(pk=resource_id).values_list("resource_type_id", flat=True).first()


def upsert(source: Any, alarm: RaisedAlarm) -> tuple[AlarmEventRecord, str]:
    """Raise the alarm, or change the active one with the same source key; returns (record, "raised" |
    "changed" | "unchanged")."""
    now = timezone.now()
    with transaction.atomic():
        record = (
            AlarmEventRecord.objects.select_for_update()
            .filter(source=source, source_key=alarm.source_key, cleared_time__isnull=True)
            .first()
        )
        if record is None:
            record = AlarmEventRecord.objects.create(
                source=source,
                source_key=alarm.source_key,
                resource_id=alarm.resource_id,
                resource_type_id=alarm.resource_type_id,
                alarm_definition_id=alarm.alarm_definition_id,
                probable_cause_id=alarm.probable_cause_id,
                raised_time=alarm.raised_time or now,
                perceived_severity=alarm.severity,
                extensions=dict(alarm.extensions),
            )
            _log(record, changelog.CREATE, None)
            return record, "raised"
        prior = render(record)
        record.resource_id = alarm.resource_id
        record.resource_type_id = alarm.resource_type_id
        record.alarm_definition_id = alarm.alarm_definition_id
        record.probable_cause_id = alarm.probable_cause_id
        record.perceived_severity = alarm.severity
        record.extensions = dict(alarm.extensions)
        if render(record) == prior:
            return record, "unchanged"
        record.changed_time = now
        record.save()
        _log(record, changelog.MODIFY, prior)
        return record, "changed"


def active_record(source: Any, source_key: str) -> AlarmEventRecord | None:
    return AlarmEventRecord.objects.filter(source=source, source_key=source_key, cleared_time__isnull=True).first()


def acknowledge(record_id: Any) -> AlarmEventRecord | None:
    """Acknowledge an alarm; None if there is no such alarm. Acknowledging twice changes nothing."""
    with transaction.atomic():
        record = AlarmEventRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None or record.acknowledged:
            return record
        prior = render(record)
        now = timezone.now()
        record.acknowledged, record.acknowledge_time, record.changed_time = True, now, now
        record.save()
        _log(record, changelog.MODIFY, prior)
        return record


def clear(record_id: Any) -> AlarmEventRecord | None:
    """Clear an alarm (perceivedSeverity 5); None if there is no such alarm. Clearing twice changes nothing."""
    with transaction.atomic():
        record = AlarmEventRecord.objects.select_for_update().filter(pk=record_id).first()
        if record is None or record.cleared_time is not None:
            return record
        prior = render(record)
        now = timezone.now()
        record.perceived_severity, record.cleared_time, record.changed_time = PerceivedSeverity.CLEARED, now, now
        record.save()
        _log(record, changelog.MODIFY, prior)
        return record


def clear_missing(source: Any, active_keys: set[str]) -> int:
    """Clear the source's active alarms whose key is not among `active_keys` (the condition resolved)."""
    stale = (
        AlarmEventRecord.objects.filter(source=source, cleared_time__isnull=True)
        .exclude(source_key__in=active_keys)
        .values_list("pk", flat=True)
    )
    cleared = 0
    for pk in list(stale):
        clear(pk)
        cleared += 1
    return cleared


def purge_cleared(now: datetime | None = None) -> int:
    """Delete the alarms cleared longer ago than the configured retention period."""
    cutoff = (now or timezone.now()) - timedelta(days=AlarmServiceConfiguration.current().retention_period)
    purged = 0
    with transaction.atomic():
        for record in AlarmEventRecord.objects.select_for_update().filter(cleared_time__lt=cutoff):
            _log(record, changelog.DELETE, render(record))
            record.delete()
            purged += 1
    return purged
