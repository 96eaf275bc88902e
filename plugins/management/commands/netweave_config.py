"""`manage.py netweave_config import FILE` / `export FILE`: the plugins.yaml view of plugin instances and routing."""

from __future__ import annotations

import os
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plugins.config_io import ConfigImportError, dump_config, export_config, import_config, read_config_file


class Command(BaseCommand):
    help = (
        "Import or export plugin instances and routing rules in the config/plugins.yaml format. "
        "Import validates the whole file first and changes nothing if anything is wrong."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        importer = actions.add_parser("import", help="Load a plugins.yaml file into the database ('-' = stdin).")
        importer.add_argument("file")
        importer.add_argument(
            "--keep-missing",
            action="store_true",
            help="Keep plugin instances and routing rules that are not in the file (default: remove them).",
        )
        importer.add_argument("--dry-run", action="store_true", help="Validate and report, but save nothing.")
        exporter = actions.add_parser("export", help="Write the configuration as plugins.yaml ('-' = stdout).")
        exporter.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options["file"], keep_missing=options["keep_missing"], dry_run=options["dry_run"])
        else:
            self._export(options["file"])

    def _import(self, path: str, *, keep_missing: bool, dry_run: bool) -> None:
        try:
            report = import_config(read_config_file(path), keep_missing=keep_missing, dry_run=dry_run)
        except ConfigImportError as exc:
            raise CommandError(f"{path}: nothing was imported.\n{exc}") from None
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write(report.summary())

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
