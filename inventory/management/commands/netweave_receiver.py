"""Run a local notification receiver and print each InventoryChangeNotification as it arrives (demo aid)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from inventory.notifications.receiver import Received, Receiver

EVENTS = {0: "create", 1: "modify", 2: "delete"}


class Command(BaseCommand):
    help = "Listen for notifications on http://HOST:PORT/ and print them (subscribe with that URL as callback)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=9000)
        parser.add_argument("--full", action="store_true", help="Print whole notifications, not a summary.")
        parser.add_argument(
            "--jsonl",
            action="store_true",
            help="Print one JSON line per notification: arrival time, path, notificationId (for scripts).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        full, jsonl = options["full"], options["jsonl"]

        def show(item: Received) -> None:
            body = item.json()
            if jsonl:
                line = {"time": item.time, "path": item.path, "notificationId": body.get("notificationId")}
                self.stdout.write(json.dumps(line))
                self.stdout.flush()
                return
            if full:
                self.stdout.write(json.dumps(body, indent=2))
                return
            state = body.get("postObjectState") or body.get("priorObjectState") or {}
            event = EVENTS.get(body.get("notificationEventType"), "?")
            ref = body.get("objectRef") or next((f"{k}={v}" for k, v in state.items() if k.endswith("Id")), "")
            notification_id = body.get("notificationId")
            self.stdout.write(f"{time.strftime('%H:%M:%S')} {event:6} {ref} (notification {notification_id})")

        receiver = Receiver(host=options["host"], port=options["port"], on_receive=show).start()
        self.stderr.write(f"Receiving notifications on {receiver.url}/ (Ctrl-C to stop)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            receiver.stop()
