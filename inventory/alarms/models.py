"""Alarm models. They belong to the inventory app (imported by inventory.models) because alarms point at
inventory rows and share the change log and the notification outbox with them."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from inventory.models import Subscription
from plugins.models import PluginInstance


class PerceivedSeverity(models.IntegerChoices):
    CRITICAL = 0
    MAJOR = 1
    MINOR = 2
    WARNING = 3
    INDETERMINATE = 4
    CLEARED = 5


class AlarmEventRecord(models.Model):
    """One alarm, from raise to clear, and until the retention purges it once cleared.

    `resource` and `resource_type` are links without a database constraint: an alarm about a resource that has
    since left the inventory keeps naming it, and an alarm about the O-Cloud itself names the O-Cloud's id.
    `source_key` identifies the alarm at its source (an Alertmanager fingerprint); it is unique among the
    alarms of one source that are not cleared yet, so the same condition firing again later is a new alarm.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    resource = models.ForeignKey(
        "inventory.Resource", on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    resource_type = models.ForeignKey(
        "inventory.ResourceType",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    alarm_definition_id = models.CharField(max_length=255, blank=True)
    probable_cause_id = models.CharField(max_length=255, blank=True)
    raised_time = models.DateTimeField()
    changed_time = models.DateTimeField(null=True, blank=True)
    acknowledge_time = models.DateTimeField(null=True, blank=True)
    acknowledged = models.BooleanField(default=False)
    perceived_severity = models.IntegerField(choices=PerceivedSeverity.choices)
    cleared_time = models.DateTimeField(null=True, blank=True, db_index=True)
    extensions: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    source = models.ForeignKey(PluginInstance, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    source_key = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["raised_time", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=models.Q(cleared_time__isnull=True),
                name="uniq_active_alarm_source_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.alarm_definition_id or 'alarm'} on {self.resource_id} ({self.get_perceived_severity_display()})"


class AlarmServiceConfiguration(models.Model):
    """The alarm service configuration: a singleton (pk 1) created with its defaults on first read."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    retention_period = models.PositiveIntegerField(
        default=14, validators=[MinValueValidator(1), MaxValueValidator(36500)], help_text="Days; at least 1."
    )
    extensions: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "alarm service configuration"
        verbose_name_plural = "alarm service configuration"

    def __str__(self) -> str:
        return f"retention {self.retention_period} days"

    @classmethod
    def current(cls) -> AlarmServiceConfiguration:
        config, _ = cls.objects.get_or_create(pk=1)
        return config


class AlarmSubscriptionManager(models.Manager["AlarmSubscription"]):
    def get_queryset(self) -> models.QuerySet[AlarmSubscription]:
        return super().get_queryset().filter(kind=Subscription.Kind.ALARM)


class AlarmSubscription(Subscription):
    """An O2ims alarm subscription: a Subscription row of kind `alarm`, so that the outbox, the delivery
    worker, the sweeper and the SMO authentication serve alarm subscribers unchanged."""

    objects: ClassVar[AlarmSubscriptionManager] = AlarmSubscriptionManager()

    class Meta:
        proxy = True
        verbose_name = "alarm subscription"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = Subscription.Kind.ALARM
        super().save(*args, **kwargs)
