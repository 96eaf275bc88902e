"""Read-only admin for the O2ims inventory and its change log: what auditors browse.

Inventory rows are written only by reconcile (sync, watch, API writes), with a change-log row for each change;
an edit here would bypass both, so every admin in this module refuses add, change and delete. Lists must stay
fast at 100k resources: related rows are joined (list_select_related), full counts are skipped
(show_full_result_count=False), filters only list the small plugin-instance table, and searches that look like
a UUID become exact id lookups instead of table scans.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, URLPattern, reverse
from django.urls import path as url_path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import format_html
from django.utils.safestring import SafeString

from inventory import specs
from inventory.models import (
    AlarmDictionary,
    ChangeLogEntry,
    DeploymentManager,
    Location,
    OCloud,
    OCloudSite,
    Resource,
    ResourcePool,
    ResourceType,
)

EMPTY = "—"
PATH_SEPARATOR = "/"

# The change log's object types (the O2 notification objectType) and the models that hold those objects.
MODEL_BY_OBJECT_TYPE: dict[str, type[Model]] = {
    specs.OCLOUD.object_type: OCloud,
    specs.DEPLOYMENT_MANAGER.object_type: DeploymentManager,
    specs.RESOURCE_TYPE.object_type: ResourceType,
    specs.RESOURCE_POOL.object_type: ResourcePool,
    specs.RESOURCE.object_type: Resource,
    specs.LOCATION.object_type: Location,
    specs.O_CLOUD_SITE.object_type: OCloudSite,
    specs.ALARM_DICTIONARY.object_type: AlarmDictionary,
}


# -- links


def _admin_url(model: type[Model], name: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


def history_url(object_id: Any) -> str:
    """The change log filtered to one object: its whole history, newest first."""
    return f"{_admin_url(ChangeLogEntry, 'changelist')}?object_id={object_id}"


def object_url(object_type: str, object_id: Any) -> str | None:
    model = MODEL_BY_OBJECT_TYPE.get(object_type)
    if model is None:
        return None
    try:
        return _admin_url(model, "change", object_id)
    except NoReverseMatch:
        return None


def _link(url: str, text: Any) -> SafeString:
    return format_html('<a href="{}">{}</a>', url, text)


def _object_link(obj: Model | None) -> SafeString | str:
    if obj is None:
        return EMPTY
    return _link(_admin_url(type(obj), "change", obj.pk), obj)


def _as_uuid(term: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(term.strip())
    except ValueError:
        return None


# -- base classes


class ReadOnlyAdmin(admin.ModelAdmin):
    """A browser, not an editor: the rows have one writer (reconcile / the change log), and it is not the admin."""

    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InventoryObjectAdmin(ReadOnlyAdmin):
    """Shared by the synced kinds: filter by owning instance, search by name / native id / UUID, history link."""

    list_filter = ["plugin_instance"]
    search_fields = ["name", "native_id"]  # each searched with icontains, see get_search_results
    search_help_text = "Name or native id (contains), or an exact O2 UUID."
    readonly_fields = ["change_history", "created", "updated"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        as_uuid = _as_uuid(term)
        if as_uuid is not None:
            return queryset.filter(pk=as_uuid), False
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": term})
        return queryset.filter(query), False

    @admin.display(description="Change log")
    def change_history(self, obj: Model) -> SafeString:
        return _link(history_url(obj.pk), "History")


# -- inventory


@admin.register(OCloud)
class OCloudAdmin(ReadOnlyAdmin):
    list_display = ["name", "id", "global_cloud_id", "service_uri", "updated"]
    readonly_fields = ["updated"]


@admin.register(DeploymentManager)
class DeploymentManagerAdmin(InventoryObjectAdmin):
    list_display = ["name", "native_id", "service_uri", "plugin_instance", "updated", "change_history"]
    list_select_related = ["plugin_instance"]


@admin.register(ResourceType)
class ResourceTypeAdmin(InventoryObjectAdmin):
    list_display = [
        "name",
        "vendor",
        "model",
        "version",
        "resource_kind",
        "resource_class",
        "plugin_instance",
        "resources_link",
        "change_history",
    ]
    list_select_related = ["plugin_instance"]
    readonly_fields = ["resources_link", *InventoryObjectAdmin.readonly_fields]

    @admin.display(description="Resources")
    def resources_link(self, obj: ResourceType) -> SafeString:
        return _link(f"{_admin_url(Resource, 'changelist')}?resource_type__exact={obj.pk}", "Resources of this type")


@admin.register(Location)
class LocationAdmin(InventoryObjectAdmin):
    list_display = ["name", "global_location_id", "address", "plugin_instance", "change_history"]
    list_select_related = ["plugin_instance"]
    search_fields = ["name", "native_id", "address"]


@admin.register(OCloudSite)
class OCloudSiteAdmin(InventoryObjectAdmin):
    list_display = ["name", "global_location_id", "plugin_instance", "pools_link", "change_history"]
    list_select_related = ["plugin_instance"]
    readonly_fields = ["pools_link", *InventoryObjectAdmin.readonly_fields]

    @admin.display(description="Resource pools")
    def pools_link(self, obj: OCloudSite) -> SafeString:
        return _link(f"{_admin_url(ResourcePool, 'changelist')}?o_cloud_site_id={obj.pk}", "Pools at this site")


@admin.register(AlarmDictionary)
class AlarmDictionaryAdmin(InventoryObjectAdmin):
    list_display = ["entity_type", "vendor", "alarm_dictionary_version", "plugin_instance", "change_history"]
    list_select_related = ["plugin_instance"]
    search_fields = ["entity_type", "vendor", "native_id"]


@admin.register(ResourcePool)
class ResourcePoolAdmin(InventoryObjectAdmin):
    list_display = ["name", "location", "global_location_id", "plugin_instance", "resources_link", "change_history"]
    list_select_related = ["plugin_instance"]
    readonly_fields = ["resources_link", *InventoryObjectAdmin.readonly_fields]

    @admin.display(description="Resources")
    def resources_link(self, obj: ResourcePool) -> SafeString:
        return _link(f"{_admin_url(Resource, 'changelist')}?resource_pool__exact={obj.pk}", "Resources in this pool")


@admin.register(Resource)
class ResourceAdmin(InventoryObjectAdmin):
    """The big table (100k rows and more): one joined query per page, no full count, no per-row queries."""

    list_display = [
        "label",
        "native_id",
        "type_link",
        "pool_link",
        "parent_link",
        "plugin_instance",
        "change_history",
    ]
    list_select_related = ["resource_type", "resource_pool", "parent", "plugin_instance"]
    search_fields = ["description", "native_id", "global_asset_id"]
    search_help_text = "Description, native id or global asset id (contains), or an exact O2 UUID."
    sortable_by = ["label", "native_id"]
    list_per_page = 100
    readonly_fields = ["elements_link", *InventoryObjectAdmin.readonly_fields]

    @admin.display(description="Resource", ordering="description")
    def label(self, obj: Resource) -> str:
        return str(obj)

    @admin.display(description="Type")
    def type_link(self, obj: Resource) -> SafeString | str:
        return _object_link(obj.resource_type)

    @admin.display(description="Pool")
    def pool_link(self, obj: Resource) -> SafeString | str:
        return _object_link(obj.resource_pool)

    @admin.display(description="Parent")
    def parent_link(self, obj: Resource) -> SafeString | str:
        return _object_link(obj.parent)

    @admin.display(description="Elements")
    def elements_link(self, obj: Resource) -> SafeString:
        return _link(f"{_admin_url(Resource, 'changelist')}?parent__exact={obj.pk}", "Child resources")


# -- the change log


@dataclass(frozen=True)
class DiffRow:
    path: str
    status: str  # added, removed, changed
    before: str
    after: str


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects and arrays as {"a/b/0/c": leaf}; empty containers stay leaves so they still show."""
    if isinstance(value, Mapping) and value:
        items: Iterator[tuple[str, Any]] = ((str(k), v) for k, v in value.items())
    elif isinstance(value, list) and value:
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return {prefix: value} if prefix else {}
    flat: dict[str, Any] = {}
    for key, child in items:
        flat.update(flatten(child, f"{prefix}{PATH_SEPARATOR}{key}" if prefix else key))
    return flat


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def state_diff(prior: Any, post: Any) -> tuple[list[DiffRow], int]:
    """The changed keys between two O2 states (flattened), in document order, and how many were unchanged."""
    before, after = flatten(prior or {}), flatten(post or {})
    rows: list[DiffRow] = []
    unchanged = 0
    for path in [*before, *(p for p in after if p not in before)]:
        if path not in after:
            rows.append(DiffRow(path, "removed", _show(before[path]), ""))
        elif path not in before:
            rows.append(DiffRow(path, "added", "", _show(after[path])))
        elif before[path] != after[path]:
            rows.append(DiffRow(path, "changed", _show(before[path]), _show(after[path])))
        else:
            unchanged += 1
    return rows, unchanged


def _pretty_json(value: Any) -> SafeString | str:
    if value is None:
        return EMPTY
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str))


EMPTY_WHO = "—"
EXPORT_COLUMNS = (
    "time",
    "action",
    "object_type",
    "object_id",
    "object_name",
    "who",
    "user",
    "actor",
    "source",
    "plugin_instance",
    "request_id",
)


def export_row(entry: ChangeLogEntry) -> dict[str, str]:
    user = entry.user.get_username() if entry.user is not None else ""
    return {
        "time": entry.time.isoformat(),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": str(entry.object_id),
        "object_name": entry.object_name,
        "who": user or entry.actor,
        "user": user,
        "actor": entry.actor,
        "source": entry.source,
        "plugin_instance": entry.plugin_instance_name,
        "request_id": entry.request_id,
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    writer = csv.DictWriter(_Echo(), fieldnames=EXPORT_COLUMNS)
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow(row)


class TimeRangeFilter(admin.ListFilter):
    """From / to dates (inclusive, UTC days or ISO date-times): "who changed pool X between two dates"."""

    title = "date range"
    template = "admin/inventory/time_range_filter.html"
    parameter_names = ("time_from", "time_to")

    def __init__(self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        super().__init__(request, params, model, model_admin)
        self.values: dict[str, str] = {}
        for name in self.parameter_names:
            if name in params:
                value = params.pop(name)
                self.values[name] = str(value[-1] if isinstance(value, list) else value).strip()
        self.other_params = [(k, v) for k, v in request.GET.items() if k not in self.parameter_names]

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str | None]:
        return list(self.parameter_names)

    def choices(self, changelist: Any) -> Iterator[Any]:
        yield {"values": self.values, "other_params": self.other_params}

    @staticmethod
    def _bound(text: str, *, end: bool) -> dt.datetime:
        parsed_date = parse_date(text)
        if parsed_date is not None:
            start = dt.datetime.combine(parsed_date, dt.time.min, tzinfo=dt.UTC)
            return start + dt.timedelta(days=1) if end else start
        parsed = parse_datetime(text)
        if parsed is None:
            raise IncorrectLookupParameters(f"'{text}' is not a date (YYYY-MM-DD) or an ISO date-time.")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.values.get("time_from"):
            queryset = queryset.filter(time__gte=self._bound(self.values["time_from"], end=False))
        if self.values.get("time_to"):
            queryset = queryset.filter(time__lt=self._bound(self.values["time_to"], end=True))
        return queryset


@admin.register(ChangeLogEntry)
class ChangeLogEntryAdmin(ReadOnlyAdmin):
    """Who or what changed which object, when, and how: for auditors, never editable."""

    list_display = [
        "time",
        "action",
        "object_type",
        "object_name",
        "object_history",
        "who",
        "source",
        "plugin_instance_name",
        "request_id",
    ]
    list_filter = [TimeRangeFilter, "action", "object_type", "source", "plugin_instance"]
    list_select_related = ["user"]
    date_hierarchy = "time"
    search_fields = ["object_name"]  # shows the box; get_search_results decides the lookups
    search_help_text = "An object id or request id (exact), or part of an object's name or of who changed it."
    change_list_template = "admin/inventory/changelogentry/change_list.html"
    list_per_page = 100
    change_form_template = "admin/inventory/changelogentry/change_form.html"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "time",
                    "action",
                    "object_type",
                    "object_id",
                    "object_name",
                    "source",
                    "plugin_instance",
                    "plugin_instance_name",
                    "user",
                    "actor",
                    "request_id",
                ]
            },
        ),
        ("Changes", {"fields": ["diff"]}),
        ("Full states", {"fields": ["prior_state_json", "post_state_json"], "classes": ["collapse"]}),
    ]
    readonly_fields = ["diff", "prior_state_json", "post_state_json"]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[ChangeLogEntry], search_term: str
    ) -> tuple[QuerySet[ChangeLogEntry], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        as_uuid = _as_uuid(term)
        if as_uuid is not None:
            return queryset.filter(Q(object_id=as_uuid) | Q(request_id=term)), False
        by_text = (
            Q(request_id=term)
            | Q(object_name__icontains=term)
            | Q(actor__icontains=term)
            | Q(user__username__iexact=term)
        )
        return queryset.filter(by_text), False

    @admin.display(description="Who", ordering="actor")
    def who(self, obj: ChangeLogEntry) -> str:
        if obj.user is None:
            return obj.actor or EMPTY_WHO
        name = obj.user.get_username()
        return f"{name} ({obj.actor})" if obj.actor and obj.actor != name else name

    def get_urls(self) -> list[URLPattern]:
        export = self.admin_site.admin_view(self.export_view)
        return [url_path("export/", export, name="inventory_changelogentry_export"), *super().get_urls()]

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """The change list as filtered and searched on screen, as CSV or JSON: who, what, when; never states."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        query = request.GET.copy()
        fmt = query.pop("format", ["csv"])[-1]
        if fmt not in ("csv", "json"):
            return HttpResponse("format must be csv or json", status=400, content_type="text/plain")
        request.GET = query  # type: ignore[assignment]
        changelist = self.get_changelist_instance(request)
        rows = (export_row(entry) for entry in changelist.get_queryset(request).iterator(chunk_size=2000))
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response: HttpResponse | StreamingHttpResponse
        if fmt == "json":
            response = HttpResponse(orjson.dumps(list(rows)), content_type="application/json")
        else:
            response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="netweave-change-log-{stamp}.{fmt}"'
        return response

    @admin.display(description="Object id")
    def object_history(self, obj: ChangeLogEntry) -> SafeString:
        return format_html(
            '<a href="{}" title="History of this object">{}</a>', history_url(obj.object_id), obj.object_id
        )

    @admin.display(description="Changes")
    def diff(self, obj: ChangeLogEntry) -> SafeString:
        rows, unchanged = state_diff(obj.prior_state, obj.post_state)
        html = render_to_string(
            "admin/inventory/includes/state_diff.html",
            {"rows": rows, "unchanged": unchanged, "entry": obj},
        )
        return SafeString(html)

    @admin.display(description="Before")
    def prior_state_json(self, obj: ChangeLogEntry) -> SafeString | str:
        return _pretty_json(obj.prior_state)

    @admin.display(description="After")
    def post_state_json(self, obj: ChangeLogEntry) -> SafeString | str:
        return _pretty_json(obj.post_state)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Add links to the object's whole history and to the object itself (when its kind has an admin)."""
        entry = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if entry is not None:
            extra["object_history_url"] = history_url(entry.object_id)
            if entry.action != ChangeLogEntry.Action.DELETE:
                extra["object_admin_url"] = object_url(entry.object_type, entry.object_id)
        return super().change_view(request, object_id, form_url, extra)


from inventory import admin_notifications  # noqa: E402, F401 - registers the notification admin pages
from inventory.alarms import admin as alarm_admin  # noqa: E402, F401 - registers the alarm admin pages
