"""Admin for notifications: SMO endpoints (authentication towards SMOs), subscriptions with their delivery
state, every notification with its last error (expired ones re-drivable), and the O-Cloud's SMO registration.

Subscriptions are created through the O2ims API, which validates the callback and the filter; the admin can
attach an SMO endpoint to one, delete one, re-drive its expired notifications, and pause and resume its delivery
(the list, the change page's buttons and the netweave_subscription_paused metric show which are paused).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from inventory import specs
from inventory.models import Notification, SmoEndpoint, SmoRegistration, Subscription
from inventory.notifications import delivery
from inventory.notifications.outbox import object_ref, queue_deliveries

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


class PausedFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("active", "delivering"), ("paused", "paused")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> QuerySet[Subscription]:
        if self.value() == "paused":
            return queryset.filter(paused__isnull=False)
        if self.value() == "active":
            return queryset.filter(paused__isnull=True)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "delivery_state",
        "consumer_subscription_id",
        "callback",
        "filter",
        "endpoint",
        "pending",
        "expired",
        "last_error",
        "delivered_count",
        "failure_count",
    )
    search_fields = ("id", "consumer_subscription_id", "callback")
    list_filter = ("kind", PausedFilter)  # inventory, alarm or O2dms subscriptions (docs/alarms.md)
    readonly_fields = (
        "id",
        "kind",
        "delivery_state",
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
        "delivery_state",
        "consumer_subscription_id",
        "callback",
        "filter",
        "endpoint",
        "created",
        "delivered_count",
        "failure_count",
        "notifications_link",
    )
    actions = ["pause_delivery", "resume_delivery", "redrive_expired", "send_test_notification"]
    change_form_template = "admin/inventory/subscription/change_form.html"

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
                last_error_text=Subquery(
                    Notification.objects.filter(subscription=OuterRef("pk"))
                    .exclude(last_error="")
                    .order_by("-last_attempt", "-id")
                    .values("last_error")[:1]
                ),
            )
        )

    @admin.display(description="pending", ordering="pending_n")
    def pending(self, obj: Any) -> int:
        return int(obj.pending_n)

    @admin.display(description="expired", ordering="expired_n")
    def expired(self, obj: Any) -> int:
        return int(obj.expired_n)

    @admin.display(description="last error")
    def last_error(self, obj: Any) -> str:
        return (obj.last_error_text or "")[:120]

    @admin.display(description="delivery", ordering="paused")
    def delivery_state(self, obj: Subscription) -> SafeString:
        if obj.paused is None:
            return SafeString('<span class="delivery-active">delivering</span>')
        since = timezone.localtime(obj.paused).strftime("%Y-%m-%d %H:%M:%S")
        return format_html('<strong class="delivery-paused">paused</strong> since {}', since)

    def _pause(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        subscriptions = list(queryset.filter(paused__isnull=True))
        delivery.pause(queryset)
        for subscription in subscriptions:
            self.log_change(request, subscription, "Paused delivery.")
        self.message_user(
            request,
            f"Paused delivery to {len(subscriptions)} subscription(s); their notifications wait in the outbox.",
            messages.SUCCESS,
        )

    def _resume(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        subscriptions = list(queryset.filter(paused__isnull=False))
        ids = delivery.resume(queryset)
        for subscription in subscriptions:
            self.log_change(request, subscription, "Resumed delivery.")
        waiting = Notification.objects.filter(subscription_id__in=ids, status=Notification.Status.PENDING).count()
        transaction.on_commit(lambda: queue_deliveries(ids, force=True))
        self.message_user(
            request,
            f"Resumed delivery to {len(ids)} subscription(s); {waiting} waiting notification(s) will be delivered "
            "in order.",
            messages.SUCCESS,
        )

    @admin.action(description="Pause delivery (notifications keep queueing)", permissions=["change"])
    def pause_delivery(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        self._pause(request, queryset)

    @admin.action(description="Resume delivery (the backlog is delivered in order)", permissions=["change"])
    def resume_delivery(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        self._resume(request, queryset)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/pause/", wrap(self.pause_view), name="inventory_subscription_pause"),
            path("<uuid:object_id>/resume/", wrap(self.resume_view), name="inventory_subscription_resume"),
            *super().get_urls(),
        ]

    def _object_button(self, request: HttpRequest, object_id: Any, run: Any) -> HttpResponse:
        """POST-only button of the change page: run one action on this subscription, then back to its page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        subscription = get_object_or_404(Subscription, pk=object_id)
        if not self.has_change_permission(request, subscription):
            raise PermissionDenied
        run(request, Subscription.objects.filter(pk=subscription.pk))
        return HttpResponseRedirect(reverse("admin:inventory_subscription_change", args=[subscription.pk]))

    def pause_view(self, request: HttpRequest, object_id: Any) -> HttpResponse:
        return self._object_button(request, object_id, self._pause)

    def resume_view(self, request: HttpRequest, object_id: Any) -> HttpResponse:
        return self._object_button(request, object_id, self._resume)

    @admin.display(description="Notifications")
    def notifications_link(self, obj: Subscription) -> SafeString:
        url = reverse("admin:inventory_notification_changelist") + f"?subscription__id__exact={obj.pk}"
        return format_html('<a href="{}">all notifications of this subscription</a>', url)

    @admin.action(description="Send a test notification now (inventory subscriptions)", permissions=["change"])
    def send_test_notification(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        """POST one notification straight to each callback, with the subscription's authentication, outside the
        outbox (nothing is queued or retried): a MODIFY of the O-Cloud whose prior and post states are the
        O-Cloud as it is, so a conforming subscriber accepts it and nothing it holds changes."""
        from inventory.ocloud import ensure_ocloud

        state = specs.OCLOUD.render(ensure_ocloud())
        for subscription in queryset:
            if subscription.kind != Subscription.Kind.INVENTORY:
                self.message_user(
                    request,
                    f"{subscription.pk}: test notifications are sent to inventory subscriptions only.",
                    messages.WARNING,
                )
                continue
            payload: dict[str, Any] = {"notificationId": str(uuid.uuid4())}
            if subscription.consumer_subscription_id is not None:
                payload["consumerSubscriptionId"] = subscription.consumer_subscription_id
            payload.update(notificationEventType=1, priorObjectState=state, postObjectState=state)
            ref = object_ref(specs.OCLOUD.object_type, state)
            if ref is not None:
                payload["objectRef"] = ref
            try:
                status = delivery.send(subscription, json.dumps(payload).encode())
            except delivery.DeliveryFailed as exc:
                self.message_user(request, f"{subscription.callback}: test notification failed: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{subscription.callback}: answered HTTP {status}.", messages.SUCCESS)

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
    actions = ["redrive", "redeliver_from_here"]
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

    @admin.action(description="Redeliver from here (this notification and every later one of its subscription)")
    def redeliver_from_here(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        """For a subscriber that lost what it received: make the selected notification and all later ones of the
        same subscription pending again, in order, with a fresh maximum age, and queue their delivery."""
        start = {row.subscription_id: row.id for row in queryset.order_by("-id")}  # earliest selected wins
        now = timezone.now()
        count = 0
        with transaction.atomic():
            for subscription_id, first_id in start.items():
                count += Notification.objects.filter(subscription_id=subscription_id, id__gte=first_id).update(
                    status=Notification.Status.PENDING, delivered=None, enqueued=now, next_attempt=now, attempts=0
                )
        ids = sorted(str(i) for i in start)
        transaction.on_commit(lambda: queue_deliveries(ids))
        self.message_user(
            request, f"{count} notification(s) of {len(ids)} subscription(s) will be delivered again.", messages.SUCCESS
        )


@admin.register(SmoRegistration)
class SmoRegistrationAdmin(admin.ModelAdmin):
    list_display = ("url", "registered", "attempts", "last_attempt", "last_error")
    readonly_fields = ("url", "registered", "attempts", "last_attempt", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
