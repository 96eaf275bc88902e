"""`manage.py netweave_config import FILE` / `export FILE`: the plugins.yaml view of plugin instances and routing."""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from netweave import context
from plugins.config_io import (
    ConfigImportError,
    ImportReport,
    dump_config,
    export_config,
    import_config,
    read_config_file,
)


class Command(BaseCommand):
    help = (
        "Import or export plugin instances and routing rules in the config/plugins.yaml format. "
        "Import validates the whole file first and changes nothing if anything is wrong. It merges: what the file "
        "does not name is kept, unless --prune (which lists what it would remove and asks first)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        importer = actions.add_parser("import", help="Load a plugins.yaml file into the database ('-' = stdin).")
        importer.add_argument("file")
        importer.add_argument(
            "--prune",
            action="store_true",
            help="Also remove plugin instances, routing rules and managed secrets the file does not name "
            "(their inventory is retired, with delete notifications). Lists them and asks first.",
        )
        importer.add_argument(
            "--yes", action="store_true", help="Confirm --prune's removals without asking (non-interactive runs)."
        )
        importer.add_argument("--dry-run", action="store_true", help="Show the whole plan, but save nothing.")
        exporter = actions.add_parser("export", help="Write the configuration as plugins.yaml ('-' = stdout).")
        exporter.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            actor = f"import by {getpass.getuser()}"
            with context.bind(source="import", actor=actor):
                self._import(options["file"], prune=options["prune"], dry_run=options["dry_run"], yes=options["yes"])
        else:
            self._export(options["file"])

    def _import(self, path: str, *, prune: bool, dry_run: bool, yes: bool) -> None:
        try:
            data = read_config_file(path)  # "-" reads stdin once: the preview and the import see the same text
            preview = import_config(data, prune=prune, dry_run=True)
            for warning in preview.warnings:
                self.stderr.write(self.style.WARNING(f"warning: {warning}"))
            if dry_run or not preview.changed:
                self._show_plan(preview)
                self.stdout.write(preview.summary())
                return
            confirmed = None
            if preview.removals:
                self._show_plan(preview)
                if not yes and not self._confirm(len(preview.removals)):
                    raise CommandError(
                        f"{path}: nothing was imported: --prune would remove {len(preview.removals)} object(s) "
                        "(listed above); confirm interactively or with --yes."
                    )
                confirmed = preview.removals
            report = import_config(data, prune=prune, confirmed_removals=confirmed)
        except ConfigImportError as exc:
            raise CommandError(f"{path}: nothing was imported.\n{exc}") from None
        if not preview.removals:
            self._show_plan(report)
        self.stdout.write(report.summary())

    def _show_plan(self, report: ImportReport) -> None:
        plan = report.plan()
        if plan:
            self.stdout.write(("Plan (dry run):" if report.dry_run else "Changes:") + "\n" + plan)

    def _confirm(self, count: int) -> bool:
        stdin = sys.stdin
        if not stdin.isatty():
            return False
        self.stdout.write(f"Remove these {count} object(s)? Type 'yes' to confirm: ", ending="")
        self.stdout.flush()
        return stdin.readline().strip().lower() == "yes"

    def _export(self, path: str) -> None:
        warnings: list[str] = []
        text = dump_config(export_config(warnings))
        for warning in warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        if path == "-":
            self.stdout.write(text, ending="")
            return
        target = Path(path)
        try:
            # Write beside the target and rename, so a failed export never leaves half a file.
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except OSError as exc:
            raise CommandError(f"{path}: cannot write: {exc.strerror or exc}") from None
        self.stdout.write(f"Exported the plugin configuration to {path}.")
