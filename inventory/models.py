"""The O2ims inventory as netweave stores it: one table per O2 object kind, plus the change log.

Rows are written only by reconcile (sync, watch, API writes) and never edited by hand: the owning plugin
instance's backend is the truth. Ids are deterministic UUIDs (see inventory.identity), so they survive
re-syncs, restarts and re-imports of the configuration.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from plugins.models import PluginInstance


class OCloud(models.Model):
    """The single O-Cloud this netweave serves. Its identity comes from settings (NETWEAVE_OCLOUD_*)."""

    id = models.UUIDField(primary_key=True)
    global_cloud_id = models.UUIDField()
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    service_uri = models.CharField(max_length=500)
    extensions: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "O-Cloud"
        verbose_name_plural = "O-Cloud"

    def __str__(self) -> str:
        return self.name


class InventoryObject(models.Model):
    """What every synced object carries: its owner, native id, and the hash of its O2 content."""

    id = models.UUIDField(primary_key=True)
    plugin_instance = models.ForeignKey(PluginInstance, on_delete=models.PROTECT, related_name="+")
    native_id = models.CharField(max_length=255)
    content_hash = models.CharField(max_length=32)
    extensions: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class DeploymentManager(InventoryObject):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    o_cloud_id = models.UUIDField()
    service_uri = models.CharField(max_length=500, blank=True)
    supported_locations: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    capabilities: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)
    capacity: models.JSONField[Any, Any] = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_dm_native")]

    def __str__(self) -> str:
        return self.name


class ResourceType(InventoryObject):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    vendor = models.CharField(max_length=255, blank=True)
    model = models.CharField(max_length=255, blank=True)
    version = models.CharField(max_length=255, blank=True)
    resource_kind = models.CharField(max_length=20, default="UNDEFINED")
    resource_class = models.CharField(max_length=20, default="UNDEFINED")
    alarm_dictionary: models.JSONField[Any, Any] = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_rt_native")]

    def __str__(self) -> str:
        return self.name


class ResourcePool(InventoryObject):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    o_cloud_id = models.UUIDField()
    global_location_id = models.CharField(max_length=255, blank=True)
    location = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_rp_native")]

    def __str__(self) -> str:
        return self.name


class Resource(InventoryObject):
    resource_type = models.ForeignKey(ResourceType, on_delete=models.PROTECT, related_name="resources")
    resource_pool = models.ForeignKey(ResourcePool, on_delete=models.PROTECT, related_name="resources")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="elements")
    global_asset_id = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_res_native")]
        indexes = [models.Index(fields=["resource_pool", "id"], name="res_pool_keyset")]

    def __str__(self) -> str:
        return self.description or str(self.id)


class ChangeLogEntry(models.Model):
    """One create, modify or delete of an inventory object, from any source, written in the same transaction
    as the change itself. States are the O2 representation (as a GET of the object would return it)."""

    class Action(models.TextChoices):
        CREATE = "create"
        MODIFY = "modify"
        DELETE = "delete"

    class Source(models.TextChoices):
        SYNC = "sync"
        WATCH = "watch"
        API = "api"
        ADMIN = "admin"
        SYSTEM = "system"

    id = models.BigAutoField(primary_key=True)
    time = models.DateTimeField(db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.UUIDField()
    action = models.CharField(max_length=10, choices=Action.choices)
    prior_state: models.JSONField[Any, Any] = models.JSONField(null=True, blank=True)
    post_state: models.JSONField[Any, Any] = models.JSONField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    plugin_instance = models.ForeignKey(
        PluginInstance, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    plugin_instance_name = models.CharField(max_length=63, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "change-log entry"
        verbose_name_plural = "change log"
        indexes = [models.Index(fields=["object_type", "object_id", "id"], name="changelog_object")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"
