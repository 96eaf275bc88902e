"""The admin site, organised by task rather than by Django app: Inventory, Deployments, Plugins & routing, SMO,
History, Access. Operators look for "the subscriptions" or "who changed this", not for the app a model lives in.

Also the site's name, "View site" leading to the API documentation (the site has no home page of its own), and a
global search across inventory and configuration (/admin/search/?q=...). The plain Django admin is kept
(docs/decisions/0008-admin-look.md says why).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse

# (section, its models as "app_label.model_name", in the order shown)
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Inventory",
        (
            "inventory.ocloud",
            "inventory.deploymentmanager",
            "inventory.resourcepool",
            "inventory.resourcetype",
            "inventory.resource",
            "inventory.alarmeventrecord",
            "inventory.alarmserviceconfiguration",
        ),
    ),
    ("Deployments", ("deployments.deploymentpackage", "deployments.deployment", "deployments.lifecycleoperation")),
    (
        "Plugins & routing",
        (
            "plugins.plugininstance",
            "plugins.routingrule",
            "plugins.secret",
            "django_celery_beat.periodictask",
            "django_celery_beat.intervalschedule",
            "django_celery_beat.crontabschedule",
            "django_celery_beat.clockedschedule",
            "django_celery_beat.solarschedule",
        ),
    ),
    ("SMO", ("inventory.subscription", "inventory.notification", "inventory.smoendpoint", "inventory.smoregistration")),
    (
        "History",
        (
            "inventory.changelogentry",
            "netweave.auditevent",
            "axes.accesslog",
            "axes.accessattempt",
            "axes.accessfailurelog",
        ),
    ),
    ("Access", ("auth.user", "auth.group", "netweave.apitoken")),
)
SEARCH_LIMIT = 25


class NetweaveAdminSite(admin.AdminSite):
    site_header = "netweave administration"
    site_title = "netweave"
    index_title = "O-Cloud gateway"
    site_url = "/api/docs/"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own index page stays as Django builds it
        models = {f"{a['app_label']}.{m['object_name'].lower()}": m for a in apps for m in a["models"]}
        placed: set[str] = set()
        sections = []
        for index, (title, keys) in enumerate(SECTIONS):
            entries = [models[k] for k in keys if k in models]
            placed.update(k for k in keys if k in models)
            if entries:
                sections.append(
                    {
                        "name": title,
                        "app_label": f"section{index}",
                        "app_url": "",
                        "has_module_perms": True,
                        "models": entries,
                    }
                )
        rest = [m for key, m in models.items() if key not in placed]
        if rest:
            sections.append(
                {"name": "Other", "app_label": "other", "app_url": "", "has_module_perms": True, "models": rest}
            )
        return sections

    def get_urls(self) -> list[URLResolver | URLPattern]:
        return [path("search/", self.admin_view(self.search_view), name="search"), *super().get_urls()]

    def search_view(self, request: HttpRequest) -> HttpResponse:
        """One box for everything: inventory objects, plugin configuration and the change log, by name or id."""
        term = request.GET.get("q", "").strip()
        groups = search(request, term) if term else []
        page = {**self.each_context(request), "title": "Search", "term": term, "groups": groups}
        return TemplateResponse(request, "admin/netweave_search.html", page)


def _targets() -> list[tuple[str, Any, tuple[str, ...]]]:
    from deployments.models import Deployment, DeploymentPackage
    from inventory.models import ChangeLogEntry, DeploymentManager, Resource, ResourcePool, ResourceType
    from plugins.models import PluginInstance, RoutingRule, Secret

    return [
        ("Resource pools", ResourcePool, ("name", "native_id")),
        ("Resources", Resource, ("description", "native_id")),
        ("Resource types", ResourceType, ("name", "native_id")),
        ("Deployment managers", DeploymentManager, ("name", "native_id")),
        ("Deployments", Deployment, ("name",)),
        ("Deployment packages", DeploymentPackage, ("name",)),
        ("Plugin instances", PluginInstance, ("name", "plugin_type")),
        ("Routing rules", RoutingRule, ("name",)),
        ("Secrets", Secret, ("name", "description")),
        ("Change log (incl. deleted objects)", ChangeLogEntry, ("object_name",)),
    ]


def search(request: HttpRequest, term: str) -> list[dict[str, Any]]:
    """Matches per kind the user may view: a name (or native id) containing `term`, or an exact id."""
    try:
        as_id: uuid.UUID | None = uuid.UUID(term)
    except ValueError:
        as_id = None
    groups = []
    for title, model, fields in _targets():
        opts = model._meta
        if not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            continue
        field_names = {f.name for f in opts.get_fields()}
        query = Q()
        for name in fields:
            if name in field_names:
                query |= Q(**{f"{name}__icontains": term})
        if as_id is not None:
            query |= Q(pk=as_id) if opts.pk.get_internal_type() == "UUIDField" else Q()
            if "object_id" in field_names:
                query |= Q(object_id=as_id)
        rows = list(model._default_manager.filter(query)[:SEARCH_LIMIT]) if query else []
        if rows:
            items = [
                (str(row), reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])) for row in rows
            ]
            groups.append({"title": title, "items": items, "more": len(rows) == SEARCH_LIMIT})
    return groups


class NetweaveAdminConfig(AdminConfig):
    default_site = "netweave.admin_site.NetweaveAdminSite"
