"""`manage.py netweave_api_token create NAME --role ROLE ...`: create an API token and print it, once.

`make run` uses `bootstrap` to print a demo admin token on a fresh install, as it does the admin password; later
runs never show it again (only a hash is stored). Tokens are otherwise managed in the admin.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from netweave.models import ApiToken
from netweave.security import tokens
from netweave.security.network import parse_networks
from netweave.security.roles import Role

BOOTSTRAP_NAME = "make-run demo"


class Command(BaseCommand):
    help = "Create a netweave API token (printed once)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a token and print it.")
        create.add_argument("name")
        create.add_argument("--role", action="append", choices=[r.value for r in Role], required=True)
        create.add_argument("--write", action="store_true", help="Allow writes (default: read-only).")
        create.add_argument("--network", action="append", default=[], help="Allowed source address or CIDR.")
        create.add_argument("--days", type=int, default=None, help="Expire after this many days.")
        actions.add_parser("bootstrap", help="On a fresh install, create a loopback-only admin token and print it.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "bootstrap":
            if ApiToken.objects.filter(name=BOOTSTRAP_NAME).exists():
                self.stdout.write("The demo API token exists already; it is not shown again (create one in the admin).")
                return
            _, full = tokens.create_token(
                BOOTSTRAP_NAME, [Role.ADMIN], write_enabled=True, allowed_networks=["127.0.0.0/8", "::1/128"]
            )
            self.stdout.write(
                self.style.SUCCESS(f"Created a demo API token (admin, loopback only): {full}\n")
                + "It is shown only this once. Use it as: curl -H 'Authorization: Bearer <token>' ..."
            )
            return
        try:
            networks = [str(n) for n in parse_networks(options["network"])]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        days = options["days"]
        _, full = tokens.create_token(
            options["name"],
            options["role"],
            write_enabled=options["write"],
            allowed_networks=networks,
            expires=timezone.now() + timedelta(days=days) if days else None,
        )
        self.stdout.write(full)
