"""Configured plugin instances, the routing rules between them, and the secrets they use."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.validators import RegexValidator
from django.db import models

from plugins.sdk.base import PluginCategory

CATEGORY_CHOICES = [
    (c.value, c.value.upper() if c != PluginCategory.OBSERVABILITY else "Observability") for c in PluginCategory
]

slug_validator = RegexValidator(
    r"^[a-z0-9]([a-z0-9\-_.]{0,61}[a-z0-9])?$",
    "Use lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit.",
)


class Secret(models.Model):
    """Where a credential lives. The value itself is never rendered back: only its provider and reference.

    - env: the value is read from an environment variable named by `reference`;
    - file: the value is read from a file whose path is `reference`;
    - encrypted: the value is stored here, encrypted with a key from NETWEAVE_SECRETS_KEYS (see secrets.py).
    """

    class Provider(models.TextChoices):
        ENV = "env", "Environment variable"
        FILE = "file", "File"
        ENCRYPTED = "encrypted", "Encrypted in the database"

    name = models.CharField(max_length=100, unique=True, validators=[slug_validator])
    description = models.CharField(max_length=200, blank=True)
    provider = models.CharField(max_length=20, choices=Provider.choices)
    reference = models.CharField(
        max_length=500, blank=True, help_text="Environment variable name (env) or file path (file)."
    )
    ciphertext = models.TextField(blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PluginInstance(models.Model):
    """One configured backend: a plugin type plus its config. Objects it syncs are owned by it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=63, unique=True, validators=[slug_validator])
    category = models.CharField(max_length=20, choices=CATEGORY_CHOICES)
    plugin_type = models.CharField(max_length=100, help_text="The plugin type, e.g. kubernetes, openstack, mock.")
    enabled = models.BooleanField(default=True)
    is_default = models.BooleanField(
        default=False, help_text="The category's fallback when no routing rule matches. One per category."
    )
    config: models.JSONField[Any, Any] = models.JSONField(
        default=dict, blank=True, help_text="Validated by the plugin type's config class. Secrets are references."
    )
    secrets = models.ManyToManyField(Secret, blank=True, related_name="plugin_instances", editable=False)
    sync_interval = models.PositiveIntegerField(
        default=60, help_text="Seconds between periodic syncs (IMS plugins). 0 disables the periodic sync."
    )
    # Health as last observed; refreshed by syncs and by the admin's "test connection".
    health_ok = models.BooleanField(null=True, editable=False)
    health_message = models.CharField(max_length=500, blank=True, editable=False)
    health_checked = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_started = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_finished = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_ok = models.BooleanField(null=True, editable=False)
    last_sync_summary = models.CharField(max_length=500, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(is_default=True), name="one_default_plugin_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.category}/{self.plugin_type})"


class RoutingRule(models.Model):
    """The seed's routing rule: which instance handles a request, by type and conditions, highest priority first.

    `match_type` is the resource type (IMS) or package type (DMS) the rule applies to; `*` matches any.
    `conditions` may hold `labels` (all must be present with equal values on the request) and flags such as
    `gitOps: true` (must equal the request's attribute of that name).
    """

    name = models.CharField(max_length=100, validators=[slug_validator])
    category = models.CharField(max_length=20, choices=CATEGORY_CHOICES)
    priority = models.IntegerField(default=0)
    plugin_instance = models.ForeignKey(PluginInstance, on_delete=models.CASCADE, related_name="routing_rules")
    match_type = models.CharField(
        max_length=100, default="*", help_text="Resource type (IMS) or package type (DMS); * matches any."
    )
    mode = models.CharField(max_length=20, blank=True, help_text="SMO rules: northbound or dms-backend.")
    conditions: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "-priority", "name"]
        constraints = [models.UniqueConstraint(fields=["category", "name"], name="unique_rule_name_per_category")]

    def __str__(self) -> str:
        return f"{self.category}:{self.name} (priority {self.priority})"
