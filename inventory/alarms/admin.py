"""Admin pages for alarms: browse and filter by severity, state, acknowledgement, resource and source; acknowledge
or clear selected alarms (through the same lifecycle functions as the API, so the change log and the alarm
notifications see them). Records are otherwise read-only: they come from the observability plugins."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from inventory.alarms import lifecycle
from inventory.alarms.models import AlarmEventRecord, AlarmServiceConfiguration
from netweave import context


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("active", "active"), ("cleared", "cleared")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(cleared_time__isnull=True)
        if self.value() == "cleared":
            return queryset.filter(cleared_time__isnull=False)
        return queryset


@admin.register(AlarmEventRecord)
class AlarmEventRecordAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "perceived_severity",
        "alarm_definition_id",
        "resource_id",
        "raised_time",
        "acknowledged",
        "cleared_time",
        "source",
    )
    list_filter = ("perceived_severity", StateFilter, "acknowledged", "source")
    search_fields = ("=resource__id", "alarm_definition_id", "source_key")
    list_select_related = ("source",)
    show_full_result_count = False
    actions = ("acknowledge", "clear")
    readonly_fields = [f.name for f in AlarmEventRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _apply(self, request: HttpRequest, queryset: QuerySet[AlarmEventRecord], change: Any, verb: str) -> None:
        user = request.user.pk if request.user.is_authenticated else None
        with context.bind(source="admin", user_id=user):
            for pk in queryset.values_list("pk", flat=True):
                change(pk)
        self.message_user(request, f"{verb} {queryset.count()} alarm(s).", messages.SUCCESS)

    @admin.action(description="Acknowledge the selected alarms", permissions=["change"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[AlarmEventRecord]) -> None:
        self._apply(request, queryset, lifecycle.acknowledge, "Acknowledged")

    @admin.action(description="Clear the selected alarms", permissions=["change"])
    def clear(self, request: HttpRequest, queryset: QuerySet[AlarmEventRecord]) -> None:
        self._apply(request, queryset, lifecycle.clear, "Cleared")


@admin.register(AlarmServiceConfiguration)
class AlarmServiceConfigurationAdmin(admin.ModelAdmin):
    list_display = ("retention_period",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AlarmServiceConfiguration.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
