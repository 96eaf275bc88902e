"""`manage.py netweave_plugins list`, `show TYPE` and `schema TYPE|--all`: the plugin types installed, how to
configure one, and its config schema (JSON Schema, or the Markdown of docs/plugin-config-reference.md)."""

from __future__ import annotations

import inspect
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rest_framework import serializers

from plugins.discovery import discovery_errors, distribution_of, plugin_types
from plugins.sdk import schema
from plugins.sdk.base import Plugin

REFERENCE_HEADER = (
    "# Plugin config reference\n\n"
    "Generated from each plugin type's config schema by `manage.py netweave_plugins schema --all --format markdown`"
    " (a test checks it is current). The same schema drives the YAML import (`config/plugins.yaml`), the admin's "
    "form and the REST API (`GET /netweave-admin-ext/v1/pluginTypes/{category}.{type}`).\n"
)


def _capabilities(cls: type[Plugin]) -> str:
    """The capabilities an unconfigured object reports, when asking is cheap and safe; "?" otherwise."""
    try:
        return ", ".join(sorted(str(c) for c in cls().capabilities())) or "-"
    except Exception:
        return "?"


def _field_line(name: str, field: serializers.Field, secret: bool) -> str:
    kind = type(field).__name__.removesuffix("Field") or type(field).__name__
    parts = [f"  {name}: {kind}"]
    if field.required:
        parts.append("required")
    elif field.default is not serializers.empty:
        default = field.default() if callable(field.default) else field.default
        parts.append(f"default {default!r}")
    else:
        parts.append("optional")
    if secret:
        parts.append("credential: ${VAR} or {secretRef: name}")
    text = ", ".join(parts)
    if field.help_text:
        text += f" - {field.help_text}"
    return text


class Command(BaseCommand):
    help = "List the installed plugin types, or show how to configure one."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,show}")
        actions.add_parser("list", help="Plugin types found through the netweave.plugins entry points.")
        show = actions.add_parser("show", help="Print a type's sample.yaml, or its config fields.")
        show.add_argument("type", help="A plugin type, e.g. mock or ims.mock.")
        described = actions.add_parser("schema", help="A type's config schema: JSON Schema or Markdown.")
        described.add_argument("type", nargs="?", help="A plugin type, e.g. kubernetes or ims.kubernetes.")
        described.add_argument("--all", action="store_true", help="Every installed type.")
        described.add_argument("--format", choices=["json", "markdown"], default="json")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
        elif options["action"] == "schema":
            self._schema(options["type"], every=options["all"], fmt=options["format"])
        else:
            self._show(options["type"])

    def _schema(self, wanted: str | None, *, every: bool, fmt: str) -> None:
        if every == bool(wanted):
            raise CommandError("Give one plugin type, or --all.")
        classes = [cls for _, cls in sorted(plugin_types().items())] if every else [self._resolve(wanted or "")[1]]
        if fmt == "json":
            documents = {f"{c.category}.{c.name}": schema.json_schema(c) for c in classes}
            out = documents if every else next(iter(documents.values()))
            self.stdout.write(json.dumps(out, indent=2, default=str))
            return
        sections = [schema.markdown_reference(c) for c in classes]
        self.stdout.write((REFERENCE_HEADER + "\n" if every else "") + "\n".join(sections), ending="")

    def _resolve(self, wanted: str) -> tuple[tuple[str, str], type[Plugin]]:
        """The one installed type `wanted` names (`mock` or `ims.mock`); ambiguity lists the full forms."""
        types = plugin_types()
        if "." in wanted:
            category, _, name = wanted.partition(".")
            matches = [(k, cls) for k, cls in types.items() if k == (category, name)]
        else:
            matches = [(k, cls) for k, cls in types.items() if k[1] == wanted]
        if not matches:
            known = ", ".join(f"{c}.{t}" for c, t in sorted(types)) or "none"
            raise CommandError(f"Unknown plugin type '{wanted}'. Installed types: {known}.")
        if len(matches) > 1:
            names = ", ".join(f"{c}.{t}" for (c, t), _ in sorted(matches, key=lambda m: m[0]))
            raise CommandError(
                f"'{wanted}' matches {len(matches)} plugin types: {names}. Give it as <category>.<type>."
            )
        return matches[0]

    def _list(self) -> None:
        types = plugin_types()
        rows = [("CATEGORY", "TYPE", "VERSION", "PACKAGE", "CAPABILITIES")]
        for (category, name), cls in sorted(types.items()):
            rows.append((category, name, cls.version, distribution_of(category, name) or "-", _capabilities(cls)))
        if not types:
            self.stdout.write("No plugin types are installed.")
        else:
            widths = [max(len(row[i]) for row in rows) for i in range(4)]
            for row in rows:
                cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
                self.stdout.write("  ".join([*cells, row[4]]))
        errors = discovery_errors()
        if errors:
            self.stdout.write("")
            self.stdout.write(self.style.ERROR(f"{len(errors)} plugin entry point(s) could not be loaded:"))
            for error in errors:
                self.stdout.write(f"  {error}")

    def _show(self, wanted: str) -> None:
        (category, name), cls = self._resolve(wanted)
        self.stdout.write(f"# {category}.{name} {cls.version} ({cls.__module__}.{cls.__qualname__})")
        sample = self._sample_path(cls)
        if sample is not None:
            self.stdout.write(sample.read_text(encoding="utf-8"), ending="")
            return
        fields = cls.config_class().fields
        if not fields:
            self.stdout.write("This plugin type takes no config.")
            return
        self.stdout.write("Config keys:")
        for field_name, field in fields.items():
            self.stdout.write(_field_line(field_name, field, field_name in cls.secret_fields))

    @staticmethod
    def _sample_path(cls: type[Plugin]) -> Path | None:
        try:
            source = inspect.getfile(cls)
        except (TypeError, OSError):
            return None
        sample = Path(source).parent / "sample.yaml"
        return sample if sample.is_file() else None
