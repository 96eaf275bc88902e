"""The operators' admin: plugin instances, their credentials and the routing rules between them.

Three rules shape everything here:

- a credential's value goes in, never out: secret inputs are write-only password fields (empty = keep), the
  ciphertext is never a form field, and an instance's config only ever holds `{"secretRef": name}`;
- config is validated by the plugin type's own config class, and its field-level messages land on the form
  next to the key they are about;
- anything that changes the inventory (sync now, deleting an instance) runs with the change context
  source="admin" and the operator's user id, so auditors see who did it in the change log.

Plugin modules written by other teams (registry, routing, discovery, secrets, inventory.sync) are imported
inside the functions that use them, so that loading the admin never depends on import order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from netweave import context
from plugins.models import CATEGORY_CHOICES, PluginInstance, RoutingRule, Secret

if TYPE_CHECKING:
    from plugins.sdk.base import Plugin

logger = logging.getLogger(__name__)

SECRET_REF_KEY = "secretRef"
SECRET_FIELD_PREFIX = "secret__"
KIND_SEPARATOR = "/"
EMPTY = "—"


# -- shared helpers


@contextmanager
def admin_change_context(request: HttpRequest) -> Iterator[context.ChangeContext]:
    """Bind the change context of an admin-initiated change, so change-log rows name the operator."""
    user_id = request.user.pk if request.user.is_authenticated else None
    request_id = getattr(request, "request_id", "") or context.current().request_id
    with context.bind(source="admin", user_id=user_id, request_id=request_id) as ctx:
        yield ctx


def _plugin_types() -> dict[tuple[str, str], type[Plugin]]:
    from plugins.discovery import plugin_types

    return plugin_types()


def _kind(category: str, plugin_type: str) -> str:
    return f"{category}{KIND_SEPARATOR}{plugin_type}"


def _secret_refs(config: object) -> dict[str, str]:
    """The config keys that reference a Secret, with the secret's name."""
    if not isinstance(config, Mapping):
        return {}
    return {
        str(key): value[SECRET_REF_KEY]
        for key, value in config.items()
        if isinstance(value, Mapping) and isinstance(value.get(SECRET_REF_KEY), str)
    }


def secret_name_for(instance_name: str, field: str) -> str:
    """The Secret row the admin stores an instance's credential in: "<instance>-<field>", made a valid slug.

    Secret names must be lowercase slugs of at most 63 characters; long names keep a hash suffix so two
    instances never collide after truncation."""
    name = re.sub(r"[^a-z0-9\-_.]+", "-", f"{instance_name}-{field}".lower()).strip("-_.")
    if len(name) > 63:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[:54].rstrip('-_.')}-{digest}"
    return name


class PrettyJSONEncoder(json.JSONEncoder):
    """Indented, key-ordered JSON in the admin's text areas: config blocks are read and edited by people."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(indent=2, sort_keys=True)
        super().__init__(*args, **kwargs)


def _pretty_json_field(form: forms.BaseForm, name: str) -> None:
    field = form.fields.get(name)
    if isinstance(field, forms.JSONField):
        field.encoder = PrettyJSONEncoder
        field.widget.attrs.setdefault("style", "font-family: monospace; width: 40em")


def _ago(when: Any) -> str:
    return f"{timesince(when)} ago" if when else "never"


def _status_badge(ok: bool | None, labels: tuple[str, str, str]) -> SafeString:
    """A colored word for a tri-state (True/False/None) status."""
    if ok is None:
        word, color = labels[2], "#757575"
    else:
        word, color = (labels[0], "#2e7d32") if ok else (labels[1], "#c62828")
    return format_html('<strong style="color:{}">&#9679; {}</strong>', color, word)


def _users_of_secrets() -> dict[str, list[PluginInstance]]:
    """Which plugin instances use each secret, by name: through the config's references or the M2M link.

    Config references are the truth (an import may not maintain the M2M); the plugin table is small."""
    users: dict[str, list[PluginInstance]] = {}
    for instance in PluginInstance.objects.prefetch_related("secrets").order_by("name"):
        names = set(_secret_refs(instance.config).values()) | {s.name for s in instance.secrets.all()}
        for name in names:
            users.setdefault(name, []).append(instance)
    return users


def _instance_links(instances: Sequence[PluginInstance]) -> SafeString:
    if not instances:
        return format_html("{}", EMPTY)
    return format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        ((reverse("admin:plugins_plugininstance_change", args=[i.pk]), i.name) for i in instances),
    )


# -- plugin instances


class PluginInstanceForm(forms.ModelForm):
    """Plugin type from discovery, config validated by the type's config class, write-only credentials.

    The admin builds a subclass per request (see `plugin_instance_form`) with one password input per credential
    field known to the installed plugin types; `pending_secrets` then holds the values to store on save."""

    plugin_kind = forms.ChoiceField(label="Plugin type", help_text="category / type, as installed (entry points).")

    secret_fields: dict[str, list[str]] = {}  # credential field -> the kinds that declare it

    class Meta:
        model = PluginInstance
        fields = ["name", "enabled", "is_default", "config", "sync_interval"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending_secrets: dict[str, tuple[str, str]] = {}
        _pretty_json_field(self, "config")
        choices = [(_kind(c, t), f"{c.upper()} / {t}") for c, t in sorted(_plugin_types())]
        if self.instance.pk:
            current = _kind(self.instance.category, self.instance.plugin_type)
            if current not in dict(choices):
                choices.append((current, f"{current} (not installed)"))
            self.fields["plugin_kind"].initial = current
        kind_field = self.fields["plugin_kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [("", "---------"), *choices]
        self._describe_current_secrets()

    def _describe_current_secrets(self) -> None:
        """Tell the operator which credentials are already set (by secret name, never by value)."""
        refs = _secret_refs(self.instance.config) if self.instance.pk else {}
        for field, secret in refs.items():
            form_field = self.fields.get(SECRET_FIELD_PREFIX + field)
            if form_field is not None:
                form_field.help_text = (
                    f"Currently stored in secret '{secret}'. Leave empty to keep it; type a value to replace it. "
                    + (form_field.help_text or "")
                )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("plugin_kind")
        config = cleaned.get("config")
        if not kind or "config" in self.errors:
            return cleaned
        category, _, plugin_type = str(kind).partition(KIND_SEPARATOR)
        plugin_class = _plugin_types().get((category, plugin_type))
        if plugin_class is None:
            self.add_error("plugin_kind", f"Plugin type {kind} is not installed.")
            return cleaned
        self.instance.category = category
        self.instance.plugin_type = plugin_type
        if config is None:
            config = {}
        if not isinstance(config, dict):
            self.add_error("config", "The config must be a JSON object (a mapping of keys to values).")
            return cleaned
        cleaned["config"] = self._validated_config(plugin_class, dict(config), cleaned.get("name"))
        self._check_single_default(category, cleaned.get("is_default"))
        return cleaned

    def _validated_config(self, plugin_class: type[Plugin], config: dict[str, Any], name: str | None) -> dict[str, Any]:
        """Turn typed credentials into references, then validate with the type's config class.

        Raw config is kept (not the serializer's output) so the admin and an exported YAML file show the
        same keys the operator wrote."""
        from plugins.secrets import ConfigError, validate_config

        secret_fields = set(plugin_class.secret_fields)
        for field in self.secret_fields:
            value = self.cleaned_data.get(SECRET_FIELD_PREFIX + field)
            if not value:
                continue
            if field not in secret_fields:
                self.add_error(
                    SECRET_FIELD_PREFIX + field, f"Plugin type {plugin_class.name} has no credential {field}."
                )
            elif name:
                secret = secret_name_for(name, field)
                self.pending_secrets[field] = (secret, value)
                config[field] = {SECRET_REF_KEY: secret}
        try:
            validate_config(plugin_class, config, instance_name=name or "", check_refs=False, require_refs=True)
        except ConfigError as exc:
            for key, problems in exc.errors.items():
                self._add_config_error(key, problems, secret_fields)
        self._check_refs_exist(config)
        return config

    def _add_config_error(self, key: str, problems: list[str], secret_fields: set[str]) -> None:
        """Show a config problem next to what the operator edits: the credential input or the JSON, by key."""
        top = re.split(r"[.\[]", key, maxsplit=1)[0]
        target = SECRET_FIELD_PREFIX + top
        for problem in problems:
            if top in secret_fields and target in self.fields:
                self.add_error(target, f"{key}: {problem}")
            elif key == "config":
                self.add_error("config", problem)
            else:
                self.add_error("config", f"{key}: {problem}")

    def _check_refs_exist(self, config: Mapping[str, Any]) -> None:
        refs = {k: v for k, v in _secret_refs(config).items() if k not in self.pending_secrets}
        existing = set(Secret.objects.filter(name__in=refs.values()).values_list("name", flat=True))
        for key, secret in refs.items():
            if secret not in existing:
                self.add_error("config", f"{key}: Secret '{secret}' does not exist.")

    def _check_single_default(self, category: str, is_default: bool | None) -> None:
        """The database allows one default per category; say so on the form instead of failing on save."""
        if not is_default:
            return
        others = PluginInstance.objects.filter(category=category, is_default=True).exclude(pk=self.instance.pk)
        other = others.first()
        if other is not None:
            self.add_error("is_default", f"'{other.name}' is already the default {category} instance.")


class SecretTextarea(forms.Textarea):
    """A write-only multi-line credential (a service-account JSON key file): like PasswordInput(render_value=False),
    it never renders a value back, but keeps the line breaks a password input would drop."""

    def format_value(self, value: Any) -> str | None:
        return None


def _multi_line(plugin_class: Any, field: str) -> bool:
    """Whether the plugin's config class asks for a textarea for `field` (DRF style base_template)."""
    declared = plugin_class.config_class().fields.get(field)
    return declared is not None and declared.style.get("base_template") == "textarea.html"


def plugin_instance_form() -> type[PluginInstanceForm]:
    """A form class with one write-only input per credential field of the installed plugin types (a password
    input, or a textarea that never renders its value for multi-line credentials)."""
    declared: dict[str, list[str]] = {}
    multi_line: set[str] = set()
    for (category, plugin_type), cls in sorted(_plugin_types().items()):
        for field in sorted(cls.secret_fields):
            declared.setdefault(field, []).append(_kind(category, plugin_type))
            if _multi_line(cls, field):
                multi_line.add(field)
    attrs: dict[str, Any] = {"secret_fields": declared}
    for field, kinds in declared.items():
        widget: forms.Widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})
        if field in multi_line:
            widget = SecretTextarea(attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false"})
        attrs[SECRET_FIELD_PREFIX + field] = forms.CharField(
            label=f"{field} (credential)",
            required=False,
            strip=False,
            widget=widget,
            help_text=f"Write-only, stored encrypted as a Secret. Used by: {', '.join(kinds)}.",
        )
    return type("PluginInstanceForm", (PluginInstanceForm,), attrs)


@admin.register(PluginInstance)
class PluginInstanceAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "plugin_type", "enabled", "is_default", "health", "last_sync", "sync_interval"]
    list_filter = ["category", "enabled", "is_default", "plugin_type"]
    search_fields = ["name", "plugin_type"]
    actions = ["test_connection", "sync_now"]
    readonly_fields = ["health", "last_sync", "secrets_used", "created", "updated"]
    change_form_template = "admin/plugins/plugininstance/change_form.html"

    # -- form

    def _editable(self, request: HttpRequest, obj: PluginInstance | None) -> bool:
        return self.has_change_permission(request, obj) if obj else self.has_add_permission(request)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        editable = self._editable(request, obj)
        kind_fields = ["plugin_kind"] if editable else ["category", "plugin_type"]
        fieldsets: list[Any] = [
            (None, {"fields": ["name", *kind_fields, "enabled", "is_default", "sync_interval"]}),
            ("Configuration", {"fields": ["config"], "description": self._config_help()}),
        ]
        if editable:
            names = [SECRET_FIELD_PREFIX + f for f in plugin_instance_form().secret_fields]
            if names:
                fieldsets.append(
                    (
                        "Credentials",
                        {
                            "fields": names,
                            "description": "Only the credentials of the chosen plugin type are used. Values are "
                            "never shown again; leave a field empty to keep the stored value.",
                        },
                    )
                )
        if obj is not None:
            fieldsets.append(("Status", {"fields": ["health", "last_sync", "secrets_used", "created", "updated"]}))
        return fieldsets

    @staticmethod
    def _config_help() -> str:
        return (
            "JSON, validated by the plugin type's config class. Credentials are not written here: type them in "
            'the Credentials section and the config keeps a reference such as {"secretRef": "<secret name>"}.'
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and not self._editable(request, obj):
            return [*self.readonly_fields, "category", "plugin_type"]
        return self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if self._editable(request, obj):
            kwargs["form"] = plugin_instance_form()
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: PluginInstance, form: Any, change: bool) -> None:
        """Store typed credentials as encrypted Secrets, save the instance, and link the secrets it references."""
        from plugins.secrets import set_secret_value

        with transaction.atomic():
            for field, (secret_name, value) in getattr(form, "pending_secrets", {}).items():
                secret, _ = Secret.objects.get_or_create(
                    name=secret_name,
                    defaults={
                        "provider": Secret.Provider.ENCRYPTED,
                        "description": f"Credential '{field}' of plugin instance '{obj.name}'",
                    },
                )
                set_secret_value(secret, value)
            obj.save()
            obj.secrets.set(Secret.objects.filter(name__in=set(_secret_refs(obj.config).values())))

    # -- deletion: retire the owned inventory first

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """Describe the deletion without walking the (possibly 100k-row) inventory the instances own.

        Their inventory rows are retired first (each deletion change-logged), so they do not block the delete
        as the PROTECT foreign keys otherwise would; only the routing rules cascade."""
        from inventory.models import DeploymentManager, Resource, ResourcePool, ResourceType

        instances = list(objs)
        rules = list(RoutingRule.objects.filter(plugin_instance__in=instances))
        to_delete: list[Any] = []
        for instance in instances:
            own_rules = [format_html("Routing rule: {}", r.name) for r in rules if r.plugin_instance_id == instance.pk]
            retired = [
                f"{model.objects.filter(plugin_instance=instance).count()} {model._meta.verbose_name_plural}"
                for model in (DeploymentManager, ResourcePool, ResourceType, Resource)
            ]
            to_delete.append(format_html("Plugin instance: {}", instance.name))
            to_delete.append(
                [*own_rules, "Inventory retired first (each deletion change-logged): " + ", ".join(retired)]
            )
        counts = {str(PluginInstance._meta.verbose_name_plural): len(instances)}
        if rules:
            counts[str(RoutingRule._meta.verbose_name_plural)] = len(rules)
        perms_needed: set[str] = set()
        if rules and not request.user.has_perm("plugins.delete_routingrule"):
            perms_needed.add(str(RoutingRule._meta.verbose_name))
        return to_delete, counts, perms_needed, []

    def delete_model(self, request: HttpRequest, obj: PluginInstance) -> None:
        from inventory.sync import retire_instance
        from plugins.registry import forget

        pk = obj.pk
        with transaction.atomic(), admin_change_context(request):
            retire_instance(obj)
            obj.delete()
            transaction.on_commit(lambda: forget(pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[PluginInstance]) -> None:
        """Bulk delete goes through delete_model so every instance's inventory is retired first."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    # -- list columns

    @admin.display(description="Health")
    def health(self, obj: PluginInstance) -> SafeString:
        badge = _status_badge(obj.health_ok, ("OK", "failing", "unknown"))
        if obj.health_checked is None:
            return format_html("{}<br><small>never checked</small>", badge)
        return format_html(
            "{}<br><small>{}{}checked {}</small>",
            badge,
            obj.health_message,
            " · " if obj.health_message else "",
            _ago(obj.health_checked),
        )

    @admin.display(description="Last sync", ordering="last_sync_finished")
    def last_sync(self, obj: PluginInstance) -> SafeString:
        if obj.last_sync_finished is None and obj.last_sync_started is None:
            return SafeString("<small>never</small>")
        badge = _status_badge(obj.last_sync_ok, ("ok", "failed", "running"))
        when = obj.last_sync_finished or obj.last_sync_started
        return format_html("{} <small>{}</small><br><small>{}</small>", badge, _ago(when), obj.last_sync_summary)

    @admin.display(description="Secrets used")
    def secrets_used(self, obj: PluginInstance) -> SafeString:
        refs = _secret_refs(obj.config)
        if not refs:
            return format_html("{}", EMPTY)
        return format_html_join(
            ", ",
            '{}: <a href="{}?q={}">{}</a>',
            ((key, reverse("admin:plugins_secret_changelist"), name, name) for key, name in sorted(refs.items())),
        )

    # -- actions and object-level buttons

    def _test_connection(self, request: HttpRequest, instance: PluginInstance) -> None:
        from plugins.registry import check_health

        status = check_health(instance)
        level = messages.SUCCESS if status.healthy else messages.ERROR
        verdict = "healthy" if status.healthy else "unhealthy"
        detail = f": {status.message}" if status.message else ""
        self.message_user(request, f"{instance.name}: {verdict}{detail}", level)

    def _sync_now(self, request: HttpRequest, instance: PluginInstance) -> None:
        from inventory.sync import SyncFailed, sync_instance

        if instance.category != "ims":
            self.message_user(request, f"{instance.name}: only IMS instances sync an inventory.", messages.WARNING)
            return
        try:
            with admin_change_context(request):
                result = sync_instance(instance)
        except SyncFailed as exc:
            self.message_user(request, f"{instance.name}: sync failed: {exc}", messages.ERROR)
        except Exception as exc:
            logger.exception("Admin sync of %s failed unexpectedly", instance.name)
            self.message_user(
                request,
                f"{instance.name}: sync failed ({type(exc).__name__}); see the netweave log for details.",
                messages.ERROR,
            )
        else:
            self.message_user(request, f"{instance.name}: synced: {result.summary()}", messages.SUCCESS)

    @admin.action(description="Test connection", permissions=["change"])
    def test_connection(self, request: HttpRequest, queryset: QuerySet[PluginInstance]) -> None:
        for instance in queryset:
            self._test_connection(request, instance)

    @admin.action(description="Sync now", permissions=["change"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[PluginInstance]) -> None:
        for instance in queryset:
            self._sync_now(request, instance)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<uuid:object_id>/test-connection/", wrap(self.test_connection_view), name="plugins_plugininstance_test"
            ),
            path("<uuid:object_id>/sync/", wrap(self.sync_view), name="plugins_plugininstance_sync"),
            *super().get_urls(),
        ]

    def _object_button(self, request: HttpRequest, object_id: Any, run: Any) -> HttpResponse:
        """POST-only object button: run one action on one instance, then back to its change page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        instance = get_object_or_404(PluginInstance, pk=object_id)
        if not self.has_change_permission(request, instance):
            raise PermissionDenied
        run(request, instance)
        return HttpResponseRedirect(reverse("admin:plugins_plugininstance_change", args=[instance.pk]))

    def test_connection_view(self, request: HttpRequest, object_id: Any) -> HttpResponse:
        return self._object_button(request, object_id, self._test_connection)

    def sync_view(self, request: HttpRequest, object_id: Any) -> HttpResponse:
        return self._object_button(request, object_id, self._sync_now)


# -- routing rules


class RoutingRuleForm(forms.ModelForm):
    """Conditions as the seed writes them: {"labels": {...}, "<flag>": value}; the instance must fit the category."""

    class Meta:
        model = RoutingRule
        fields = ["name", "category", "priority", "plugin_instance", "match_type", "mode", "conditions", "enabled"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _pretty_json_field(self, "conditions")

    def clean_conditions(self) -> Any:
        conditions = self.cleaned_data.get("conditions") or {}
        if not isinstance(conditions, dict):
            raise forms.ValidationError('Conditions must be a JSON object, e.g. {"labels": {"site": "edge"}}.')
        labels = conditions.get("labels", {})
        if not isinstance(labels, dict):
            raise forms.ValidationError('"labels" must be a JSON object of label names to values.')
        return conditions

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        instance, category = cleaned.get("plugin_instance"), cleaned.get("category")
        if instance is not None and category and instance.category != category:
            self.add_error("plugin_instance", f"'{instance.name}' is a {instance.category} instance, not {category}.")
        return cleaned


def parse_labels(text: str) -> dict[str, str]:
    """`key=value` per line (blank lines ignored) into a dict; errors name the offending line."""
    labels: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise forms.ValidationError(f"Line {number}: expected key=value, got {line!r}.")
        labels[key.strip()] = value.strip()
    return labels


class RouteSimulationForm(forms.Form):
    category = forms.ChoiceField(choices=CATEGORY_CHOICES)
    match_type = forms.CharField(
        label="Type", initial="*", help_text="Resource type (IMS) or package type (DMS); * for any."
    )
    labels = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="One key=value per line."
    )
    attributes = forms.JSONField(
        required=False, initial=dict, widget=forms.Textarea(attrs={"rows": 3}), help_text='JSON, e.g. {"gitOps": true}'
    )

    def clean_labels(self) -> dict[str, str]:
        return parse_labels(self.cleaned_data.get("labels") or "")

    def clean_attributes(self) -> dict[str, Any]:
        attributes = self.cleaned_data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise forms.ValidationError("Attributes must be a JSON object.")
        return attributes


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["name", "category", "priority", "match_type", "plugin_instance", "conditions_summary", "enabled"]
    list_filter = ["category", "enabled", "plugin_instance"]
    list_select_related = ["plugin_instance"]
    search_fields = ["name", "match_type"]
    ordering = ["category", "-priority", "name"]
    change_list_template = "admin/plugins/routingrule/change_list.html"

    @admin.display(description="Conditions")
    def conditions_summary(self, obj: RoutingRule) -> str:
        return json.dumps(obj.conditions, sort_keys=True) if obj.conditions else EMPTY

    def get_urls(self) -> list[URLPattern]:
        return [
            path("simulate/", self.admin_site.admin_view(self.simulate_view), name="plugins_routingrule_simulate"),
            *super().get_urls(),
        ]

    def simulate_view(self, request: HttpRequest) -> HttpResponse:
        """ "Which plugin would handle this?": run the real router on a described request, change nothing."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = RouteSimulationForm(request.GET or None)
        outcome: dict[str, Any] | None = None
        if form.is_bound and form.is_valid():
            outcome = self._simulate(form.cleaned_data)
        context = {
            **self.admin_site.each_context(request),
            "title": "Which plugin would handle this?",
            "opts": self.model._meta,
            "form": form,
            "outcome": outcome,
        }
        return TemplateResponse(request, "admin/plugins/routingrule/simulate.html", context)

    @staticmethod
    def _simulate(data: Mapping[str, Any]) -> dict[str, Any]:
        from plugins.routing import NoRoute, route

        try:
            decision = route(
                data["category"],
                match_type=data["match_type"] or "*",
                labels=data["labels"],
                attributes=data["attributes"],
            )
        except NoRoute as exc:
            return {"error": exc.detail}
        return {"instance": decision.instance, "rule": decision.rule, "explanation": decision.explanation}


# -- secrets


class SecretForm(forms.ModelForm):
    """Name where the value lives; for provider=encrypted, take the value write-only (empty = keep)."""

    value = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Encrypted provider only. Write-only: never shown again; leave empty to keep the stored value.",
    )

    class Meta:
        model = Secret
        fields = ["name", "description", "provider", "reference", "value"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        provider, reference = cleaned.get("provider"), (cleaned.get("reference") or "").strip()
        cleaned["reference"] = reference
        if provider == Secret.Provider.ENV and not reference:
            self.add_error("reference", "An env secret needs the name of the environment variable.")
        elif provider == Secret.Provider.FILE and not reference:
            self.add_error("reference", "A file secret needs the path of the file.")
        elif provider == Secret.Provider.ENCRYPTED:
            has_value = self.instance.pk and self.instance.provider == provider and self.instance.ciphertext
            if not cleaned.get("value") and not has_value:
                self.add_error("value", "Enter the value to encrypt.")
        if provider != Secret.Provider.ENCRYPTED and cleaned.get("value"):
            self.add_error("value", "Only encrypted secrets take a value; the others say where it lives.")
        self._check_rename(cleaned.get("name"))
        return cleaned

    def _check_rename(self, name: str | None) -> None:
        """Configs reference secrets by name: renaming one in use would silently break those instances."""
        old = self.instance.name if self.instance.pk else None
        if old and name and name != old:
            users = _users_of_secrets().get(old, [])
            if users:
                names = ", ".join(u.name for u in users)
                self.add_error("name", f"Secret '{old}' is referenced by {names}; it cannot be renamed.")


@admin.register(Secret)
class SecretAdmin(admin.ModelAdmin):
    form = SecretForm
    search_fields = ["name", "description", "reference"]
    list_filter = ["provider"]
    readonly_fields = ["used_by", "created", "updated"]

    def get_list_display(self, request: HttpRequest) -> Any:
        """One query for every row's users, bound into the column for this request."""
        users = _users_of_secrets()

        @admin.display(description="Used by")
        def used_by(obj: Secret) -> SafeString:
            return _instance_links(users.get(obj.name, []))

        return ["name", "provider", "reference", "description", used_by, "updated"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "description", "provider", "reference"]
        if obj is None or self.has_change_permission(request, obj):
            fields.append("value")
        return [*fields, *(["used_by", "created", "updated"] if obj else [])]

    @admin.display(description="Used by")
    def used_by(self, obj: Secret) -> SafeString:
        return _instance_links(_users_of_secrets().get(obj.name, []))

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """A secret referenced by an instance's config is protected: deleting it would break that instance."""
        to_delete, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        users = _users_of_secrets()
        for secret in objs:
            protected.extend(
                format_html("Plugin instance {} uses secret {}", instance.name, secret.name)
                for instance in users.get(secret.name, [])
            )
        return to_delete, counts, perms_needed, protected

    def save_model(self, request: HttpRequest, obj: Secret, form: Any, change: bool) -> None:
        """Encrypt a typed value; otherwise drop any stale ciphertext. Then make users re-read their credentials
        (the registry re-initializes a plugin whose row's `updated` moved)."""
        from plugins.secrets import set_secret_value

        value = form.cleaned_data.get("value")
        with transaction.atomic():
            if obj.provider == Secret.Provider.ENCRYPTED and value:
                set_secret_value(obj, value)
            else:
                if obj.provider != Secret.Provider.ENCRYPTED:
                    obj.ciphertext = ""
                obj.save()
            if change:
                users = _users_of_secrets().get(obj.name, [])
                PluginInstance.objects.filter(pk__in=[u.pk for u in users]).update(updated=timezone.now())
