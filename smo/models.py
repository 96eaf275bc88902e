"""The SMO northbound state: per SMO plugin instance a cursor over the change log, the id mapping, the event
outbox; and the workflow executions started through the SMO North API."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from plugins.models import PluginInstance


class NorthboundCursor(models.Model):
    """How far one SMO instance has consumed the change log, and what it has pushed.

    `position` is the last change-log id whose inventory change the SMO has; `inflight_upto` is set (committed)
    before a push and cleared with the new position after it, so a push a killed worker may have completed is
    pushed again and counted in `duplicates`. `event_position` is the last id copied into the event outbox: that
    copy is a database transaction of its own, so it is exactly once.
    """

    instance = models.OneToOneField(PluginInstance, on_delete=models.CASCADE, related_name="smo_cursor")
    position = models.BigIntegerField(default=0)
    inflight_upto = models.BigIntegerField(null=True, blank=True)
    event_position = models.BigIntegerField(default=0)
    full_sync_requested = models.BooleanField(default=True, help_text="A full sync runs at the next step.")
    last_full_sync = models.DateTimeField(null=True, blank=True)
    # A hole in the change-log ids: a transaction still running, or one rolled back. Waited for, then skipped.
    gap_after = models.BigIntegerField(null=True, blank=True)
    gap_seen = models.DateTimeField(null=True, blank=True)
    event_gap_after = models.BigIntegerField(null=True, blank=True)
    event_gap_seen = models.DateTimeField(null=True, blank=True)
    inflight_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0, help_text="Consecutive failed inventory pushes.")
    next_attempt = models.DateTimeField(null=True, blank=True)
    event_attempts = models.PositiveIntegerField(default=0, help_text="Consecutive failed event publishes.")
    event_next_attempt = models.DateTimeField(null=True, blank=True)
    # One worker at a time per instance, without holding a transaction open during a push (SQLite has one writer).
    # The holder renews `lease_until` while it works and only the holder (`lease_owner`) may give it back.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(
        max_length=100, blank=True, help_text="The worker holding the lease: host, process id and a random tag."
    )
    last_error = models.CharField(max_length=500, blank=True)
    last_error_time = models.DateTimeField(null=True, blank=True)
    last_push = models.DateTimeField(null=True, blank=True)
    objects_pushed = models.BigIntegerField(default=0)
    objects_deleted = models.BigIntegerField(default=0)
    events_published = models.BigIntegerField(default=0)
    duplicates = models.BigIntegerField(default=0, help_text="Objects or events sent again after an interrupted push.")
    errors = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "SMO northbound sync"
        verbose_name_plural = "SMO northbound sync"

    def __str__(self) -> str:
        return f"{self.instance.name} @ {self.position}"


class ObjectMapping(models.Model):
    """netweave object id -> the SMO's id for it (and its version, e.g. A&AI's resource-version)."""

    instance = models.ForeignKey(PluginInstance, on_delete=models.CASCADE, related_name="+")
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    smo_id = models.CharField(max_length=500)
    smo_version = models.CharField(max_length=100, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instance", "object_id", "object_type"], name="smo_mapping_unique")
        ]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} -> {self.smo_id}"


class OutboundEvent(models.Model):
    """An event for one SMO instance, copied from a change-log entry; kept until published."""

    class Status(models.TextChoices):
        PENDING = "pending"
        PUBLISHED = "published"

    instance = models.ForeignKey(PluginInstance, on_delete=models.CASCADE, related_name="+")
    change_id = models.BigIntegerField()
    payload: models.JSONField[Any, Any] = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField()
    # Set (committed) before the publish call: a row found claimed but still pending was maybe sent.
    claimed = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    published = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["instance", "change_id"], name="smo_event_once")]
        indexes = [models.Index(fields=["instance", "status", "change_id"], name="smo_event_pending")]

    def __str__(self) -> str:
        return f"event {self.change_id} for {self.instance_id}"


class WorkflowExecution(models.Model):
    """A workflow started through the SMO North API. Changes are written to the change log (auditable)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    instance = models.ForeignKey(PluginInstance, on_delete=models.PROTECT, related_name="+")
    workflow_name = models.CharField(max_length=200)
    parameters: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    smo_execution_id = models.CharField(max_length=200)
    status = models.CharField(max_length=40)
    message = models.CharField(max_length=1000, blank=True)
    details: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    started = models.DateTimeField()
    updated = models.DateTimeField()
    requested_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-started"]

    def __str__(self) -> str:
        return f"{self.workflow_name} ({self.status})"
