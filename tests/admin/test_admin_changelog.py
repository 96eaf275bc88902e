"""Auditors' admin: the read-only inventory browsers and the change log with its per-object history and diff."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory.admin import state_diff
from inventory.models import ChangeLogEntry, DeploymentManager, OCloud, Resource, ResourcePool, ResourceType
from inventory.sync import sync_instance
from plugins.models import PluginInstance

pytestmark = pytest.mark.django_db

CHANGELOG_URL = reverse("admin:inventory_changelogentry_changelist")
PRIOR = {"name": "a", "extensions": {"rack": "r1", "tags": ["x"]}, "gone": 1, "same": True}
POST = {"name": "b", "extensions": {"rack": "r2", "tags": ["x", "y"]}, "new": {"k": 2}, "same": True}


@pytest.fixture
def synced(mock_instance: PluginInstance) -> PluginInstance:
    sync_instance(mock_instance)
    return mock_instance


def _entry(**overrides: Any) -> ChangeLogEntry:
    fields: dict[str, Any] = {
        "time": timezone.now(),
        "object_type": "ResourcePoolInfo",
        "object_id": uuid.uuid4(),
        "action": "modify",
        "prior_state": PRIOR,
        "post_state": POST,
        "source": "api",
        "request_id": "req-123",
    }
    fields.update(overrides)
    return ChangeLogEntry.objects.create(**fields)


def test_state_diff_flattens_nested_keys() -> None:
    rows, unchanged = state_diff(PRIOR, POST)
    assert [(r.path, r.status) for r in rows] == [
        ("name", "changed"),
        ("extensions/rack", "changed"),
        ("gone", "removed"),
        ("extensions/tags/1", "added"),
        ("new/k", "added"),
    ]
    assert unchanged == 2  # extensions/tags/0 and same
    created, _ = state_diff(None, {"a": 1})
    assert [(r.path, r.status, r.after) for r in created] == [("a", "added", "1")]


def test_detail_shows_the_diff_and_history_links(admin_client: Client) -> None:
    entry = _entry()
    html = admin_client.get(reverse("admin:inventory_changelogentry_change", args=[entry.pk])).content.decode()
    assert 'class="state-diff"' in html
    assert '<tr class="changed" data-key="extensions/rack">' in html
    assert '<tr class="removed" data-key="gone">' in html
    assert '<tr class="added" data-key="new/k">' in html
    assert "2 unchanged keys not shown" in html
    assert f"?object_id={entry.object_id}" in html
    assert reverse("admin:inventory_resourcepool_change", args=[entry.object_id]) in html


def test_list_filters_by_object_and_searches_ids(admin_client: Client) -> None:
    mine = _entry()
    _entry(object_id=mine.object_id, action="create", prior_state=None)
    other = _entry(request_id="req-999")
    html = admin_client.get(CHANGELOG_URL).content.decode()
    assert f"?object_id={mine.object_id}" in html  # each row links to its object's history
    history = admin_client.get(CHANGELOG_URL, {"object_id": str(mine.object_id)})
    assert {e.object_id for e in history.context["cl"].result_list} == {mine.object_id}
    assert len(history.context["cl"].result_list) == 2
    found = admin_client.get(CHANGELOG_URL, {"q": str(other.object_id)}).context["cl"].result_list
    assert [e.pk for e in found] == [other.pk]
    found = admin_client.get(CHANGELOG_URL, {"q": "req-999"}).context["cl"].result_list
    assert [e.pk for e in found] == [other.pk]
    filtered = admin_client.get(CHANGELOG_URL, {"action__exact": "create"}).context["cl"].result_list
    assert [e.action for e in filtered] == ["create"]


def test_change_log_is_never_editable(admin_client: Client) -> None:
    entry = _entry()
    assert admin_client.get(reverse("admin:inventory_changelogentry_add")).status_code == 403
    change_url = reverse("admin:inventory_changelogentry_change", args=[entry.pk])
    assert admin_client.post(change_url, {"action": "delete"}).status_code == 403
    assert admin_client.post(reverse("admin:inventory_changelogentry_delete", args=[entry.pk])).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "modify"
    assert 'name="_save"' not in admin_client.get(change_url).content.decode()


@pytest.mark.parametrize("model", [OCloud, DeploymentManager, ResourcePool, ResourceType, Resource])
def test_inventory_admins_refuse_add_change_delete(
    admin_client: Client, synced: PluginInstance, model: type[Any]
) -> None:
    if model is OCloud:
        obj = OCloud.objects.create(id=uuid.uuid4(), global_cloud_id=uuid.uuid4(), name="cloud", service_uri="http://x")
    else:
        obj = model.objects.first()
    info = f"admin:inventory_{model._meta.model_name}"
    assert admin_client.get(reverse(f"{info}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"{info}_add")).status_code == 403
    change_url = reverse(f"{info}_change", args=[obj.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(change_url, {"name": "hacked"}).status_code == 403
    assert admin_client.post(reverse(f"{info}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


def test_resource_list_links_and_stays_cheap(
    admin_client: Client, synced: PluginInstance, django_assert_max_num_queries: Any
) -> None:
    url = reverse("admin:inventory_resource_changelist")
    with django_assert_max_num_queries(12):
        response = admin_client.get(url)
    assert response.context["cl"].show_full_result_count is False
    html = response.content.decode()
    child = Resource.objects.filter(parent__isnull=False).select_related("resource_pool", "resource_type").first()
    assert child is not None
    assert reverse("admin:inventory_resourcepool_change", args=[child.resource_pool_id]) in html
    assert reverse("admin:inventory_resourcetype_change", args=[child.resource_type_id]) in html
    assert f"?object_id={child.pk}" in html


def test_resource_page_links_to_history_and_relatives(admin_client: Client, synced: PluginInstance) -> None:
    child = Resource.objects.filter(parent__isnull=False).first()
    assert child is not None
    html = admin_client.get(reverse("admin:inventory_resource_change", args=[child.pk])).content.decode()
    assert f"?object_id={child.pk}" in html
    assert reverse("admin:inventory_resource_change", args=[child.parent_id]) in html
    assert reverse("admin:inventory_resourcepool_change", args=[child.resource_pool_id]) in html
    history = admin_client.get(CHANGELOG_URL, {"object_id": str(child.pk)}).context["cl"].result_list
    assert [(e.action, e.source) for e in history] == [("create", "sync")]


def test_resource_search_and_drilldown(admin_client: Client, synced: PluginInstance) -> None:
    url = reverse("admin:inventory_resource_changelist")
    target = Resource.objects.first()
    assert target is not None
    assert [r.pk for r in admin_client.get(url, {"q": str(target.pk)}).context["cl"].result_list] == [target.pk]
    found = admin_client.get(url, {"q": target.native_id}).context["cl"].result_list
    assert target.pk in [r.pk for r in found]
    in_pool = admin_client.get(url, {"resource_pool__exact": str(target.resource_pool_id)}).context["cl"].result_list
    assert {r.resource_pool_id for r in in_pool} == {target.resource_pool_id}
    by_instance = admin_client.get(url, {"plugin_instance__id__exact": str(synced.pk)})
    assert by_instance.status_code == 200


def test_auditor_with_view_permissions_browses_everything_read_only(
    client: Client, synced: PluginInstance, django_user_model: Any
) -> None:
    from django.contrib.auth.models import Permission

    from plugins.models import Secret
    from plugins.secrets import set_secret_value

    secret = set_secret_value(Secret(name="audited"), "planted-s3cr3t-VALUE")
    auditor = django_user_model.objects.create_user("auditor", password="pw", is_staff=True)
    auditor.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(auditor)
    entry = ChangeLogEntry.objects.first()
    assert entry is not None
    urls = [
        reverse("admin:plugins_plugininstance_changelist"),
        reverse("admin:plugins_plugininstance_change", args=[synced.pk]),
        reverse("admin:plugins_secret_change", args=[secret.pk]),
        reverse("admin:plugins_routingrule_simulate"),
        CHANGELOG_URL,
        reverse("admin:inventory_changelogentry_change", args=[entry.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "planted-s3cr3t-VALUE" not in html
        assert 'name="_save"' not in html
    html = client.get(reverse("admin:plugins_plugininstance_change", args=[synced.pk])).content.decode()
    assert "Sync now" not in html
    sync_url = reverse("admin:plugins_plugininstance_sync", args=[synced.pk])
    assert client.post(sync_url).status_code == 403
