"""`manage.py netweave_plugins list` and `show TYPE`: the plugin types installed, and how to configure one."""

from __future__ import annotations

import inspect
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rest_framework import serializers

from plugins.discovery import discovery_errors, distribution_of, plugin_types
from plugins.sdk.base import Plugin


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
        else:
            self._show(options["type"])

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
            raise CommandError(f"'{wanted}' is ambiguous: {names}. Give it as <category>.<type>.")
        (category, name), cls = matches[0]
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
