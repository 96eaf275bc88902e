"""Secret admin: where a credential lives, validated; an encrypted value goes in and never comes back out."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from plugins.models import PluginInstance, Secret
from plugins.secrets import encrypt, resolve, set_secret_value

pytestmark = pytest.mark.django_db

PLANTED = "planted-s3cr3t-VALUE"
ADD_URL = reverse("admin:plugins_secret_add")
LIST_URL = reverse("admin:plugins_secret_changelist")


def _pages(secret: Secret, instance: PluginInstance) -> list[str]:
    return [
        LIST_URL,
        ADD_URL,
        f"{LIST_URL}?q={secret.name}",
        reverse("admin:plugins_secret_change", args=[secret.pk]),
        reverse("admin:plugins_secret_history", args=[secret.pk]),
        reverse("admin:plugins_secret_delete", args=[secret.pk]),
        reverse("admin:plugins_plugininstance_changelist"),
        reverse("admin:plugins_plugininstance_add"),
        reverse("admin:plugins_plugininstance_change", args=[instance.pk]),
        reverse("admin:plugins_plugininstance_history", args=[instance.pk]),
        reverse("admin:plugins_plugininstance_delete", args=[instance.pk]),
        reverse("admin:index"),
        reverse("admin:app_list", args=["plugins"]),
    ]


def _assert_never_rendered(client: Client, secret: Secret, instance: PluginInstance) -> None:
    ciphertext = Secret.objects.get(pk=secret.pk).ciphertext
    for url in _pages(secret, instance):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert PLANTED not in html, url
        assert ciphertext not in html, url


def test_secret_value_never_appears_in_any_admin_page(admin_client: Client, tiny_type: Any) -> None:
    # Through the instance form (typed credential) ...
    response = admin_client.post(
        reverse("admin:plugins_plugininstance_add") + "?type=ims.tiny",
        {
            "name": "tiny-1",
            "enabled": "on",
            "sync_interval": "60",
            "config__endpoint": "https://tiny.example",
            "config__pools": "1",
            "secret__token": PLANTED,
        },
    )
    assert response.status_code == 302
    instance = PluginInstance.objects.get(name="tiny-1")
    secret = Secret.objects.get(name="tiny-1-token")
    assert resolve(secret) == PLANTED
    _assert_never_rendered(admin_client, secret, instance)
    # ... and after a failed re-submit of both forms, which re-render the inputs.
    change_url = reverse("admin:plugins_plugininstance_change", args=[instance.pk])
    bad = admin_client.post(
        change_url,
        {"name": "tiny-1", "sync_interval": "60", "config__endpoint": "bad", "secret__token": PLANTED},
    )
    assert bad.status_code == 200
    assert PLANTED not in bad.content.decode()
    bad = admin_client.post(
        reverse("admin:plugins_secret_change", args=[secret.pk]),
        {"name": "", "provider": "encrypted", "value": PLANTED},
    )
    assert bad.status_code == 200
    assert PLANTED not in bad.content.decode()


def test_encrypted_secret_added_through_its_admin(admin_client: Client, tiny_type: Any) -> None:
    response = admin_client.post(ADD_URL, {"name": "shared-token", "provider": "encrypted", "value": PLANTED})
    assert response.status_code == 302
    secret = Secret.objects.get(name="shared-token")
    assert resolve(secret) == PLANTED
    instance = PluginInstance.objects.create(
        name="tiny-2",
        category="ims",
        plugin_type="tiny",
        config={"endpoint": "https://x.example", "token": {"secretRef": "shared-token"}},
    )
    _assert_never_rendered(admin_client, secret, instance)
    html = admin_client.get(LIST_URL).content.decode()
    assert reverse("admin:plugins_plugininstance_change", args=[instance.pk]) in html  # "used by"


def test_a_multi_line_value_keeps_its_newlines_and_a_file_can_be_uploaded(admin_client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    pem = "-----BEGIN PRIVATE KEY-----\nAAAA\r\nBBBB\n-----END PRIVATE KEY-----\n"
    response = admin_client.post(ADD_URL, {"name": "pem-key", "provider": "encrypted", "value": pem})
    assert response.status_code == 302
    assert resolve(Secret.objects.get(name="pem-key")) == pem.replace("\r\n", "\n")  # a browser's CRLF
    kubeconfig = b"apiVersion: v1\nkind: Config\nclusters: []\n"
    upload = SimpleUploadedFile("admin.conf", kubeconfig)
    response = admin_client.post(ADD_URL, {"name": "kubeconfig", "provider": "encrypted", "value_file": upload})
    assert response.status_code == 302
    assert resolve(Secret.objects.get(name="kubeconfig")) == kubeconfig.decode()
    html = admin_client.get(ADD_URL).content.decode()
    assert '<textarea name="value"' in html
    assert 'enctype="multipart/form-data"' in html


def test_empty_value_keeps_the_stored_one(admin_client: Client) -> None:
    secret = set_secret_value(Secret(name="keep-me"), PLANTED)
    url = reverse("admin:plugins_secret_change", args=[secret.pk])
    response = admin_client.post(url, {"name": "keep-me", "description": "new text", "provider": "encrypted"})
    assert response.status_code == 302
    secret.refresh_from_db()
    assert resolve(secret) == PLANTED
    assert secret.description == "new text"


@pytest.mark.parametrize(
    ("provider", "field", "message"),
    [
        ("env", "reference", "environment variable"),
        ("file", "reference", "path"),
        ("encrypted", "value", "value to encrypt"),
    ],
)
def test_provider_needs_its_reference(admin_client: Client, provider: str, field: str, message: str) -> None:
    response = admin_client.post(ADD_URL, {"name": "s1", "provider": provider})
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])


def test_env_secret_with_reference_is_saved_and_ciphertext_dropped(admin_client: Client) -> None:
    secret = Secret.objects.create(name="was-encrypted", provider="encrypted", ciphertext=encrypt(PLANTED))
    url = reverse("admin:plugins_secret_change", args=[secret.pk])
    response = admin_client.post(url, {"name": "was-encrypted", "provider": "env", "reference": "API_TOKEN"})
    assert response.status_code == 302
    secret.refresh_from_db()
    assert (secret.provider, secret.reference, secret.ciphertext) == ("env", "API_TOKEN", "")


def test_a_secret_in_use_cannot_be_renamed(admin_client: Client, tiny_type: Any) -> None:
    secret = set_secret_value(Secret(name="in-use"), PLANTED)
    PluginInstance.objects.create(
        name="tiny-3",
        category="ims",
        plugin_type="tiny",
        config={"endpoint": "https://x.example", "token": {"secretRef": "in-use"}},
    )
    url = reverse("admin:plugins_secret_change", args=[secret.pk])
    response = admin_client.post(url, {"name": "renamed", "provider": "encrypted"})
    assert response.status_code == 200
    assert "tiny-3" in " ".join(response.context["adminform"].form.errors["name"])


def test_a_secret_in_use_cannot_be_deleted(admin_client: Client, tiny_type: Any) -> None:
    secret = set_secret_value(Secret(name="in-use"), PLANTED)
    PluginInstance.objects.create(
        name="tiny-4",
        category="ims",
        plugin_type="tiny",
        config={"endpoint": "https://x.example", "token": {"secretRef": "in-use"}},
    )
    url = reverse("admin:plugins_secret_delete", args=[secret.pk])
    assert "Plugin instance tiny-4 uses secret in-use" in admin_client.get(url).content.decode()
    admin_client.post(url, {"post": "yes"})
    assert Secret.objects.filter(pk=secret.pk).exists()
