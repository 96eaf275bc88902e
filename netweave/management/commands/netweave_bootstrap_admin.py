"""`manage.py netweave_bootstrap_admin`: on a fresh install, create the `admin` superuser and print its
generated password once. Later runs say that the user exists and never show a password again."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the first admin user with a generated password, printed once."

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin user exists already; its password is not shown again.")
            return
        password = secrets.token_urlsafe(18)
        users.objects.create_superuser("admin", "", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created admin user 'admin' with password: {password}\n"
                "It is shown only this once; change it in the admin (top right, 'Change password')."
            )
        )
