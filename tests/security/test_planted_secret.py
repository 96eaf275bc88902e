"""A planted secret, stored each way netweave can hold one (encrypted, env, file), is used, rotated, checked,
exported and browsed; it then appears nowhere: not in logs, API responses, admin pages, exports or the
change and audit logs."""

from __future__ import annotations

import logging
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.urls import reverse

from inventory.models import ChangeLogEntry
from netweave.models import AuditEvent
from plugins import secrets
from plugins.models import Secret
from tests.o2client import O2Client
from tests.security.test_authorization_matrix import api_routes, concrete

PLANTED = {
    "encrypted": "planted-ENCRYPTED-7f3a9c",
    "env": "planted-ENV-51be0d",
    "file": "planted-FILE-c44e21",
}


@pytest.fixture
def planted(admin_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Secret]:
    response = admin_client.post(
        reverse("admin:plugins_secret_add"),
        {"name": "planted-enc", "provider": "encrypted", "value": PLANTED["encrypted"]},
    )
    assert response.status_code == 302
    monkeypatch.setenv("NETWEAVE_TEST_PLANTED", PLANTED["env"])
    secret_file = tmp_path / "planted.txt"
    secret_file.write_text(PLANTED["file"] + "\n")
    return [
        Secret.objects.get(name="planted-enc"),
        Secret.objects.create(name="planted-env", provider="env", reference="NETWEAVE_TEST_PLANTED"),
        Secret.objects.create(name="planted-file", provider="file", reference=str(secret_file)),
    ]


def test_planted_secret_appears_nowhere(
    planted: list[Secret],
    admin_client: Any,
    o2: O2Client,
    anonymous_client: Any,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    # Used as the registry would, then rotated to a new key and checked.
    assert [secrets.resolve(s) for s in planted] == list(PLANTED.values())
    settings.NETWEAVE_SECRETS_KEYS = [Fernet.generate_key().decode(), *(settings.NETWEAVE_SECRETS_KEYS or [])]
    if len(settings.NETWEAVE_SECRETS_KEYS) == 1:  # the old key was derived from SECRET_KEY
        settings.NETWEAVE_SECRETS_KEYS.append(secrets.derive_key(settings.SECRET_KEY).decode())
    for command in (["netweave_secrets", "rotate"], ["netweave_secrets", "check"], ["netweave_config", "export", "-"]):
        out, err = StringIO(), StringIO()
        call_command(*command, stdout=out, stderr=err)
        seen += [out.getvalue(), err.getvalue()]
    assert secrets.resolve(Secret.objects.get(name="planted-enc")) == PLANTED["encrypted"]

    # A secret that cannot be decrypted any more says so without its value.
    settings.NETWEAVE_SECRETS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(secrets.SecretError) as failure:
        secrets.resolve(Secret.objects.get(name="planted-enc"))
    seen.append(str(failure.value))

    # Every API read, as an admin and without a credential; every admin page about secrets, tokens and audit.
    for route, _ in api_routes():
        for client in (o2.client, anonymous_client):
            seen.append(client.get(concrete(route)).content.decode(errors="replace"))
    secret = planted[0]
    for url in [
        reverse("admin:plugins_secret_changelist"),
        reverse("admin:plugins_secret_change", args=[secret.pk]),
        reverse("admin:plugins_secret_history", args=[secret.pk]),
        reverse("admin:netweave_auditevent_changelist"),
        reverse("admin:netweave_apitoken_changelist"),
        reverse("admin:inventory_changelogentry_changelist"),
        reverse("admin:index"),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        seen.append(response.content.decode())

    seen += [str(list(AuditEvent.objects.values())), str(list(ChangeLogEntry.objects.values()))]
    seen += [str(list(Secret.objects.values("name", "provider", "reference", "ciphertext")))]
    captured = capfd.readouterr()
    seen += [caplog.text, captured.out, captured.err]
    haystack = "\n".join(seen)
    for value in PLANTED.values():
        assert value not in haystack
    assert "planted-enc" in haystack  # the secret is named, so the search did look at the right places
