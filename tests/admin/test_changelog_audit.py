"""Auditors: the change log names the object, its type, the plugin and who; configuration objects are in it
(which keys changed, never values); search by name, a date range, export to CSV and JSON; a deleted object's
history stays reachable."""

from __future__ import annotations

import csv
import getpass
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from inventory.models import ChangeLogEntry
from inventory.sync import sync_instance
from plugins.models import PluginInstance

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:inventory_changelogentry_changelist")
EXPORT_URL = reverse("admin:inventory_changelogentry_export")


def test_import_records_the_os_user_and_config_keys_without_values(tmp_path: Path, tiny_type: Any) -> None:
    path = tmp_path / "plugins.yaml"
    path.write_text(
        "plugins:\n  ims:\n    - {name: t1, type: tiny, config: {endpoint: 'https://a.example', token: s3cr3t-tok}}\n"
    )
    call_command("netweave_config", "import", str(path), stdout=io.StringIO())
    created = ChangeLogEntry.objects.get(object_type="PluginInstance", action="create")
    assert (created.object_name, created.source, created.actor) == ("t1", "import", f"import by {getpass.getuser()}")
    path.write_text(path.read_text().replace("https://a.example", "https://b.example"))
    call_command("netweave_config", "import", str(path), stdout=io.StringIO())
    modified = ChangeLogEntry.objects.get(object_type="PluginInstance", action="modify")
    assert modified.prior_state["config"]["endpoint"] != modified.post_state["config"]["endpoint"]
    assert modified.prior_state["config"]["token"] == modified.post_state["config"]["token"]
    everything = json.dumps(list(ChangeLogEntry.objects.values("prior_state", "post_state")))
    assert "a.example" not in everything
    assert "s3cr3t-tok" not in everything


def test_syncs_name_their_plugin_instance(make_mock_instance: Any) -> None:
    instance = make_mock_instance("edge-a")
    sync_instance(instance)
    entry = ChangeLogEntry.objects.filter(object_type="ResourcePoolInfo").first()
    assert entry is not None
    assert entry.actor == "sync by edge-a"
    assert entry.object_name


def test_who_changed_pool_x_between_two_dates_in_the_ui_and_as_csv(
    admin_client: Client, make_mock_instance: Any
) -> None:
    instance = make_mock_instance("edge-b")
    sync_instance(instance)
    pool = ChangeLogEntry.objects.filter(object_type="ResourcePoolInfo").first()
    assert pool is not None
    day = pool.time.date().isoformat()
    query = {"q": pool.object_name, "time_from": day, "time_to": day, "object_type": "ResourcePoolInfo"}
    page = admin_client.get(LIST_URL, query)
    assert page.status_code == 200
    html = page.content.decode()
    assert pool.object_name in html
    assert "sync by edge-b" in html
    assert 'id="export-csv"' in html
    exported = admin_client.get(EXPORT_URL, {**query, "format": "csv"})
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert rows
    assert {r["object_name"] for r in rows} == {pool.object_name}
    assert {r["who"] for r in rows} == {"sync by edge-b"}
    earlier = admin_client.get(
        EXPORT_URL, {**query, "time_from": "2000-01-01", "time_to": "2000-01-02", "format": "json"}
    )
    assert json.loads(earlier.content) == []


def test_admin_changes_and_a_deleted_objects_history(admin_client: Client, make_mock_instance: Any) -> None:
    instance = make_mock_instance("edge-c", default=False)
    url = reverse("admin:plugins_plugininstance_delete", args=[instance.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not PluginInstance.objects.filter(pk=instance.pk).exists()
    history = admin_client.get(LIST_URL, {"object_id": str(instance.pk)})
    assert history.status_code == 200
    entries = ChangeLogEntry.objects.filter(object_id=instance.pk).order_by("id")
    assert [e.action for e in entries] == ["create", "delete"]
    deleted = entries.last()
    assert deleted is not None
    assert (deleted.source, deleted.object_name) == ("admin", "edge-c")
    assert deleted.user is not None
    assert "edge-c" in admin_client.get(LIST_URL, {"q": "edge-c"}).content.decode()


def test_configuration_pages_link_their_whole_history(admin_client: Client, make_mock_instance: Any) -> None:
    from inventory.config_audit import audit_id
    from plugins.models import RoutingRule

    instance = make_mock_instance("edge-h", default=False)
    rule = RoutingRule.objects.create(name="r-h", category="ims", plugin_instance=instance)
    rule.priority = 7
    rule.save()
    page = admin_client.get(reverse("admin:plugins_routingrule_change", args=[rule.pk])).content.decode()
    link = f"{LIST_URL}?object_id={audit_id(rule)}"
    assert link in page
    rule.delete()
    history = admin_client.get(link).content.decode()
    assert history.count("r-h") >= 3  # created, modified (priority), deleted
    modified = ChangeLogEntry.objects.get(object_type="RoutingRule", action="modify")
    assert (modified.prior_state["priority"], modified.post_state["priority"]) == (0, 7)
    page = admin_client.get(reverse("admin:plugins_plugininstance_change", args=[instance.pk])).content.decode()
    assert f"{LIST_URL}?object_id={instance.pk}" in page
