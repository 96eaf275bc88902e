"""Admin for notifications: SMO endpoints (authentication towards SMOs), subscriptions with their delivery
state, every notification with its last error (expired ones re-drivable), and the O-Cloud's SMO registration.

Subscriptions are created through the O2ims API, which validates the callback and the filter; the admin can
attach an SMO endpoint to one, delete one, and re-drive its expired notifications.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from inventory.models import Notification, SmoEndpoint, SmoRegistration, Subscription
from inventory.notifications import delivery
from inventory.notifications.outbox import queue_deliveries

EVENT_NAMES = {0: "create", 1: "modify", 2: "delete"}


@admin.register(SmoEndpoint)
class SmoEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "base_url", "oauth2_token_url", "uses_mtls", "signs")
    search_fields = ("name", "base_url")
    fieldsets = (
        (None, {"fields": ("name", "base_url")}),
        (
            "OAuth2 client credentials",
            {"fields": ("oauth2_token_url", "oauth2_client_id", "oauth2_client_secret", "oauth2_scope")},
        ),
        ("Mutual TLS", {"fields": ("client_certificate", "client_key", "ca_certificate")}),
        ("HMAC signature", {"fields": ("hmac_key", "hmac_header")}),
    )

    @admin.display(boolean=True, description="mTLS")
    def uses_mtls(self, obj: SmoEndpoint) -> bool:
        return obj.client_certificate_id is not None

    @admin.display(boolean=True, description="HMAC")
    def signs(self, obj: SmoEndpoint) -> bool:
        return obj.hmac_key_id is not None


def _redrive(request: HttpRequest, rows: QuerySet[Notification], modeladmin: admin.ModelAdmin) -> None:
    subscription_ids = delivery.redrive(rows)
    queue_deliveries(subscription_ids, force=True)
    modeladmin.message_user(
        request, f"Re-driven the expired notifications of {len(subscription_ids)} subscription(s).", messages.SUCCESS
    )


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "consumer_subscription_id",
        "callback",
        "filter",
        "endpoint",
        "pending",
        "expired",
        "delivered_count",
        "failure_count",
    )
    search_fields = ("id", "consumer_subscription_id", "callback")
    list_filter = ("kind",)  # inventory or alarm subscriptions (docs/alarms.md)
    readonly_fields = (
        "id",
        "kind",
        "consumer_subscription_id",
        "callback",
        "filter",
        "created",
        "delivered_count",
        "failure_count",
        "notifications_link",
    )
    fields = (
        "id",
        "kind",
        "consumer_subscription_id",
        "callback",
        "filter",
        "endpoint",
        "created",
        "delivered_count",
        "failure_count",
        "notifications_link",
    )
    actions = ["redrive_expired"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        return (
            super()
            .get_queryset(request)
            .select_related("endpoint")
            .annotate(
                pending_n=Count("notifications", filter=Q(notifications__status=Notification.Status.PENDING)),
                expired_n=Count("notifications", filter=Q(notifications__status=Notification.Status.EXPIRED)),
            )
        )

    @admin.display(description="pending", ordering="pending_n")
    def pending(self, obj: Any) -> int:
        return int(obj.pending_n)

    @admin.display(description="expired", ordering="expired_n")
    def expired(self, obj: Any) -> int:
        return int(obj.expired_n)

    @admin.display(description="Notifications")
    def notifications_link(self, obj: Subscription) -> SafeString:
        url = reverse("admin:inventory_notification_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}">all notifications of this subscription</a>', url)

    @admin.action(description="Re-drive the expired notifications of the selected subscriptions")
    def redrive_expired(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        _redrive(request, Notification.objects.filter(subscription__in=queryset), self)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "subscription",
        "event",
        "status",
        "attempts",
        "created",
        "next_attempt",
        "delivered",
        "short_error",
    )
    list_filter = ("status",)
    list_select_related = ("subscription",)
    search_fields = ("=subscription__id", "last_error")
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["redrive"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="event")
    def event(self, obj: Notification) -> str:
        return EVENT_NAMES.get(obj.payload.get("notificationEventType"), "?")

    @admin.display(description="last error")
    def short_error(self, obj: Notification) -> str:
        return obj.last_error[:120]

    @admin.action(description="Re-drive the selected expired notifications")
    def redrive(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        _redrive(request, queryset, self)


@admin.register(SmoRegistration)
class SmoRegistrationAdmin(admin.ModelAdmin):
    list_display = ("url", "registered", "attempts", "last_attempt", "last_error")
    readonly_fields = ("url", "registered", "attempts", "last_attempt", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
