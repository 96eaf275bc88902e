"""The O2ims monitoring objects (O2-REFERENCE.md §6), declared once for rendering, filters and selectors.

Later specs spell the id suffixes `ID`; v1 SMOs read `Id`. Both spellings are served (and filterable), each
backed by the same column.
"""

from __future__ import annotations

from typing import Any

from netweave.o2.spec import FieldType, O2Field, ObjectSpec, uuid_field


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _both(name: str, column: str, *, identifier: bool = False, uuid: bool = True) -> tuple[O2Field, O2Field]:
    spellings = (name, name[:-2] + "ID")
    if uuid:
        return tuple(uuid_field(n, column, identifier=identifier, nullable=not identifier) for n in spellings)  # type: ignore[return-value]
    return tuple(O2Field(n, column) for n in spellings)  # type: ignore[return-value]


ALARM_EVENT_RECORD = ObjectSpec(
    "AlarmEventRecord",
    (
        *_both("alarmEventRecordId", "id", identifier=True),
        *_both("resourceTypeId", "resource_type_id"),
        *_both("resourceId", "resource_id"),
        *_both("alarmDefinitionId", "alarm_definition_id", uuid=False),
        *_both("probableCauseId", "probable_cause_id", uuid=False),
        O2Field("alarmRaisedTime", "raised_time", FieldType.DATETIME, render=_iso),
        O2Field("alarmChangedTime", "changed_time", FieldType.DATETIME, nullable=True, render=_iso),
        O2Field("alarmAcknowledgeTime", "acknowledge_time", FieldType.DATETIME, nullable=True, render=_iso),
        O2Field("alarmAcknowledged", "acknowledged", FieldType.BOOLEAN),
        O2Field("perceivedSeverity", "perceived_severity", FieldType.INTEGER),
        O2Field("extensions", "extensions", FieldType.OBJECT, default_excluded=True),
    ),
)

ALARM_SUBSCRIPTION = ObjectSpec(
    "AlarmSubscriptionInfo",
    (
        uuid_field("alarmSubscriptionId", "id", identifier=True),
        O2Field("consumerSubscriptionId", "consumer_subscription_id", nullable=True),
        O2Field("filter", "filter"),
        O2Field("callback", "callback"),
    ),
)

ALARM_SERVICE_CONFIGURATION = ObjectSpec(
    "AlarmServiceConfiguration",
    (
        O2Field("retentionPeriod", "retention_period", FieldType.INTEGER),
        O2Field("extensions", "extensions", FieldType.OBJECT),
    ),
)
