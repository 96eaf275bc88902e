"""The O2ims inventory as netweave stores it: one table per O2 object kind, plus the change log.

Rows are written only by reconcile (sync, watch, API writes) and never edited by hand: the owning plugin
instance's backend is the truth. Ids are deterministic UUIDs (see inventory.identity), so they survive
re-syncs, restarts and re-imports of the configuration.
"""

from __future__ import annotations

import uuid
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


class Location(InventoryObject):
    """An R005 location (O2ims LocationInfo): where sites are. Its O2 identifier is `global_location_id` (a
    string the backend gives, e.g. an RFC 5870 geo URI); the row's UUID only keys it internally."""

    global_location_id = models.CharField(max_length=255, db_index=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    coordinate: models.JSONField[Any, Any] = models.JSONField(null=True, blank=True)  # a GeoJSON Point
    civic_address: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    address = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_loc_native")]

    def __str__(self) -> str:
        return self.name


class OCloudSite(InventoryObject):
    """An R005 O-Cloud site (O2ims OCloudSiteInfo): a place holding resource pools, at one location."""

    global_location_id = models.CharField(max_length=255, blank=True, db_index=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)

    class Meta:
        verbose_name = "O-Cloud site"
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_site_native")]

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
    # R005: the id of the AlarmDictionary made from `alarm_dictionary` (NULL when the type has none).
    alarm_dictionary_id = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_rt_native")]

    def __str__(self) -> str:
        return self.name


class AlarmDictionary(InventoryObject):
    """An R005 AlarmDictionary, served on its own: made by reconcile from each resource type's embedded
    dictionary (native id = the type's), so it changes, and is logged and notified, with its type."""

    resource_type_id = models.UUIDField(db_index=True)
    alarm_dictionary_version = models.CharField(max_length=255, blank=True)
    alarm_dictionary_schema_version = models.CharField(max_length=255, blank=True)
    entity_type = models.CharField(max_length=255, blank=True)
    vendor = models.CharField(max_length=255, blank=True)
    management_interface_id: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    pk_notification_field: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)
    alarm_definition: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "alarm dictionaries"
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_ad_native")]

    def __str__(self) -> str:
        return f"{self.entity_type} ({self.vendor})"


class ResourcePool(InventoryObject):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    o_cloud_id = models.UUIDField()
    global_location_id = models.CharField(max_length=255, blank=True)
    location = models.CharField(max_length=255, blank=True)
    o_cloud_site_id = models.UUIDField(null=True, blank=True, db_index=True)  # R005; the site's O2 id

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
    tags: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)  # R005
    groups: models.JSONField[Any, Any] = models.JSONField(default=list, blank=True)  # R005

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plugin_instance", "native_id"], name="uniq_res_native")]
        indexes = [
            models.Index(fields=["resource_pool", "id"], name="res_pool_keyset"),
            # Filtered pages by type within a pool (the common SMO query) walk this index in keyset order.
            models.Index(fields=["resource_pool", "resource_type", "id"], name="res_pool_type_keyset"),
        ]

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
        IMPORT = "import"
        SYSTEM = "system"

    id = models.BigAutoField(primary_key=True)
    time = models.DateTimeField(db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.UUIDField()
    object_name = models.CharField(max_length=255, blank=True, help_text="The object's name when it changed.")
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
    actor = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who, besides a user: 'import by <os user>', 'sync by <plugin instance>', an API credential.",
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = "change-log entry"
        verbose_name_plural = "change log"
        indexes = [models.Index(fields=["object_type", "object_id", "id"], name="changelog_object")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id}"


# --------------------------------------------------------------------------------------- subscriptions


class SmoEndpoint(models.Model):
    """How netweave authenticates towards one SMO when it delivers notifications.

    Applies to every subscription whose callback starts with `base_url`, unless a subscription names its own
    endpoint in the admin. Credentials are Secret references (plugins.secrets.resolve reads them at delivery
    time); nothing here holds a secret value.
    """

    name = models.CharField(max_length=100, unique=True)
    base_url = models.CharField(
        max_length=500,
        blank=True,
        help_text="Callbacks starting with this URL use this endpoint's authentication (blank: only subscriptions "
        "that name this endpoint).",
    )
    oauth2_token_url = models.CharField("OAuth2 token URL", max_length=500, blank=True)
    oauth2_client_id = models.CharField("OAuth2 client id", max_length=255, blank=True)
    oauth2_client_secret = models.ForeignKey(
        "plugins.Secret", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    oauth2_scope = models.CharField("OAuth2 scope", max_length=500, blank=True)
    client_certificate = models.ForeignKey(
        "plugins.Secret",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="mTLS: the client certificate chain (PEM).",
    )
    client_key = models.ForeignKey(
        "plugins.Secret",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="mTLS: the client private key (PEM, unencrypted).",
    )
    ca_certificate = models.TextField(
        "CA certificate", blank=True, help_text="PEM bundle that signs the SMO's server certificate (blank: system)."
    )
    hmac_key = models.ForeignKey(
        "plugins.Secret",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="When set, every notification carries an HMAC-SHA256 signature of its body.",
    )
    hmac_header = models.CharField(max_length=100, default="X-Netweave-Signature")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SMO endpoint"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """An O2ims inventory subscription (O2-REFERENCE.md §5), plus netweave's delivery bookkeeping."""

    class Kind(models.TextChoices):
        INVENTORY = "inventory"
        ALARM = "alarm"  # an O2ims alarm subscription (inventory.alarms), delivered by the same outbox
        DMS = "dms", "DMS"  # an O2dms change subscription (deployments.notifications), delivered by the same outbox

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INVENTORY, editable=False)
    # Absent and "" are different consumerSubscriptionIds, so absence is NULL.
    consumer_subscription_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    filter = models.TextField(blank=True)
    callback = models.CharField(max_length=2000)
    # sha256 of (callback, filter, consumerSubscriptionId): the duplicate rule, indexable whatever their length.
    fingerprint = models.CharField(max_length=64, unique=True, editable=False)
    endpoint = models.ForeignKey(
        SmoEndpoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
        help_text="Authentication towards the SMO (blank: the endpoint whose base URL the callback starts with).",
    )
    created = models.DateTimeField(auto_now_add=True)
    # Counters for the metrics, added while the subscription is held (see notifications.delivery.Tally).
    delivered_count = models.BigIntegerField(default=0, editable=False)
    failure_count = models.BigIntegerField(default=0, editable=False)
    latency_sum = models.FloatField(default=0.0, editable=False)
    # When the delivery task queued for this subscription is due to run; NULL: none queued (notifications.scheduling).
    delivery_queued = models.DateTimeField(null=True, blank=True, editable=False)
    # When an operator paused delivery (admin: Pause delivery); NULL: delivering. While paused, the outbox keeps
    # filling and nothing is sent or expires; resuming delivers the backlog in order (notifications.delivery).
    paused = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.id} → {self.callback}"


class Notification(models.Model):
    """One InventoryChangeNotification for one subscription: the outbox row, written in the transaction of
    the change and kept until it is delivered or expires."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        EXPIRED = "expired"

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="notifications")
    change = models.ForeignKey(ChangeLogEntry, on_delete=models.SET_NULL, null=True, related_name="+")
    payload: models.JSONField[Any, Any] = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created = models.DateTimeField()
    # The maximum age counts from here; a re-drive from the admin starts it again.
    enqueued = models.DateTimeField()
    next_attempt = models.DateTimeField()
    attempts = models.IntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_attempt = models.DateTimeField(null=True, blank=True)
    delivered = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["subscription", "status", "id"], name="outbox_head")]

    def __str__(self) -> str:
        return f"{self.payload.get('notificationId')} ({self.status})"


class SmoRegistration(models.Model):
    """The O-Cloud's registration with an SMO (NETWEAVE_SMO_REGISTRATION_URL): the last attempt and its result."""

    url = models.CharField(max_length=500, unique=True)
    attempts = models.IntegerField(default=0)
    last_attempt = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    registered = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SMO registration"

    def __str__(self) -> str:
        return self.url


# The alarm models live in their own module of this app (O2ims infrastructure monitoring).
from inventory.alarms.models import AlarmEventRecord, AlarmServiceConfiguration, AlarmSubscription  # noqa: E402, F401
