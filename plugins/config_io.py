"""Import and export of the seed's `config/plugins.yaml` format: plugin instances by category plus routing rules.

    plugins:
      ims:                      # also dms, smo, observability
        - name: openstack-nfv   # PluginInstance.name (unique across categories)
          type: openstack       # the plugin type (entry point "ims.openstack")
          enabled: true         # default true
          default: true         # the category's fallback instance; default false, at most one per category
          syncInterval: 300     # netweave extension: seconds between syncs (default NETWEAVE_DEFAULT_SYNC_INTERVAL)
          config:               # validated by the type's config class
            authUrl: https://openstack.example.com:5000/v3
            password: ${OPENSTACK_PASSWORD}
    routing:
      ims:
        rules:
          - name: openstack-nfv-resources
            priority: 100       # default 0; highest first
            plugin: openstack-nfv
            resourceType: "*"   # dms: packageType; smo: mode (northbound | dms-backend), and packageType with
                                # dms-backend (DMS routing then considers the rule: the SMO runs those packages)
            conditions: {labels: {infrastructure.type: openstack}}   # or flags, e.g. gitOps: true
            enabled: true       # netweave extension, default true
      dms: {rules: [...]}
      smo: {rules: [...], default: onap-integration}

`${VAR}` and `${VAR:-default}` in config strings are replaced by the environment variable (`$${` writes a
literal `${`). Credential fields (the type's `secret_fields`) never store a value in the config: `${VAR}` becomes
a Secret(provider=env, reference=VAR), a literal becomes an encrypted Secret, both named "<instance>-<field>"
(`secrets.secret_name_for`) and referenced as {secretRef: name}; an explicit {secretRef: name} must name an
existing (or imported) Secret.

The document's shape (sections, entry and rule keys) is checked by the serializers of plugins.config_document,
each type's config by its config class (plugins.secrets.validate_config); what is left here is what spans the
file (unique names, a rule's plugin and its category, one default per category, secret references).

Import validates everything first and changes nothing on any problem; otherwise it applies the whole file in one
transaction, upserting by name. It merges: instances, rules and secrets absent from the file are left alone.
Only `prune=True` removes them (and the secrets an instance no longer uses), and the command asks first, showing
the list `ImportReport.removals` of a dry run; `confirmed_removals` makes the real run refuse to remove anything
that preview did not show (the database changed in between). Every run reports its whole plan, object by object.
Export writes the same format back (credentials as `${VAR}` or {secretRef: name}, never a value).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone

from plugins import config_document as shape
from plugins.config_document import CATEGORIES, ROUTED_CATEGORIES, TYPE_KEY
from plugins.discovery import UnknownPluginType, get_plugin_class
from plugins.models import PluginInstance, RoutingRule, Secret
from plugins.registry import retire_instance
from plugins.sdk import untrusted
from plugins.sdk.base import Plugin
from plugins.secrets import (
    SECRET_REF_KEY,
    ConfigError,
    SecretError,
    decrypt,
    encrypt,
    is_secret_ref,
    secret_name_for,
    secret_ref,
    validate_config,
)

_ENV_PATTERN = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_WHOLE_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

HEADER = (
    "# netweave plugin configuration (the config/plugins.yaml format), written by `manage.py netweave_config export`.\n"
    "# Credentials appear as ${VAR} (read from the environment) or {secretRef: <secret name>}; never as values.\n"
)


class ConfigImportError(Exception):
    """The file has problems; nothing was changed. `problems` lists each as "where: what"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the plugin configuration:\n" + "\n".join(problems))


@dataclass(frozen=True)
class Action:
    """One line of an import's plan: what happens to which object."""

    verb: str  # create, update, remove
    kind: str  # plugin instance, routing rule, secret
    name: str
    detail: str = ""  # e.g. the changed fields (never a value)

    def __str__(self) -> str:
        return f"{self.verb} {self.kind} {self.name}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, {self.removed} removed"


@dataclass
class ImportReport:
    plugins: Counts = field(default_factory=Counts)
    rules: Counts = field(default_factory=Counts)
    secrets: Counts = field(default_factory=Counts)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    actions: list[Action] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # "plugin instance x": in the database, not in the file, kept

    @property
    def changed(self) -> bool:
        return self.plugins.changed or self.rules.changed or self.secrets.changed

    @property
    def removals(self) -> list[Action]:
        return [a for a in self.actions if a.verb == "remove"]

    def plan(self) -> str:
        """Every change, one per line, then what a merge keeps that the file does not name."""
        lines = [f"  {action}" for action in self.actions]
        if self.kept:
            lines.append(f"  kept (not in the file; --prune removes them): {', '.join(self.kept)}")
        return "\n".join(lines)

    def summary(self) -> str:
        lines = [
            f"plugin instances: {self.plugins}",
            f"routing rules: {self.rules}",
            f"secrets: {self.secrets}",
        ]
        if not self.changed:
            lines.append("No changes.")
        if self.dry_run:
            lines.append("Dry run: nothing was saved.")
        return "\n".join(lines)


# -- ${VAR} expansion


class _UnsetVariable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def expand_env(value: str, environ: Mapping[str, str]) -> str:
    """Replace ${VAR} and ${VAR:-default} by environment values; `$${` is a literal `${`."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        inner = match.group(1)
        name, sep, default = inner.partition(":-")
        if not _ENV_NAME.fullmatch(name):
            raise _UnsetVariable(f"'${{{inner}}}' is not a valid ${{VAR}} or ${{VAR:-default}} reference")
        if name in environ:
            return environ[name]
        if sep:
            return default
        raise _UnsetVariable(f"environment variable {name} is not set")

    return _ENV_PATTERN.sub(replace, value)


def _expand_tree(value: Any, environ: Mapping[str, str], path: str, problems: list[str]) -> Any:
    if isinstance(value, str):
        try:
            return expand_env(value, environ)
        except _UnsetVariable as exc:
            problems.append(f"{path}: {exc.message}")
            return value
    if isinstance(value, Mapping):
        return {str(k): _expand_tree(v, environ, f"{path}.{k}", problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand_tree(v, environ, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    return value


def _escape_tree(value: Any) -> Any:
    """The inverse of expansion for export: a literal `${` is written as `$${`."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, Mapping):
        return {k: _escape_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_tree(v) for v in value]
    return value


# -- the parsed file


@dataclass
class _SecretPlan:
    name: str
    provider: str  # Secret.Provider value
    reference: str = ""
    value: str | None = None  # literal credential (encrypted on apply); never shown
    where: str = ""


@dataclass
class _PluginPlan:
    where: str
    name: str
    category: str
    plugin_type: str
    enabled: bool
    is_default: bool
    sync_interval: int
    config: dict[str, Any]
    secret_names: set[str] = field(default_factory=set)


@dataclass
class _RulePlan:
    where: str
    category: str
    name: str
    priority: int
    plugin: str
    match_type: str
    mode: str
    conditions: dict[str, Any]
    enabled: bool


@dataclass
class _Plan:
    plugins: dict[str, _PluginPlan] = field(default_factory=dict)
    rules: dict[tuple[str, str], _RulePlan] = field(default_factory=dict)
    secrets: dict[str, _SecretPlan] = field(default_factory=dict)
    refs: list[tuple[str, str]] = field(default_factory=list)  # (where, secret name) referenced explicitly
    warnings: list[str] = field(default_factory=list)
    smo_default_kept: str | None = None  # routing.smo.default naming an instance kept outside the file
    declared_defaults: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # category -> (name, where)


def _where(prefix: str, index: int, item: object) -> str:
    name = item.get("name") if isinstance(item, Mapping) else None
    return f"{prefix}[{index}] ({name})" if isinstance(name, str) and name else f"{prefix}[{index}]"


def _plan_config(
    plugin_class: type[Plugin],
    instance_name: str,
    raw: Mapping[str, Any],
    environ: Mapping[str, str],
    where: str,
    plan: _Plan,
    problems: list[str],
) -> tuple[dict[str, Any], set[str]]:
    """The config to store (credentials as references) and the secrets it needs; validates the config."""
    stored: dict[str, Any] = {}
    to_validate: dict[str, Any] = {}
    secret_names: set[str] = set()
    secret_fields = set(plugin_class.secret_fields)
    reported: set[str] = set()  # keys with a problem already; the serializer's view of them adds nothing
    credentials: set[str] = set()
    for raw_key, value in raw.items():
        key = str(raw_key)
        path = f"{where}: config.{key}"
        before = len(problems)
        if key not in secret_fields:
            stored[key] = to_validate[key] = _expand_tree(value, environ, path, problems)
            if len(problems) > before:
                reported.add(key)
            continue
        credentials.add(key)
        if isinstance(value, Mapping):
            # {secretRef: name}, or something malformed that validate_config reports
            stored[key] = to_validate[key] = dict(value)
            if is_secret_ref(value):
                plan.refs.append((path, value[SECRET_REF_KEY]))
                secret_names.add(value[SECRET_REF_KEY])
            continue
        if value is None:
            stored[key] = to_validate[key] = None
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            problems.append(f"{path}: a credential must be a string, ${{VAR}} or {{secretRef: <secret name>}}.")
            continue
        name = secret_name_for(instance_name, key)
        if name in plan.secrets:
            problems.append(f"{path}: the secret name '{name}' is also used by {plan.secrets[name].where}.")
            continue
        text = str(value)
        whole = _WHOLE_ENV_REF.fullmatch(text)
        if whole:
            variable = whole.group(1)
            secret = _SecretPlan(name, Secret.Provider.ENV, reference=variable, where=path)
            if variable not in environ:
                plan.warnings.append(f"{path}: environment variable {variable} is not set here (read at initialize).")
            to_validate[key] = secret_ref(name)
        elif _ENV_PATTERN.sub(lambda m: "" if m.group(0) == "$${" else "\0", text).count("\0"):
            problems.append(
                f"{path}: a credential must be exactly ${{VAR}} (read from the environment when the plugin starts) "
                "or a literal value; defaults and partial substitutions are not allowed."
            )
            continue
        else:
            literal = text.replace("$${", "${")
            secret = _SecretPlan(name, Secret.Provider.ENCRYPTED, value=literal, where=path)
            to_validate[key] = literal
        plan.secrets[name] = secret
        stored[key] = secret_ref(name)
        secret_names.add(name)
    reported |= credentials - set(to_validate)  # a credential rejected above is not also "required"
    try:
        validate_config(plugin_class, to_validate, instance_name=instance_name, check_refs=False)
    except ConfigError as exc:
        for key, messages in exc.errors.items():
            if key in reported:
                continue
            label = "config" if key == "config" else f"config.{key}"
            problems.extend(f"{where}: {label}: {message}" for message in messages)
    return stored, secret_names


def _plan_plugins(section: Mapping[str, Any], environ: Mapping[str, str], plan: _Plan, problems: list[str]) -> None:
    sections = shape.check(shape.PluginSections(data=section), "plugins", problems, section=True)
    if sections is None:
        sections = {c: v for c, v in section.items() if c in CATEGORIES and isinstance(v, list)}
    default_interval = int(getattr(settings, "NETWEAVE_DEFAULT_SYNC_INTERVAL", 60))
    for category in CATEGORIES:
        for index, entry in enumerate(sections.get(category) or ()):
            where = _where(f"plugins.{category}", index, entry)
            before = len(problems)
            checked = shape.check(shape.PluginEntry(data=entry), where, problems)
            if not isinstance(entry, Mapping):
                continue
            name, plugin_type = entry.get("name"), entry.get("type")
            name_ok = isinstance(name, str) and not any(p.startswith(f"{where}: name: ") for p in problems[before:])
            if name_ok and name in plan.plugins:
                problems.append(
                    f"{where}: name: duplicate plugin instance name '{name}' (also {plan.plugins[name].where})."
                )
            plugin_class: type[Plugin] | None = None
            if isinstance(plugin_type, str) and plugin_type:
                try:
                    plugin_class = get_plugin_class(category, plugin_type)
                except UnknownPluginType as exc:
                    problems.append(f"{where}: type: {exc}")
            if entry.get("default") is True and isinstance(name, str):
                plan.declared_defaults.setdefault(category, []).append((name, where))
            raw_config = entry.get("config")
            config: dict[str, Any] = {}
            secret_names: set[str] = set()
            if plugin_class is not None and name_ok and isinstance(raw_config, Mapping | None):
                config, secret_names = _plan_config(
                    plugin_class, str(name), raw_config or {}, environ, where, plan, problems
                )
            if checked is not None and len(problems) == before:
                plan.plugins[checked["name"]] = _PluginPlan(
                    where=where,
                    name=checked["name"],
                    category=category,
                    plugin_type=checked["type"],
                    enabled=checked["enabled"],
                    is_default=checked["default"],
                    sync_interval=checked.get("syncInterval", default_interval),
                    config=config,
                    secret_names=secret_names,
                )
            elif name_ok and name not in plan.plugins:
                # Keep the name known so that rules referencing it do not report a second, misleading problem.
                plan.plugins[str(name)] = _PluginPlan(where, str(name), category, str(plugin_type), False, False, 0, {})


def _check_dms_backend(planned: _PluginPlan | None, name: str, where: str, problems: list[str]) -> None:
    """An SMO rule with mode dms-backend must name an SMO instance whose plugin type runs O2dms deployments."""
    if planned is not None:
        plugin_type = planned.plugin_type
    else:
        found = PluginInstance.objects.filter(name=name, category="smo").values_list("plugin_type", flat=True).first()
        if found is None:
            return  # reported as an unknown or wrong-category instance already
        plugin_type = found
    try:
        serves = getattr(get_plugin_class("smo", plugin_type), "serves_dms_backend", False)
    except UnknownPluginType:
        return  # reported with the instance
    if not serves:
        problems.append(f"{where}: mode: SMO plugin type '{plugin_type}' of '{name}' is not a DMS backend.")


def _plan_routing(section: Mapping[str, Any], prune: bool, plan: _Plan, problems: list[str]) -> str | None:
    """Check the routing rules into the plan; return routing.smo.default (None when absent)."""
    sections = shape.check(shape.RoutingSections(data=section), "routing", problems, section=True)
    if sections is None:
        sections = {c: v for c, v in section.items() if c in ROUTED_CATEGORIES and isinstance(v, Mapping)}
    existing: dict[str, str] = {}
    if not prune:
        existing = dict(PluginInstance.objects.values_list("name", "category"))
    smo_default: str | None = None
    for category in ROUTED_CATEGORIES:
        block = sections.get(category)
        if block is None:
            continue
        rule_context = {"category": category}
        checked_block = shape.check(
            shape.RoutingSection(data=block, context=rule_context), f"routing.{category}", problems, section=True
        )
        if checked_block is None:
            rules = block.get("rules") if isinstance(block.get("rules"), list) else []
        else:
            rules = checked_block["rules"]
            smo_default = checked_block.get("default", smo_default)
        for index, rule in enumerate(rules):
            where = _where(f"routing.{category}.rules", index, rule)
            before = len(problems)
            checked = shape.check(shape.RuleEntry(data=rule, context=rule_context), where, problems)
            if not isinstance(rule, Mapping):
                continue
            name = rule.get("name")
            if checked is not None and (category, name) in plan.rules:
                problems.append(f"{where}: name: duplicate {category} rule name '{name}'.")
            plugin = rule.get("plugin")
            if isinstance(plugin, str) and plugin:
                planned = plan.plugins.get(plugin)
                plugin_category = planned.category if planned else existing.get(plugin)
                if plugin_category is None:
                    hint = " in this file" if prune else " (neither in this file nor configured)"
                    problems.append(f"{where}: plugin: unknown plugin instance '{plugin}'{hint}.")
                elif plugin_category != category:
                    problems.append(
                        f"{where}: plugin: '{plugin}' is a {plugin_category} plugin instance, not {category}."
                    )
            if checked is not None and category == "smo" and checked.get("mode") == "dms-backend":
                _check_dms_backend(plan.plugins.get(checked["plugin"]), checked["plugin"], where, problems)
            if checked is not None and len(problems) == before:
                plan.rules[(category, checked["name"])] = _RulePlan(
                    where=where,
                    category=category,
                    name=checked["name"],
                    priority=checked["priority"],
                    plugin=checked["plugin"],
                    match_type=checked.get(TYPE_KEY.get(category, "packageType"), "*"),
                    mode=checked.get("mode", ""),
                    conditions=checked["conditions"],
                    enabled=checked["enabled"],
                )
    return smo_default


_LOCATION = re.compile(r"^(plugins|routing)\.(\w+)(?:\.rules)?(?:\[(\d+)\])?")


def _file_order(problem: str) -> tuple[int, int, int]:
    """Problems sorted by where they are in the file (stable within one place)."""
    match = _LOCATION.match(problem)
    if match is None:
        return (0, 0, 0) if problem.split(":", 1)[0] not in ("plugins", "routing") else (1, 0, 0)
    section = 1 if match.group(1) == "plugins" else 2
    category = CATEGORIES.index(match.group(2)) if match.group(2) in CATEGORIES else len(CATEGORIES)
    index = int(match.group(3)) if match.group(3) is not None else 1_000_000
    return (section, category, index)


def _plan(data: object, environ: Mapping[str, str], prune: bool) -> _Plan:
    problems: list[str] = []
    plan = _Plan()
    checked = shape.check(shape.Document(data={} if data is None else data), "", problems, section=True)
    if not isinstance(data, Mapping | None):
        raise ConfigImportError(problems)
    top = checked or {k: v for k, v in (data or {}).items() if isinstance(v, Mapping)}
    _plan_plugins(top.get("plugins") or {}, environ, plan, problems)
    smo_default = _plan_routing(top.get("routing") or {}, prune, plan, problems)

    # Explicit secret references: an existing Secret or one this file creates.
    wanted = {name for _, name in plan.refs} - set(plan.secrets)
    existing = set(Secret.objects.filter(name__in=wanted).values_list("name", flat=True))
    for where, name in plan.refs:
        if name not in plan.secrets and name not in existing:
            problems.append(f"{where}: Secret '{name}' does not exist.")

    if smo_default is not None:
        planned = plan.plugins.get(smo_default)
        if planned is not None and planned.category == "smo":
            planned.is_default = True
            if smo_default not in [n for n, _ in plan.declared_defaults.get("smo", [])]:
                plan.declared_defaults.setdefault("smo", []).append((smo_default, "routing.smo.default"))
        elif planned is None and not prune and PluginInstance.objects.filter(name=smo_default, category="smo").exists():
            pass  # an existing instance kept outside the file; made default on apply
        else:
            problems.append(f"routing.smo.default: '{smo_default}' is not an SMO plugin instance in this file.")
    if smo_default is not None and smo_default not in plan.plugins:
        plan.declared_defaults.setdefault("smo", []).append((smo_default, "routing.smo.default"))
    for category in CATEGORIES:
        defaults = plan.declared_defaults.get(category, [])
        if len(defaults) > 1:
            names = ", ".join(f"{name} ({where})" for name, where in defaults)
            problems.append(f"plugins.{category}: more than one default instance: {names}.")
    if problems:
        raise ConfigImportError(sorted(problems, key=_file_order))
    plan.smo_default_kept = smo_default if smo_default and smo_default not in plan.plugins else None
    return plan


# -- applying


def _apply_secrets(plan: _Plan, report: ImportReport) -> None:
    existing = {s.name: s for s in Secret.objects.filter(name__in=list(plan.secrets))}
    for name, wanted in sorted(plan.secrets.items()):
        secret = existing.get(name)
        description = f"Managed by netweave_config ({wanted.where})"
        if wanted.provider == Secret.Provider.ENV:
            if secret is None:
                Secret.objects.create(
                    name=name, provider=wanted.provider, reference=wanted.reference, description=description[:200]
                )
                _count(report, "secret", "create", name, f"env {wanted.reference}")
            elif secret.provider == wanted.provider and secret.reference == wanted.reference and not secret.ciphertext:
                report.secrets.unchanged += 1
            else:
                secret.provider, secret.reference, secret.ciphertext = wanted.provider, wanted.reference, ""
                secret.save()
                _count(report, "secret", "update", name, f"env {wanted.reference}")
            continue
        assert wanted.value is not None
        if secret is None:
            Secret.objects.create(
                name=name, provider=wanted.provider, ciphertext=encrypt(wanted.value), description=description[:200]
            )
            _count(report, "secret", "create", name, "encrypted value")
            continue
        same = False
        if secret.provider == Secret.Provider.ENCRYPTED and secret.ciphertext:
            try:
                same = decrypt(secret.ciphertext, owner=name) == wanted.value
            except SecretError:
                same = False
        if same:
            report.secrets.unchanged += 1
        else:
            secret.provider, secret.reference, secret.ciphertext = wanted.provider, "", encrypt(wanted.value)
            secret.save()
            _count(report, "secret", "update", name, "new encrypted value")


_COUNTERS = {"plugin instance": "plugins", "routing rule": "rules", "secret": "secrets"}
_VERB_FIELDS = {"create": "created", "update": "updated", "remove": "removed"}


def _count(report: ImportReport, kind: str, verb: str, name: str, detail: str = "") -> None:
    counts: Counts = getattr(report, _COUNTERS[kind])
    field_name = _VERB_FIELDS[verb]
    setattr(counts, field_name, getattr(counts, field_name) + 1)
    report.actions.append(Action(verb, kind, name, detail))


def _rule_label(category: str, name: str) -> str:
    return f"{category}:{name}"


def _apply(plan: _Plan, prune: bool, report: ImportReport) -> None:
    before = {p.name: p for p in PluginInstance.objects.prefetch_related("secrets")}
    linked_before = {name: {s.name for s in p.secrets.all()} for name, p in before.items()}
    smo_default_kept = plan.smo_default_kept

    _apply_secrets(plan, report)

    # Defaults first, so the one-default-per-category constraint holds at every step.
    file_default_categories = {p.category for p in plan.plugins.values() if p.is_default}
    if smo_default_kept:
        file_default_categories.add("smo")
    wanted_defaults = {p.name for p in plan.plugins.values() if p.is_default}
    if smo_default_kept:
        wanted_defaults.add(smo_default_kept)
    now = timezone.now()
    for instance in before.values():
        if not instance.is_default or instance.name in wanted_defaults:
            continue
        in_file = instance.name in plan.plugins
        if in_file or instance.category in file_default_categories or prune:
            PluginInstance.objects.filter(pk=instance.pk).update(is_default=False, updated=now)
            if not in_file and not prune:
                _count(report, "plugin instance", "update", instance.name, "no longer the default")

    stale_rules = [
        r for r in RoutingRule.objects.select_related("plugin_instance") if (r.category, r.name) not in plan.rules
    ]
    missing = [name for name in before if name not in plan.plugins]
    if prune:
        for stale in stale_rules:
            stale.delete()
            _count(report, "routing rule", "remove", _rule_label(stale.category, stale.name))
        for name in missing:
            try:
                with transaction.atomic():
                    retire_instance(before[name])
            except ProtectedError:
                raise ConfigImportError(
                    [
                        f"plugins: cannot remove plugin instance '{name}': it still owns inventory. "
                        "Keep it in the file (enabled: false) or import without --prune."
                    ]
                ) from None
            _count(report, "plugin instance", "remove", name, "its inventory is retired first")
    else:
        report.kept.extend(f"plugin instance {name}" for name in missing)
        report.kept.extend(f"routing rule {_rule_label(r.category, r.name)}" for r in stale_rules)

    instances: dict[str, PluginInstance] = {}
    for name, wanted in plan.plugins.items():
        current = before.get(name)
        fields = {
            "category": wanted.category,
            "plugin_type": wanted.plugin_type,
            "enabled": wanted.enabled,
            "is_default": wanted.is_default,
            "config": wanted.config,
            "sync_interval": wanted.sync_interval,
        }
        if current is None:
            instance = PluginInstance.objects.create(name=name, **fields)
            _count(report, "plugin instance", "create", name, f"{wanted.category}.{wanted.plugin_type}")
        else:
            instance = current
            changed = [k for k, v in fields.items() if getattr(instance, k) != v]
            if changed or linked_before.get(name, set()) != wanted.secret_names:
                described = _changed_keys(current_config=instance.config, changed=changed, wanted=wanted)
                for field_name in changed:
                    setattr(instance, field_name, fields[field_name])
                instance.save()
                _count(report, "plugin instance", "update", name, described or "secrets")
            else:
                report.plugins.unchanged += 1
        if linked_before.get(name, set()) != wanted.secret_names:
            instance.secrets.set(Secret.objects.filter(name__in=wanted.secret_names))
        instances[name] = instance
    if smo_default_kept:
        kept = before[smo_default_kept]
        if not kept.is_default:
            PluginInstance.objects.filter(pk=kept.pk).update(is_default=True, updated=now)
            _count(report, "plugin instance", "update", kept.name, "now the SMO default")

    existing_rules = {(r.category, r.name): r for r in RoutingRule.objects.select_related("plugin_instance")}
    for rule_key, wanted_rule in plan.rules.items():
        target = instances.get(wanted_rule.plugin) or PluginInstance.objects.get(name=wanted_rule.plugin)
        rule_fields = {
            "priority": wanted_rule.priority,
            "plugin_instance_id": target.pk,
            "match_type": wanted_rule.match_type,
            "mode": wanted_rule.mode,
            "conditions": wanted_rule.conditions,
            "enabled": wanted_rule.enabled,
        }
        rule = existing_rules.get(rule_key)
        label = _rule_label(*rule_key)
        if rule is None:
            RoutingRule.objects.create(category=wanted_rule.category, name=wanted_rule.name, **rule_fields)
            _count(report, "routing rule", "create", label, f"-> {wanted_rule.plugin}")
            continue
        changed = [k for k, v in rule_fields.items() if getattr(rule, k) != v]
        if changed:
            for k in changed:
                setattr(rule, k, rule_fields[k])
            rule.save()
            _count(report, "routing rule", "update", label, ", ".join(_RULE_FIELD_NAMES.get(k, k) for k in changed))
        else:
            report.rules.unchanged += 1

    # Secrets managed for an instance ("<instance>-<field>") that no instance references any more.
    candidates: set[str] = set()
    for name, names in linked_before.items():
        candidates |= {s for s in names if s.startswith(f"{name}-")}
    referenced = {
        value[SECRET_REF_KEY]
        for config in PluginInstance.objects.values_list("config", flat=True)
        if isinstance(config, Mapping)
        for value in config.values()
        if is_secret_ref(value)
    }
    orphans = Secret.objects.filter(name__in=candidates - set(plan.secrets) - referenced, plugin_instances__isnull=True)
    for secret in orphans:
        if prune:
            secret.delete()
            _count(report, "secret", "remove", secret.name, "no instance uses it any more")
        else:
            report.kept.append(f"secret {secret.name} (unused)")


_RULE_FIELD_NAMES = {"plugin_instance_id": "plugin", "match_type": "type"}


def _changed_keys(*, current_config: object, changed: list[str], wanted: _PluginPlan) -> str:
    """Which fields (and config keys) an update changes: names only, never a value."""
    names = [k for k in changed if k != "config"]
    if "config" in changed:
        old = current_config if isinstance(current_config, Mapping) else {}
        keys = sorted(k for k in set(old) | set(wanted.config) if old.get(k) != wanted.config.get(k))
        names.extend(f"config.{k}" for k in keys)
    return ", ".join(names)


def import_config(
    data: object,
    *,
    prune: bool = False,
    dry_run: bool = False,
    environ: Mapping[str, str] | None = None,
    confirmed_removals: Collection[Action] | None = None,
) -> ImportReport:
    """Validate and apply a parsed plugins.yaml document. Raises ConfigImportError (nothing changed) on problems.

    Merges by default; `prune` also removes what the file does not name. With `confirmed_removals` (the removals
    of a preview the operator accepted), a removal the preview did not list rolls the whole import back.
    """
    environ = os.environ if environ is None else environ
    plan = _plan(data, environ, prune)
    report = ImportReport(warnings=list(plan.warnings), dry_run=dry_run)
    with transaction.atomic():
        _apply(plan, prune, report)
        if confirmed_removals is not None:
            unexpected = [a for a in report.removals if a not in set(confirmed_removals)]
            if unexpected:
                raise ConfigImportError(
                    [f"{a}: not in the preview you confirmed (the configuration changed meanwhile)" for a in unexpected]
                )
        if dry_run:
            transaction.set_rollback(True)
    return report


def load_yaml(text: str, source: str = "<config>") -> object:
    """Parse a plugins.yaml text within the shared YAML limits (plugins/sdk/untrusted.py): an alias bomb or a
    huge or deeply nested file is refused naming the file, never expanded."""
    try:
        return untrusted.load_yaml(text, source=source)
    except untrusted.UntrustedInputError as exc:
        raise ConfigImportError([exc.detail]) from None


def read_config_file(path: str) -> object:
    """Parse a plugins.yaml file ("-" reads standard input); at most the YAML size limit plus one character
    is read, so an oversized file is refused without being held in memory."""
    limit = untrusted.DEFAULT_YAML_LIMITS.max_bytes
    if path == "-":
        return load_yaml(sys.stdin.read(limit + 1), "<stdin>")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(limit + 1)
    except UnicodeDecodeError:
        raise ConfigImportError([f"{path}: not UTF-8 text"]) from None
    except OSError as exc:
        raise ConfigImportError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    return load_yaml(text, path)


# -- export


def _export_config_block(
    instance: PluginInstance, secrets: Mapping[str, Secret], warnings: list[str]
) -> dict[str, Any]:
    try:
        secret_fields = set(get_plugin_class(instance.category, instance.plugin_type).secret_fields)
    except UnknownPluginType:
        secret_fields = set()
        warnings.append(
            f"{instance.name}: plugin type {instance.category}.{instance.plugin_type} is not installed; "
            "its config is exported as stored."
        )
    config = instance.config if isinstance(instance.config, Mapping) else {}
    block: dict[str, Any] = {}
    for key, value in config.items():
        if is_secret_ref(value):
            name = value[SECRET_REF_KEY]
            secret = secrets.get(name)
            if (
                secret is not None
                and secret.provider == Secret.Provider.ENV
                and name == secret_name_for(instance.name, key)
                and _ENV_NAME.fullmatch(secret.reference)
            ):
                block[key] = f"${{{secret.reference}}}"
            else:
                block[key] = secret_ref(name)
        elif key in secret_fields and value is not None:
            warnings.append(
                f"{instance.name}: config.{key} holds a credential in plain config; exported as null. "
                "Store it as a Secret and reference it."
            )
            block[key] = None
        else:
            block[key] = _escape_tree(value)
    return block


def export_config(warnings: list[str] | None = None) -> dict[str, Any]:
    """The database's plugin instances and routing rules as a plugins.yaml document."""
    warnings = [] if warnings is None else warnings
    secrets = {s.name: s for s in Secret.objects.all()}
    default_interval = int(getattr(settings, "NETWEAVE_DEFAULT_SYNC_INTERVAL", 60))
    plugins: dict[str, list[dict[str, Any]]] = {}
    smo_default: str | None = None
    instances = sorted(
        PluginInstance.objects.all(),
        key=lambda p: (CATEGORIES.index(p.category) if p.category in CATEGORIES else 99, p.name),
    )
    for instance in instances:
        entry: dict[str, Any] = {"name": instance.name, "type": instance.plugin_type, "enabled": instance.enabled}
        if instance.is_default:
            entry["default"] = True
            if instance.category == "smo":
                smo_default = instance.name
        if instance.sync_interval != default_interval:
            entry["syncInterval"] = instance.sync_interval
        config = _export_config_block(instance, secrets, warnings)
        if config:
            entry["config"] = config
        plugins.setdefault(instance.category, []).append(entry)

    routing: dict[str, dict[str, Any]] = {}
    for rule in RoutingRule.objects.select_related("plugin_instance").order_by("category", "-priority", "name"):
        item: dict[str, Any] = {"name": rule.name, "priority": rule.priority, "plugin": rule.plugin_instance.name}
        if rule.category == "smo":
            if rule.mode:
                item["mode"] = rule.mode
            if rule.mode == "dms-backend":
                item["packageType"] = rule.match_type
        else:
            item[TYPE_KEY.get(rule.category, "resourceType")] = rule.match_type
        if rule.conditions:
            item["conditions"] = rule.conditions
        if not rule.enabled:
            item["enabled"] = False
        routing.setdefault(rule.category, {}).setdefault("rules", []).append(item)
    if smo_default:
        routing.setdefault("smo", {})["default"] = smo_default

    document: dict[str, Any] = {"plugins": {c: plugins[c] for c in CATEGORIES if c in plugins}}
    ordered_routing = {c: routing[c] for c in ROUTED_CATEGORIES if c in routing}
    if ordered_routing:
        document["routing"] = ordered_routing
    return document


def dump_config(document: Mapping[str, Any]) -> str:
    body = yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)
    return HEADER + body


__all__ = [
    "Action",
    "ConfigImportError",
    "Counts",
    "ImportReport",
    "dump_config",
    "expand_env",
    "export_config",
    "import_config",
    "load_yaml",
    "read_config_file",
]
