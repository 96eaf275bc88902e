"""Key rotation for encrypted secrets through `manage.py netweave_secrets`."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from plugins.models import Secret
from plugins.secrets import resolve, set_secret_value

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("netweave_secrets", *args, stdout=out)
    return out.getvalue()


def test_rotate_to_a_new_key_then_drop_the_old_one(settings: Any) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.NETWEAVE_SECRETS_KEYS = [old]
    secret = set_secret_value(Secret(name="bmc"), "rotate-me-value")
    before = Secret.objects.get(pk=secret.pk).ciphertext
    settings.NETWEAVE_SECRETS_KEYS = [new, old]
    assert "Re-encrypted 1 secret" in run("rotate")
    assert Secret.objects.get(pk=secret.pk).ciphertext != before
    settings.NETWEAVE_SECRETS_KEYS = [new]
    assert "All 1 encrypted secret(s) decrypt" in run("check")
    assert resolve(Secret.objects.get(pk=secret.pk)) == "rotate-me-value"


def test_check_names_secrets_that_no_key_opens(settings: Any) -> None:
    settings.NETWEAVE_SECRETS_KEYS = [Fernet.generate_key().decode()]
    set_secret_value(Secret(name="orphan"), "lost-value")
    settings.NETWEAVE_SECRETS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError) as failure:
        run("check")
    assert "orphan" in str(failure.value)
    assert "lost-value" not in str(failure.value)
    with pytest.raises(CommandError):
        run("rotate")
