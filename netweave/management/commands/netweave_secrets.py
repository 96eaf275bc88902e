"""`manage.py netweave_secrets rotate`: re-encrypt every stored secret with the first NETWEAVE_SECRETS_KEYS key.

Rotation: put a new key first in NETWEAVE_SECRETS_KEYS (keep the old one after it), restart, run this command,
then drop the old key. `check` decrypts every stored secret without changing anything. Values are never printed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from plugins import secrets
from plugins.models import Secret


class Command(BaseCommand):
    help = "Rotate (re-encrypt) or check the encrypted secrets; see docs/security.md."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("rotate", help="Re-encrypt every encrypted secret with the first configured key.")
        actions.add_parser("check", help="Decrypt every encrypted secret with the configured keys; change nothing.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "rotate":
            try:
                count = secrets.rotate_all()
            except secrets.SecretError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} secret(s) with the current first key."))
            return
        failures = []
        encrypted = Secret.objects.filter(provider=Secret.Provider.ENCRYPTED).exclude(ciphertext="")
        for secret in encrypted:
            try:
                secrets.decrypt(secret.ciphertext, owner=secret.name)
            except secrets.SecretError as exc:
                failures.append(str(exc))
        if failures:
            raise CommandError("\n".join(failures))
        self.stdout.write(self.style.SUCCESS(f"All {encrypted.count()} encrypted secret(s) decrypt."))
