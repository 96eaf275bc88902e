"""`manage.py netweave_watch [NAME ...]`: stream realtime inventory changes from plugins that support them.

Runs until interrupted (SIGINT/SIGTERM). Without names, it watches every enabled IMS instance whose plugin
declares realtime events, and rescans the configuration periodically so added or re-enabled instances are
picked up without a restart.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.watch import InstanceWatcher, watchable_instances


class Command(BaseCommand):
    help = "Feed plugins' realtime inventory events into the inventory (runs until interrupted)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="plugin instance names (default: every watchable one)")
        parser.add_argument("--rescan", type=float, default=30.0, help="seconds between configuration rescans")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        watchers: dict[Any, InstanceWatcher] = {}
        names = set(options["names"])
        try:
            while not stop.is_set():
                instances = [i for i in watchable_instances() if not names or i.name in names]
                if names and not watchers and not instances:
                    raise CommandError(
                        f"No enabled IMS instance with realtime events named: {', '.join(sorted(names))}"
                    )
                current = {instance.pk for instance in instances}
                for pk in [pk for pk in watchers if pk not in current]:
                    # Removed, disabled or no longer watchable: stop its watcher instead of letting it retry.
                    gone = watchers.pop(pk)
                    gone.stop_event.set()
                    self.stdout.write(f"stopped watching {gone.instance.name}")
                for instance in instances:
                    running = watchers.get(instance.pk)
                    if running is None or not running.is_alive():
                        watchers[instance.pk] = InstanceWatcher(instance, threading.Event())
                        watchers[instance.pk].start()
                        self.stdout.write(f"watching {instance.name}")
                stop.wait(options["rescan"])
        finally:
            for watcher in watchers.values():
                watcher.stop_event.set()
            for watcher in watchers.values():
                watcher.join(timeout=10)
