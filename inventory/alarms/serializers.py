"""OpenAPI shapes and body validation of the O2ims monitoring API (O2-REFERENCE.md §6)."""

from __future__ import annotations

from rest_framework import serializers

from netweave.o2 import schema
from netweave.o2.query import MAX_FILTER_LENGTH
from netweave.o2.strict import StrictSerializer


class AlarmEventRecordSerializer(serializers.Serializer):
    alarmEventRecordId = serializers.UUIDField()
    alarmEventRecordID = serializers.UUIDField(required=False)
    resourceTypeId = serializers.UUIDField(required=False)
    resourceTypeID = serializers.UUIDField(required=False)
    resourceId = serializers.UUIDField(required=False)
    resourceID = serializers.UUIDField(required=False)
    alarmDefinitionId = serializers.CharField(allow_blank=True, required=False)
    alarmDefinitionID = serializers.CharField(allow_blank=True, required=False)
    probableCauseId = serializers.CharField(allow_blank=True, required=False)
    probableCauseID = serializers.CharField(allow_blank=True, required=False)
    alarmRaisedTime = serializers.DateTimeField(required=False)
    alarmChangedTime = serializers.DateTimeField(required=False)
    alarmAcknowledgeTime = serializers.DateTimeField(required=False)
    alarmAcknowledged = serializers.BooleanField(required=False)
    perceivedSeverity = serializers.IntegerField(
        min_value=0,
        max_value=5,
        required=False,
        help_text="0 CRITICAL, 1 MAJOR, 2 MINOR, 3 WARNING, 4 INDETERMINATE, 5 CLEARED",
    )
    extensions = serializers.DictField(required=False)


class AlarmModificationSerializer(serializers.Serializer):
    """Exactly one of the two: acknowledge, or clear."""

    alarmAcknowledged = serializers.BooleanField(required=False, help_text="true: acknowledge the alarm")
    perceivedSeverity = serializers.IntegerField(required=False, help_text="5 (CLEARED): clear the alarm")


class AlarmSubscriptionCreateSerializer(StrictSerializer):
    callback = schema.UriField(max_length=2000, help_text="Where AlarmEventNotifications are POSTed (https).")
    consumerSubscriptionId = serializers.CharField(
        max_length=255, required=False, allow_null=True, help_text="The SMO's own id, echoed in notifications."
    )
    filter = serializers.CharField(
        max_length=MAX_FILTER_LENGTH,
        required=False,
        allow_blank=True,
        help_text="SOL013 filter over AlarmEventRecord attributes selecting the alarms reported. Absent: every alarm.",
    )


class AlarmSubscriptionSerializer(serializers.Serializer):
    alarmSubscriptionId = serializers.UUIDField()
    consumerSubscriptionId = serializers.CharField(required=False)
    filter = serializers.CharField(allow_blank=True, required=False)
    callback = schema.UriField(required=False)


class AlarmServiceConfigurationSerializer(StrictSerializer):
    retentionPeriod = serializers.IntegerField(min_value=1, max_value=36500, help_text="Days cleared alarms are kept.")
    extensions = serializers.DictField(required=False)


class AlarmServiceConfigurationPatchSerializer(AlarmServiceConfigurationSerializer):
    retentionPeriod = serializers.IntegerField(min_value=1, max_value=36500, required=False)
