"""The operators' admin: plugin instances, their credentials and the routing rules between them.

Three rules shape everything here:

- a credential's value goes in, never out: secret inputs are write-only password fields (empty = keep), the
  ciphertext is never a form field, and an instance's config only ever holds `{"secretRef": name}`;
- config is validated by the plugin type's own config class, and its field-level messages land on the form
  next to the key they are about (a nested block's keys, such as `churn.changesPerMinute`, have inputs of their
  own, in a fieldset per block, and their messages name the dotted key);
- anything that changes the inventory (sync now, deleting an instance) runs with the change context
  source="admin" and the operator's user id, so auditors see who did it in the change log.

Plugin modules written by other teams (registry, routing, discovery, secrets, inventory.sync) are imported
inside the functions that use them, so that loading the admin never depends on import order.
"""

from __future__ import annotations

import hashlib
import inspect
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
from plugins.sdk.schema import ConfigField, config_fields

if TYPE_CHECKING:
    from plugins.sdk.base import Plugin

logger = logging.getLogger(__name__)

SECRET_REF_KEY = "secretRef"
SECRET_FIELD_PREFIX = "secret__"
SECRET_FILE_PREFIX = "secret_file__"
MAX_SECRET_FILE_BYTES = 1024 * 1024
CONFIG_PREFIX = "config__"
RAW_CONFIG_HELP = (
    "This plugin type is not installed, so its schema is unknown: the config is edited as stored (JSON). "
    'Credentials are references such as {"secretRef": "<secret name>"}.'
)
EMPTY = "—"


# -- shared helpers


@contextmanager
def admin_change_context(request: HttpRequest) -> Iterator[context.ChangeContext]:
    """Bind the change context of an admin-initiated change, so change-log rows name the operator."""
    user_id = request.user.pk if request.user.is_authenticated else None
    request_id = getattr(request, "request_id", "") or context.current().request_id
    actor = request.user.get_username() if request.user.is_authenticated else ""
    with context.bind(source="admin", user_id=user_id, request_id=request_id, actor=actor) as ctx:
        yield ctx


class AuditedAdmin(admin.ModelAdmin):
    """Every change made through these admin pages (forms, deletes, list actions) runs in the operator's change
    context, so the change log names who did it; each object's page links to its whole change-log history (which
    stays reachable after a deletion, by the same link's id or by name)."""

    @admin.display(description="History")
    def change_history(self, obj: Any) -> SafeString:
        from inventory.admin import history_url
        from inventory.config_audit import audit_id

        if obj is None or obj.pk is None:
            return format_html("{}", EMPTY)
        return format_html('<a href="{}">every change to it, with who and which keys</a>', history_url(audit_id(obj)))

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with admin_change_context(request):
            return super().changeform_view(request, *args, **kwargs)

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with admin_change_context(request):
            return super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        with admin_change_context(request):
            return super().changelist_view(request, extra_context)


def _plugin_types() -> dict[tuple[str, str], type[Plugin]]:
    from plugins.discovery import plugin_types

    return plugin_types()


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
    """An instance of one plugin type, its config as typed inputs generated from the type's config schema.

    `plugin_instance_form(plugin_class)` builds the subclass for a type: one input per config key (type,
    default, bounds, choices and help text from plugins.sdk.schema; a nested block's keys each get one, named
    `config__<block>__<key>`; maps and lists without declared keys are JSON text), and for each credential a
    write-only text area (multi-line: kubeconfigs, PEM keys) plus a file upload. The config stored is what the
    operator set: keys left at their default are not written, so an exported YAML file stays short.
    Without an installed type (an instance whose plugin was uninstalled) the config is edited as raw JSON."""

    plugin_class: type[Plugin] | None = None
    schema: tuple[ConfigField, ...] = ()

    class Meta:
        model = PluginInstance
        fields = ["name", "enabled", "is_default", "sync_interval"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending_secrets: dict[str, tuple[str, str]] = {}
        _pretty_json_field(self, "config")
        if self.plugin_class is not None and not self.instance.pk:
            self.instance.category = str(self.plugin_class.category)
            self.instance.plugin_type = self.plugin_class.name
        stored = self.instance.config if self.instance.pk and isinstance(self.instance.config, Mapping) else {}
        refs = _secret_refs(stored)
        for item in self.schema:
            secret = refs.get(item.name) if item.secret else None
            if secret is not None:
                self.fields[SECRET_FIELD_PREFIX + item.name].help_text = (
                    f"Currently stored in secret '{secret}'. Leave empty to keep it; type or upload a value "
                    "to replace it."
                )
        for key, item in config_leaves(self.schema):
            form_field = self.fields[config_input(key)]
            found, value = _lookup(stored, key)
            if found:
                form_field.initial = value
            elif item.has_default:
                form_field.initial = item.default

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.plugin_class is None:
            config = cleaned.get("config")
            if config is not None and not isinstance(config, dict):
                self.add_error("config", "The config must be a JSON object (a mapping of keys to values).")
            return cleaned
        self.instance.category = str(self.plugin_class.category)
        self.instance.plugin_type = self.plugin_class.name
        for key, _ in config_leaves(self.schema):  # a nested input's own check names its key, as the schema's do
            if "." in key and config_input(key) in self.errors:
                own = self.errors[config_input(key)]
                self.errors[config_input(key)] = self.error_class([f"{key}: {m}" for m in own])
        config = self._config_from_inputs(cleaned.get("name"))
        cleaned["config"] = self._validated_config(self.plugin_class, config, cleaned.get("name"))
        self.instance.config = cleaned["config"]
        self._check_single_default(self.instance.category, cleaned.get("is_default"))
        return cleaned

    def _config_from_inputs(self, name: str | None) -> dict[str, Any]:
        stored = self.instance.config if self.instance.pk and isinstance(self.instance.config, Mapping) else {}
        config: dict[str, Any] = {}
        for item in self.schema:
            if item.secret:
                self._credential(item.name, name, stored, config)
        config.update(self._block_from_inputs(self.schema, "", stored))
        return config

    def _block_from_inputs(
        self, items: Sequence[ConfigField], prefix: str, stored: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The config (or one nested block of it) from the inputs: what the operator set or had stored; keys at
        their default are left out, and so is a nested block left wholly at its defaults (an optional operation
        left blank is not configured)."""
        block: dict[str, Any] = {}
        for item in items:
            if item.secret:
                continue
            path = prefix + item.name
            if is_block(item):
                inner = stored.get(item.name)
                value = self._block_from_inputs(item.children, path + ".", inner if isinstance(inner, Mapping) else {})
                if value or item.required:
                    block[item.name] = value
                continue
            key = config_input(path)
            if key not in self.cleaned_data:
                continue  # the input itself was invalid; its error is shown
            value = self.cleaned_data[key]
            # Blank means "not set" for an optional text key, and for any text key of a nested block: the block's
            # own check says what it lacks, only if something else in it was set.
            unset = value == "" and item.kind in ("string", "choice") and (not item.required or bool(prefix))
            if value is None or unset:
                if item.name in stored and value == "":
                    block[item.name] = value
                continue
            if item.name not in stored and not item.required and item.has_default and value == item.default:
                continue
            block[item.name] = value
        return block

    def _credential(self, field: str, name: str | None, stored: Mapping[str, Any], config: dict[str, Any]) -> None:
        """A typed or uploaded credential becomes a pending encrypted Secret; nothing typed keeps the stored one."""
        value = self.cleaned_data.get(SECRET_FIELD_PREFIX + field) or ""
        upload = self.cleaned_data.get(SECRET_FILE_PREFIX + field)
        if upload:
            try:
                value = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error(SECRET_FILE_PREFIX + field, "The file must be UTF-8 text (a kubeconfig, a PEM file).")
                return
        if value and name:
            secret = secret_name_for(name, field)
            self.pending_secrets[field] = (secret, value)
            config[field] = {SECRET_REF_KEY: secret}
        elif field in stored:
            config[field] = stored[field]

    def _validated_config(self, plugin_class: type[Plugin], config: dict[str, Any], name: str | None) -> dict[str, Any]:
        """Validate with the type's config class; each problem goes next to the input of its key."""
        from plugins.secrets import ConfigError, validate_config

        try:
            validate_config(plugin_class, config, instance_name=name or "", check_refs=False, require_refs=True)
        except ConfigError as exc:
            for key, problems in exc.errors.items():
                self._add_config_error(key, problems)
        self._check_refs_exist(config)
        return config

    def _add_config_error(self, key: str, problems: list[str]) -> None:
        """Each problem next to the input of its key (a nested key's own input: `tls.caBundle`), else next to the
        nearest enclosing input (a list or map), else at the top; the message names the key unless it is at the
        top level of the input it sits on."""
        target, at = None, ""
        for candidate in _enclosing_paths(key):
            name = next(
                (n for n in (config_input(candidate), SECRET_FIELD_PREFIX + candidate) if n in self.fields), None
            )
            if name is not None:
                target, at = name, candidate
                break
        for problem in problems:
            if target is not None and target in self.errors and key == at:
                continue  # the input's own check already said it
            if target is not None and key == at and "." not in key:
                self.add_error(target, problem)
            elif target is not None:
                self.add_error(target, f"{key}: {problem}")
            else:
                self.add_error(None, f"config.{key}: {problem}")

    def _check_refs_exist(self, config: Mapping[str, Any]) -> None:
        refs = {k: v for k, v in _secret_refs(config).items() if k not in self.pending_secrets}
        existing = set(Secret.objects.filter(name__in=refs.values()).values_list("name", flat=True))
        for key, secret in refs.items():
            if secret not in existing:
                self.add_error(None, f"config.{key}: Secret '{secret}' does not exist.")

    def _check_single_default(self, category: str, is_default: bool | None) -> None:
        """The database allows one default per category; say so on the form instead of failing on save."""
        if not is_default:
            return
        others = PluginInstance.objects.filter(category=category, is_default=True).exclude(pk=self.instance.pk)
        other = others.first()
        if other is not None:
            self.add_error("is_default", f"'{other.name}' is already the default {category} instance.")


def is_block(item: ConfigField) -> bool:
    """A nested config block with declared keys (`churn`, `syncPolicy`, `auth`): shown as its own typed inputs.
    Maps and lists without declared keys stay JSON text."""
    return item.kind == "object" and bool(item.children) and not item.secret


def config_leaves(items: Sequence[ConfigField], prefix: str = "") -> Iterator[tuple[str, ConfigField]]:
    """(dotted path, field) of every config key that has an input of its own, nested blocks' keys included."""
    for item in items:
        if item.secret:
            continue
        if is_block(item):
            yield from config_leaves(item.children, f"{prefix}{item.name}.")
        else:
            yield prefix + item.name, item


def config_blocks(items: Sequence[ConfigField], prefix: str = "") -> Iterator[tuple[str, ConfigField]]:
    """(dotted path, block) of every nested block, outer before inner."""
    for item in items:
        if is_block(item):
            yield prefix + item.name, item
            yield from config_blocks(item.children, f"{prefix}{item.name}.")


def config_input(path: str) -> str:
    """The form input of a config key by dotted path: `config__churn__enabled` for churn.enabled."""
    return CONFIG_PREFIX + path.replace(".", "__")


def _lookup(config: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    value: Any = config
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _enclosing_paths(key: str) -> list[str]:
    """`a.b[0].c` -> [`a.b[0].c`, `a.b[0]`, `a.b`, `a`]: the key, then each path that encloses it."""
    paths = [key]
    while True:
        cut = max(key.rfind("."), key.rfind("["))
        if cut <= 0:
            return paths
        key = key[:cut]
        paths.append(key)


def _form_field(item: ConfigField, path: str) -> forms.Field:
    """The admin input for one config key, typed by the schema. A nested key is never required by the form
    itself: its block's check (the serializer) says what a block that is used lacks."""
    nested = "." in path
    common: dict[str, Any] = {"label": path, "help_text": item.help, "required": item.required and not nested}
    if item.kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if item.kind == "integer":
        low, high = (None if b is None else int(b) for b in (item.minimum, item.maximum))
        return forms.IntegerField(min_value=low, max_value=high, **common)
    if item.kind == "number":
        return forms.FloatField(min_value=item.minimum, max_value=item.maximum, **common)
    if item.kind == "choice":
        choices = [(c, c) for c in item.choices]
        return forms.ChoiceField(choices=choices if common["required"] else [("", "---------"), *choices], **common)
    if item.kind in ("object", "array"):
        shape = "a JSON object" if item.kind == "object" else "a JSON list"
        field = forms.JSONField(
            encoder=PrettyJSONEncoder,
            widget=forms.Textarea(attrs={"rows": 4, "style": "font-family: monospace; width: 40em"}),
            **{**common, "help_text": f"{item.help} ({shape})".strip()},
        )
        return field
    return forms.CharField(strip=False, max_length=item.max_length, **common)


class WriteOnlyTextarea(forms.Textarea):
    """A text area that never renders a value back, not even after a failed submit: credentials go in only.

    Browsers submit a text area's line breaks as CRLF; a kubeconfig or PEM key typed or pasted here keeps its
    lines as written (LF), as an uploaded file does."""

    def format_value(self, value: Any) -> str | None:
        return None

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _credential_fields(item: ConfigField, kind: str) -> dict[str, forms.Field]:
    return {
        SECRET_FIELD_PREFIX + item.name: forms.CharField(
            label=f"{item.name} (credential)",
            required=False,
            strip=False,
            widget=WriteOnlyTextarea(
                attrs={"rows": 6, "autocomplete": "off", "spellcheck": "false", "style": "font-family: monospace"}
            ),
            help_text=f"{item.help} Write-only: stored encrypted as a Secret, never shown again. "
            "Multi-line values (a kubeconfig, a PEM key) keep their line breaks.",
        ),
        SECRET_FILE_PREFIX + item.name: forms.FileField(
            label=f"{item.name} from a file",
            required=False,
            help_text=f"Or upload it (e.g. a kubeconfig file); replaces what is typed above. Type: {kind}.",
        ),
    }


def plugin_instance_form(plugin_class: type[Plugin] | None) -> type[PluginInstanceForm]:
    """The form class for instances of `plugin_class` (None: raw JSON config)."""
    attrs: dict[str, Any] = {"plugin_class": plugin_class}
    if plugin_class is None:
        meta = type("Meta", (PluginInstanceForm.Meta,), {"fields": [*PluginInstanceForm.Meta.fields, "config"]})
        attrs["Meta"] = meta
        return type("RawPluginInstanceForm", (PluginInstanceForm,), attrs)
    schema = tuple(config_fields(plugin_class))
    attrs["schema"] = schema
    kind = f"{plugin_class.category}.{plugin_class.name}"
    for item in schema:
        if item.secret:
            attrs.update(_credential_fields(item, kind))
    for key, item in config_leaves(schema):
        attrs[config_input(key)] = _form_field(item, key)
    return type("PluginInstanceForm", (PluginInstanceForm,), attrs)


def _block_fieldsets(schema: Sequence[ConfigField]) -> list[Any]:
    """One fieldset per nested config block with keys of its own, titled by its path (`churn`, `auth`,
    `operations.getPackage`). A block that is configured only when used (no default: an optional operation)
    starts folded."""
    fieldsets: list[Any] = []
    for where, block in config_blocks(schema):
        names = [config_input(f"{where}.{c.name}") for c in block.children if not is_block(c)]
        if not names:
            continue
        optional = not block.required and not block.has_default
        description = block.help + (" Leave it blank to leave it out." if optional else "")
        options: dict[str, Any] = {"fields": names, "description": description.strip()}
        if optional:
            options["classes"] = ["collapse"]
        fieldsets.append((f"Configuration: {where}", options))
    return fieldsets


def _class_of(kind: str | None) -> type[Plugin] | None:
    """The installed plugin class for "<category>.<type>" (None when not installed)."""
    if not kind:
        return None
    category, _, plugin_type = kind.partition(".")
    return _plugin_types().get((category, plugin_type))


@admin.register(PluginInstance)
class PluginInstanceAdmin(AuditedAdmin):
    list_display = ["name", "category", "plugin_type", "enabled", "is_default", "health", "last_sync", "sync_interval"]
    list_filter = ["category", "enabled", "is_default", "plugin_type"]
    search_fields = ["name", "plugin_type"]
    actions = ["test_connection", "sync_now"]
    readonly_fields = ["plugin_kind", "health", "last_sync", "secrets_used", "change_history", "created", "updated"]
    change_form_template = "admin/plugins/plugininstance/change_form.html"
    change_list_template = "admin/plugins/plugininstance/change_list.html"

    # -- form: pick the type first, then the type's own form

    def _plugin_class(self, request: HttpRequest, obj: PluginInstance | None) -> type[Plugin] | None:
        if obj is not None:
            return _plugin_types().get((obj.category, obj.plugin_type))
        return _class_of(request.GET.get("type"))

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        """Without ?type=<category>.<type>, the first step: choose what kind of backend to add."""
        if self._plugin_class(request, None) is None:
            if not self.has_add_permission(request):
                raise PermissionDenied
            types = [
                {
                    "kind": f"{category}.{name}",
                    "category": category.upper() if category != "observability" else "Observability",
                    "name": name,
                    "summary": (inspect.getdoc(cls) or "").split("\n\n", 1)[0],
                    "credentials": ", ".join(sorted(cls.secret_fields)),
                }
                for (category, name), cls in sorted(_plugin_types().items())
            ]
            unknown = request.GET.get("type")
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Add plugin instance: choose its type",
                "types": types,
                "unknown": unknown,
            }
            return TemplateResponse(request, "admin/plugins/plugininstance/choose_type.html", context)
        return super().add_view(request, form_url, extra_context)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        plugin_class = self._plugin_class(request, obj)
        form_class = plugin_instance_form(plugin_class)
        config_names = [config_input(i.name) for i in form_class.schema if not i.secret and not is_block(i)]
        credential_names = [
            f"{prefix}{i.name}"
            for i in form_class.schema
            if i.secret
            for prefix in (SECRET_FIELD_PREFIX, SECRET_FILE_PREFIX)
        ]
        fieldsets: list[Any] = [
            (None, {"fields": ["name", "plugin_kind", "enabled", "is_default", "sync_interval"]}),
        ]
        if plugin_class is None:
            fieldsets.append(("Configuration", {"fields": ["config"], "description": RAW_CONFIG_HELP}))
        elif config_names:
            fieldsets.append(
                ("Configuration", {"fields": config_names, "description": "Defaults are filled in; see the help."})
            )
        fieldsets.extend(_block_fieldsets(form_class.schema))
        if credential_names and self._editable(request, obj):
            fieldsets.append(
                (
                    "Credentials",
                    {
                        "fields": credential_names,
                        "description": "Values are never shown again; leave empty to keep the stored value. "
                        "A Secret with provider env or file can be referenced instead: create it under Secrets.",
                    },
                )
            )
        if obj is not None:
            fieldsets.append(
                ("Status", {"fields": ["health", "last_sync", "secrets_used", "change_history", "created", "updated"]})
            )
        return fieldsets

    def _editable(self, request: HttpRequest, obj: PluginInstance | None) -> bool:
        return self.has_change_permission(request, obj) if obj else self.has_add_permission(request)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = plugin_instance_form(self._plugin_class(request, obj))
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="Plugin type")
    def plugin_kind(self, obj: PluginInstance | None) -> SafeString:
        if obj is not None and obj.pk:
            installed = (obj.category, obj.plugin_type) in _plugin_types()
            suffix = "" if installed else " (not installed: the config is shown as stored)"
            return format_html("{}.{}{}", obj.category, obj.plugin_type, suffix)
        kind = f"{obj.category}.{obj.plugin_type}" if obj is not None else ""
        return format_html('{} <a href="{}">choose another type</a>', kind, reverse("admin:plugins_plugininstance_add"))

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
        plugin_class = _plugin_types().get((obj.category, obj.plugin_type))
        for warning in plugin_class.config_warnings(obj.config) if plugin_class else ():
            self.message_user(request, f"{obj.name}: {warning}", messages.WARNING)

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
        from plugins.registry import retire_instance

        with admin_change_context(request):
            retire_instance(obj)

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

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a plugins.yaml document: preview the whole plan first; removals (prune) need a confirmation
        that names exactly the objects the preview listed."""
        from plugins.config_io import ConfigImportError, import_config, load_yaml

        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = ConfigImportForm(request.POST or None, request.FILES or None)
        outcome: dict[str, Any] = {}
        if request.method == "POST" and form.is_valid():
            text, prune = form.cleaned_data["document"], form.cleaned_data["prune"]
            username = request.user.get_username()
            try:
                data = load_yaml(text, "document")
                with context.bind(source="import", user_id=request.user.pk, actor=f"import by {username}"):
                    preview = import_config(data, prune=prune, dry_run=True)
                    removals = [str(a) for a in preview.removals]
                    applying = "apply" in request.POST
                    if applying and removals != request.POST.getlist("confirmed_removal"):
                        outcome["refused"] = "Tick each removal the preview lists to confirm it (preview again if "
                        "the list changed). Nothing was imported."
                        applying = False
                    if applying:
                        report = import_config(data, prune=prune, confirmed_removals=preview.removals)
                        self.message_user(request, "Imported: " + report.summary().replace("\n", "; "))
                        return HttpResponseRedirect(reverse("admin:plugins_plugininstance_changelist"))
            except ConfigImportError as exc:
                outcome["problems"] = exc.problems
            else:
                form = ConfigImportForm(initial={"document": text, "prune": prune})
                outcome.update(preview=preview, removals=removals)
        page = {
            **self.admin_site.each_context(request),
            "title": "Import plugin configuration",
            "opts": self.model._meta,
            "form": form,
            **outcome,
        }
        return TemplateResponse(request, "admin/plugins/plugininstance/import.html", page)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="plugins_plugininstance_import"),
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


class ConfigImportForm(forms.Form):
    document = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "style": "font-family: monospace; width: 60em"}),
        help_text="A plugins.yaml document (see config/plugins.yaml). Credentials as ${VAR} or {secretRef: name}.",
    )
    file = forms.FileField(required=False, help_text="Or upload the file.")
    prune = forms.BooleanField(
        required=False,
        help_text="Also remove plugin instances, routing rules and managed secrets the document does not name "
        "(their inventory is retired). The preview lists them first.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if upload:
            try:
                cleaned["document"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                self.add_error("file", "The file must be UTF-8 text.")
        if not cleaned.get("document", "").strip() and not self.errors:
            self.add_error("document", "Paste a plugins.yaml document or upload one.")
        return cleaned


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
        mode = cleaned.get("mode") or ""
        if mode and (category != "smo" or mode not in ("northbound", "dms-backend")):
            self.add_error("mode", "Only SMO rules have a mode: northbound or dms-backend.")
        elif mode == "dms-backend" and instance is not None:
            plugin_class = _plugin_types().get((instance.category, instance.plugin_type))
            if not getattr(plugin_class, "serves_dms_backend", False):
                self.add_error("mode", f"'{instance.name}' ({instance.plugin_type}) is not a DMS backend.")
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
            raise forms.ValidationError(f"labels, line {number}: expected key=value, got {line!r}.")
        labels[key.strip()] = value.strip()
    return labels


class RouteSimulationForm(forms.Form):
    category = forms.ChoiceField(choices=CATEGORY_CHOICES)
    match_type = forms.CharField(
        label="Type",
        initial="*",
        help_text="Resource type (IMS) or package type (DMS; SMO rules with mode dms-backend take part); * for any.",
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
class RoutingRuleAdmin(AuditedAdmin):
    form = RoutingRuleForm
    list_display = ["name", "category", "priority", "match_type", "plugin_instance", "conditions_summary", "enabled"]
    list_filter = ["category", "enabled", "plugin_instance"]
    list_select_related = ["plugin_instance"]
    search_fields = ["name", "match_type"]
    ordering = ["category", "-priority", "name"]
    change_list_template = "admin/plugins/routingrule/change_list.html"
    readonly_fields = ["change_history"]

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
            unknown = sorted(set(request.GET) - set(form.fields))
            if unknown:  # e.g. the REST simulator's label=...: named as sent, not silently ignored
                names = ", ".join(f"'{name}'" for name in unknown)
                form.add_error(None, f"Unknown parameter {names}; this form takes {', '.join(form.fields)}.")
            else:
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
        widget=WriteOnlyTextarea(
            attrs={"rows": 8, "autocomplete": "off", "spellcheck": "false", "style": "font-family: monospace"}
        ),
        help_text="Encrypted provider only. Write-only: never shown again; leave empty to keep the stored value. "
        "Line breaks are kept (a kubeconfig, a PEM key).",
    )
    value_file = forms.FileField(
        required=False,
        label="Value from a file",
        help_text="Encrypted provider only: upload the value instead of typing it (UTF-8 text, at most 1 MiB).",
    )

    class Meta:
        model = Secret
        fields = ["name", "description", "provider", "reference", "value", "value_file"]

    def clean_value_file(self) -> None:
        """An uploaded file becomes the typed value."""
        upload = self.cleaned_data.get("value_file")
        if not upload:
            return
        if upload.size > MAX_SECRET_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 1 MiB.")
        try:
            self.cleaned_data["value"] = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file must be UTF-8 text (a kubeconfig, a PEM file).") from None

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
class SecretAdmin(AuditedAdmin):
    form = SecretForm
    search_fields = ["name", "description", "reference"]
    list_filter = ["provider"]
    readonly_fields = ["used_by", "change_history", "created", "updated"]

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
            fields += ["value", "value_file"]
        return [*fields, *(["used_by", "change_history", "created", "updated"] if obj else [])]

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
