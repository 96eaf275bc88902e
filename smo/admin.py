"""Admin: per SMO instance the northbound sync (lag, last error, counts; "full resync"; "preview what would be
pushed for object X"), and the workflow executions started through the SMO North API, with their status."""

from __future__ import annotations

import json
import logging
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from plugins.models import PluginInstance
from plugins.sdk.base import PluginCategory
from smo import changes, northbound
from smo.models import NorthboundCursor, OutboundEvent, WorkflowExecution

logger = logging.getLogger(__name__)


@receiver(post_save, sender=PluginInstance, dispatch_uid="netweave-smo-cursor")
def _smo_instance_saved(sender: type, instance: PluginInstance, **kwargs: object) -> None:
    """Every SMO instance has its northbound row from the start (so the admin lists it before its first push)."""
    if instance.category == PluginCategory.SMO:
        NorthboundCursor.objects.get_or_create(instance=instance)


class PreviewForm(forms.Form):
    object_type = forms.ChoiceField(
        choices=[(t, t) for t in (changes.OCLOUD_TYPE, *changes.INVENTORY_FIELDS)], label="Object type"
    )
    object_id = forms.CharField(max_length=64, label="Object id", help_text="The O2 id (a UUID).")


@admin.register(NorthboundCursor)
class NorthboundCursorAdmin(admin.ModelAdmin):
    list_display = [
        "instance",
        "lag_shown",
        "events_pending",
        "objects_pushed",
        "objects_deleted",
        "events_published",
        "duplicates",
        "errors",
        "last_push",
        "last_full_sync",
        "last_error_shown",
    ]
    list_select_related = ["instance"]
    readonly_fields = [f.name for f in NorthboundCursor._meta.fields] + ["lag_shown", "events_pending", "preview_link"]
    actions = ["full_resync"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.method in ("GET", "HEAD") or super().has_change_permission(request, obj)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        self._head = changes.head()  # one query for the whole page's lag column
        return super().changelist_view(request, extra_context)

    @admin.display(description="Lag (change-log entries)")
    def lag_shown(self, obj: NorthboundCursor) -> int:
        head = getattr(self, "_head", None)
        return northbound.lag(obj, head)

    @admin.display(description="Events pending")
    def events_pending(self, obj: NorthboundCursor) -> int:
        return OutboundEvent.objects.filter(instance_id=obj.instance_id, status=OutboundEvent.Status.PENDING).count()

    @admin.display(description="Last error")
    def last_error_shown(self, obj: NorthboundCursor) -> str:
        return obj.last_error or "—"

    @admin.display(description="Preview")
    def preview_link(self, obj: NorthboundCursor) -> str:
        url = reverse("admin:smo_northboundcursor_preview", args=[obj.pk])
        return format_html('<a href="{}">What would be pushed for an object?</a>', url)

    @admin.action(description="Full resync", permissions=["change"])
    def full_resync(self, request: HttpRequest, queryset: QuerySet[NorthboundCursor]) -> None:
        from smo.tasks import step_instance

        for cursor in queryset.select_related("instance"):
            northbound.request_full_sync(cursor.instance)
            try:
                step_instance.delay(str(cursor.instance_id))
            except Exception as exc:  # the broker is away: the periodic sweep runs it
                logger.warning("Could not queue the SMO step for %s (%s)", cursor.instance.name, exc)
            self.message_user(request, f"{cursor.instance.name}: full resync requested.", messages.SUCCESS)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/preview/", wrap(self.preview_view), name="smo_northboundcursor_preview"),
            *super().get_urls(),
        ]

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """ "What would be pushed for object X": the plugin's rendering of the object now; nothing is sent."""
        cursor = get_object_or_404(NorthboundCursor.objects.select_related("instance"), pk=object_id)
        if not self.has_view_permission(request, cursor):
            raise PermissionDenied
        form = PreviewForm(request.GET or None)
        outcome: dict[str, Any] | None = None
        if form.is_bound and form.is_valid():
            try:
                shown = northbound.preview(
                    cursor.instance, form.cleaned_data["object_type"], form.cleaned_data["object_id"]
                )
                outcome = {"payload": json.dumps(shown, indent=2, sort_keys=True, default=str)}
            except Exception as exc:
                outcome = {"error": northbound.safe_message(exc)}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview: what {cursor.instance.name} would push",
            "opts": self.model._meta,
            "cursor": cursor,
            "form": form,
            "outcome": outcome,
        }
        return TemplateResponse(request, "admin/smo/northboundcursor/preview.html", context)


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(admin.ModelAdmin):
    list_display = ["workflow_name", "instance", "status", "smo_execution_id", "started", "updated", "requested_by"]
    list_filter = ["status", "instance"]
    search_fields = ["workflow_name", "smo_execution_id"]
    list_select_related = ["instance"]
    readonly_fields = [f.name for f in WorkflowExecution._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail stays
