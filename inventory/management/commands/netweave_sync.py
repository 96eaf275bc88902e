"""`manage.py netweave_sync [NAME ...] [--all]`: sync IMS plugin instances now, in this process."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.sync import SyncFailed, sync_instance
from plugins.models import PluginInstance


class Command(BaseCommand):
    help = "Sync IMS plugin instances now (all enabled ones with --all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="plugin instance names")
        parser.add_argument("--all", action="store_true", help="every enabled IMS instance")

    def handle(self, *args: Any, **options: Any) -> None:
        instances = PluginInstance.objects.filter(category="ims", enabled=True)
        if not options["all"]:
            if not options["names"]:
                raise CommandError("Name at least one plugin instance, or use --all.")
            instances = instances.filter(name__in=options["names"])
            missing = set(options["names"]) - set(instances.values_list("name", flat=True))
            if missing:
                raise CommandError(f"No enabled IMS plugin instance named: {', '.join(sorted(missing))}")
        failures = 0
        for instance in instances:
            try:
                result = sync_instance(instance)
            except SyncFailed as exc:
                failures += 1
                self.stderr.write(f"{instance.name}: sync failed: {exc}")
            else:
                self.stdout.write(f"{instance.name}: {result.summary()}")
        if failures:
            raise CommandError(f"{failures} sync(s) failed")
