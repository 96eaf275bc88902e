"""PluginInstance admin: the add form validates config with the type's class, credentials become Secrets,
and "Test connection" / "Sync now" work end to end (actions and object buttons)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import ChangeLogEntry, Resource, ResourcePool
from plugins.models import PluginInstance, Secret
from plugins.secrets import resolve

pytestmark = pytest.mark.django_db

CHOOSE_URL = reverse("admin:plugins_plugininstance_add")
ADD_URL = CHOOSE_URL + "?type=ims.tiny"
LIST_URL = reverse("admin:plugins_plugininstance_changelist")


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "tiny-1",
        "enabled": "on",
        "sync_interval": "60",
        "config__endpoint": "https://tiny.example",
        "config__pools": "1",
        "secret__token": "good-token",
    }
    data.update(overrides)
    return data


def test_adding_starts_by_choosing_the_type_then_shows_only_its_fields(admin_client: Client, tiny_type: Any) -> None:
    chooser = admin_client.get(CHOOSE_URL).content.decode()
    assert 'href="?type=ims.tiny"' in chooser
    assert 'href="?type=ims.kubernetes"' in chooser
    assert "not installed" not in chooser
    html = admin_client.get(ADD_URL).content.decode()
    assert 'name="config__endpoint"' in html
    assert 'name="config__pools" value="1"' in html  # the schema's default
    assert '<textarea name="secret__token"' in html  # write-only text area, never a value
    assert 'name="secret_file__token"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "secret__kubeconfig" not in html  # another type's credential


def test_an_unknown_type_goes_back_to_the_choice(admin_client: Client) -> None:
    html = admin_client.get(CHOOSE_URL + "?type=ims.nope").content.decode()
    assert 'Plugin type "ims.nope" is not installed' in html


def test_add_creates_instance_with_validated_config_and_encrypted_secret(admin_client: Client, tiny_type: Any) -> None:
    response = admin_client.post(ADD_URL, _form())
    assert response.status_code == 302, response.content.decode()[:3000]
    instance = PluginInstance.objects.get(name="tiny-1")
    assert (instance.category, instance.plugin_type) == ("ims", "tiny")
    assert instance.config == {"endpoint": "https://tiny.example", "token": {"secretRef": "tiny-1-token"}}
    secret = Secret.objects.get(name="tiny-1-token")
    assert secret.provider == Secret.Provider.ENCRYPTED
    assert "good-token" not in secret.ciphertext
    assert resolve(secret) == "good-token"
    assert list(instance.secrets.all()) == [secret]


def test_bad_config_is_rejected_naming_the_key(admin_client: Client, tiny_type: Any) -> None:
    response = admin_client.post(ADD_URL, _form(config__endpoint="not a url", config__pools="99"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["config__endpoint"] == ["Enter a valid URL."]
    assert "less than or equal to 10" in " ".join(errors["config__pools"])
    assert not PluginInstance.objects.filter(name="tiny-1").exists()
    assert not Secret.objects.exists()


def test_missing_credential_is_reported_on_the_credential_input(admin_client: Client, tiny_type: Any) -> None:
    response = admin_client.post(ADD_URL, _form(secret__token=""))
    assert response.status_code == 200
    assert "required" in " ".join(response.context["adminform"].form.errors["secret__token"])


def test_a_multi_line_credential_keeps_its_newlines_and_a_file_upload_works(
    admin_client: Client, tiny_type: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    pem = "-----BEGIN KEY-----\nline one\r\nline two\n-----END KEY-----\n"
    assert admin_client.post(ADD_URL, _form(secret__token=pem)).status_code == 302
    assert resolve(Secret.objects.get(name="tiny-1-token")) == pem.replace("\r\n", "\n")  # as a browser sends it
    upload = SimpleUploadedFile("kubeconfig", b"apiVersion: v1\nkind: Config\n")
    response = admin_client.post(ADD_URL, _form(name="tiny-2", secret__token="", secret_file__token=upload))
    assert response.status_code == 302
    assert resolve(Secret.objects.get(name="tiny-2-token")) == "apiVersion: v1\nkind: Config\n"


def test_edit_with_empty_credential_keeps_it_and_a_new_value_replaces_it(admin_client: Client, tiny_type: Any) -> None:
    admin_client.post(ADD_URL, _form())
    instance = PluginInstance.objects.get(name="tiny-1")
    url = reverse("admin:plugins_plugininstance_change", args=[instance.pk])
    assert admin_client.post(url, _form(config__pools="2", secret__token="")).status_code == 302
    assert resolve(Secret.objects.get(name="tiny-1-token")) == "good-token"
    assert PluginInstance.objects.get(pk=instance.pk).config == {
        "endpoint": "https://tiny.example",
        "pools": 2,
        "token": {"secretRef": "tiny-1-token"},
    }
    assert admin_client.post(url, _form(config__pools="2", secret__token="rotated")).status_code == 302
    assert resolve(Secret.objects.get(name="tiny-1-token")) == "rotated"


def test_second_default_is_a_form_error(admin_client: Client, tiny_type: Any) -> None:
    assert admin_client.post(ADD_URL, _form(is_default="on")).status_code == 302
    response = admin_client.post(ADD_URL, _form(name="tiny-2", is_default="on"))
    assert response.status_code == 200
    assert "already the default" in " ".join(response.context["adminform"].form.errors["is_default"])


def test_list_shows_health_and_last_sync(admin_client: Client, mock_instance: PluginInstance) -> None:
    html = admin_client.get(LIST_URL).content.decode()
    assert "edge-mock" in html
    assert "unknown" in html  # never checked
    assert "never" in html  # never synced


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_test_connection_action(admin_client: Client, mock_instance: PluginInstance, tiny_type: Any) -> None:
    admin_client.post(ADD_URL, _form(secret__token="wrong-token"))
    tiny = PluginInstance.objects.get(name="tiny-1")
    response = admin_client.post(
        LIST_URL,
        {"action": "test_connection", "_selected_action": [str(mock_instance.pk), str(tiny.pk)]},
        follow=True,
    )
    texts = _messages(response)
    assert any(t.startswith("edge-mock: healthy") for t in texts), texts
    assert "tiny-1: unhealthy: the backend rejected the token" in texts
    mock_instance.refresh_from_db()
    tiny.refresh_from_db()
    assert mock_instance.health_ok is True
    assert mock_instance.health_checked is not None
    assert tiny.health_ok is False
    html = admin_client.get(LIST_URL).content.decode()
    assert "failing" in html
    assert "the backend rejected the token" in html


def test_sync_now_action_fills_inventory_and_change_log_as_admin(
    admin_client: Client, mock_instance: PluginInstance, admin_user: Any
) -> None:
    response = admin_client.post(
        LIST_URL, {"action": "sync_now", "_selected_action": [str(mock_instance.pk)]}, follow=True
    )
    texts = _messages(response)
    assert any(t.startswith("edge-mock: synced: ") for t in texts), texts
    assert Resource.objects.filter(plugin_instance=mock_instance).count() == 20
    # The inventory it synced (the instance's own configuration entry, made by the fixture, is not part of it).
    entries = ChangeLogEntry.objects.filter(plugin_instance=mock_instance).exclude(object_type="PluginInstance")
    assert entries.count() >= 20
    # Needs inventory.sync.sync_instance to keep the caller's source (it binds source="sync" unconditionally).
    assert set(entries.values_list("source", flat=True)) == {"admin"}, "sync_instance overrode the admin source"
    assert set(entries.values_list("user_id", flat=True)) == {admin_user.pk}
    assert all(entries.values_list("request_id", flat=True))
    mock_instance.refresh_from_db()
    assert mock_instance.last_sync_ok is True


def test_sync_failure_is_a_message_not_a_traceback(admin_client: Client, mock_instance: PluginInstance) -> None:
    mock_instance.config = {**mock_instance.config, "failHealth": True}
    mock_instance.save()
    response = admin_client.post(
        LIST_URL, {"action": "sync_now", "_selected_action": [str(mock_instance.pk)]}, follow=True
    )
    assert response.status_code == 200
    texts = _messages(response)
    assert any(t.startswith("edge-mock: sync failed: ") for t in texts), texts
    assert "Traceback" not in response.content.decode()


def test_object_buttons_post_and_return_to_the_change_page(admin_client: Client, mock_instance: PluginInstance) -> None:
    change_url = reverse("admin:plugins_plugininstance_change", args=[mock_instance.pk])
    html = admin_client.get(change_url).content.decode()
    test_url = reverse("admin:plugins_plugininstance_test", args=[mock_instance.pk])
    sync_url = reverse("admin:plugins_plugininstance_sync", args=[mock_instance.pk])
    assert test_url in html
    assert sync_url in html
    assert admin_client.get(test_url).status_code == 405
    response = admin_client.post(test_url)
    assert response.status_code == 302
    assert response["Location"] == change_url
    response = admin_client.post(sync_url, follow=True)
    assert any("synced" in t for t in _messages(response))
    assert ResourcePool.objects.filter(plugin_instance=mock_instance).exists()


def test_delete_retires_inventory_with_change_log_then_deletes(
    admin_client: Client, mock_instance: PluginInstance
) -> None:
    admin_client.post(reverse("admin:plugins_plugininstance_sync", args=[mock_instance.pk]))
    assert Resource.objects.filter(plugin_instance=mock_instance).count() == 20
    delete_url = reverse("admin:plugins_plugininstance_delete", args=[mock_instance.pk])
    confirm = admin_client.get(delete_url)
    assert confirm.status_code == 200
    assert "20 resources" in confirm.content.decode()
    response = admin_client.post(delete_url, {"post": "yes"})
    assert response.status_code == 302
    assert not PluginInstance.objects.filter(pk=mock_instance.pk).exists()
    assert not Resource.objects.exists()
    deletes = ChangeLogEntry.objects.filter(action="delete", plugin_instance_name="edge-mock")
    assert deletes.filter(object_type="ResourceInfo").count() == 20
    assert set(deletes.values_list("source", flat=True)) == {"admin"}


def test_bulk_delete_action_retires_too(admin_client: Client, mock_instance: PluginInstance) -> None:
    admin_client.post(reverse("admin:plugins_plugininstance_sync", args=[mock_instance.pk]))
    response = admin_client.post(
        LIST_URL, {"action": "delete_selected", "_selected_action": [str(mock_instance.pk)], "post": "yes"}
    )
    assert response.status_code == 302
    assert not PluginInstance.objects.exists()
    assert not Resource.objects.exists()


def test_view_site_leads_to_the_api_documentation_and_sync_tasks_are_readable(
    admin_client: Client, mock_instance: PluginInstance
) -> None:
    from django_celery_beat.models import PeriodicTask

    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'href="/api/docs/"' in html
    assert admin_client.get("/api/docs/").status_code == 200
    assert PeriodicTask.objects.filter(name="netweave: sync edge-mock (ims.mock)").exists()


def test_the_admin_is_organised_by_task_and_searches_everything(
    admin_client: Client, mock_instance: PluginInstance
) -> None:
    from inventory.sync import sync_instance

    sync_instance(mock_instance)
    html = admin_client.get(reverse("admin:index")).content.decode()
    for section in ("Inventory", "Deployments", "Plugins &amp; routing", "SMO", "History", "Access"):
        assert section in html
    assert html.index("Plugins &amp; routing") < html.index("History") < html.index("Access")
    pool = ResourcePool.objects.first()
    assert pool is not None
    found = admin_client.get(reverse("admin:search"), {"q": pool.name}).content.decode()
    assert "Resource pools" in found
    assert reverse("admin:inventory_resourcepool_change", args=[pool.pk]) in found
    assert "Change log" in found
    by_name = admin_client.get(reverse("admin:search"), {"q": "edge-mock"}).content.decode()
    assert reverse("admin:plugins_plugininstance_change", args=[mock_instance.pk]) in by_name


def test_import_page_previews_then_applies(admin_client: Client, tiny_type: Any) -> None:
    url = reverse("admin:plugins_plugininstance_import")
    PluginInstance.objects.create(name="kept", category="dms", plugin_type="mock")
    document = "plugins:\n  ims:\n    - {name: t9, type: tiny, config: {endpoint: 'https://t.example', token: x}}\n"
    preview = admin_client.post(url, {"document": document, "preview": "Preview"})
    html = preview.content.decode()
    assert "create plugin instance t9 (ims.tiny)" in html
    assert "kept (not in the file; --prune removes them): plugin instance kept" in html
    assert not PluginInstance.objects.filter(name="t9").exists()
    applied = admin_client.post(url, {"document": document, "apply": "Apply"})
    assert applied.status_code == 302
    assert set(PluginInstance.objects.values_list("name", flat=True)) == {"kept", "t9"}
    broken = admin_client.post(url, {"document": "plugins: {ims: [{name: Bad}]}", "preview": "Preview"})
    assert "Nothing can be imported" in broken.content.decode()
