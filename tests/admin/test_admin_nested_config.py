"""Nested config blocks in the schema-driven plugin form: each key of a block (`churn.enabled`,
`auth.username`, `operations.syncInventory.path`) is a typed input of its own, with its default and help text, in
a fieldset per block; what is stored is what the operator set; errors name the nested key on its input."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from plugins.models import PluginInstance

pytestmark = pytest.mark.django_db

ADD = reverse("admin:plugins_plugininstance_add")


def _errors(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    return dict(response.context["adminform"].form.errors)


def test_a_nested_block_is_typed_inputs_with_defaults_and_help(admin_client: Client) -> None:
    html = admin_client.get(ADD + "?type=ims.mock").content.decode()
    assert 'name="config__churn"' not in html  # no JSON text area for the block
    assert '<input type="checkbox" name="config__churn__enabled"' in html
    assert 'type="number" name="config__churn__changesPerMinute" value="6"' in html  # the schema's default
    assert "Configuration: churn" in html
    assert "Changes the simulated O-Cloud makes by itself." in html  # the block's help
    assert "How many churn steps happen per minute" in html  # the key's help
    assert "churn.changesPerMinute" in html  # labelled by its path


def test_nested_values_are_stored_as_set_and_defaults_left_out(admin_client: Client, tmp_path: Path) -> None:
    base = {"name": "m1", "enabled": "on", "sync_interval": "0", "config__stateFile": str(tmp_path / "m.sqlite3")}
    response = admin_client.post(ADD + "?type=ims.mock", {**base, "config__churn__changesPerMinute": "6"})
    assert response.status_code == 302, _errors(response)
    instance = PluginInstance.objects.get(name="m1")
    assert "churn" not in instance.config  # wholly at its defaults
    change = reverse("admin:plugins_plugininstance_change", args=[instance.pk])
    data = {**base, "config__churn__enabled": "on", "config__churn__changesPerMinute": "12"}
    assert admin_client.post(change, data).status_code == 302
    instance.refresh_from_db()
    assert instance.config["churn"] == {"enabled": True, "changesPerMinute": 12}
    html = admin_client.get(change).content.decode()
    assert 'name="config__churn__changesPerMinute" value="12"' in html
    assert re.search(r"<input type=\"checkbox\" name=\"config__churn__enabled\"[^>]* checked", html)


def test_a_bad_nested_value_is_named_on_its_input(admin_client: Client, tmp_path: Path) -> None:
    data = {"name": "m2", "sync_interval": "0", "config__churn__changesPerMinute": "0"}
    errors = _errors(admin_client.post(ADD + "?type=ims.mock", data))
    assert errors["config__churn__changesPerMinute"] == [
        "churn.changesPerMinute: Ensure this value is greater than or equal to 1."
    ]
    assert not PluginInstance.objects.filter(name="m2").exists()


def test_blocks_of_blocks_and_the_schema_checks_name_the_nested_key(admin_client: Client) -> None:
    url = ADD + "?type=smo.custom"
    html = admin_client.get(url).content.decode()
    assert "Configuration: operations.syncInventory" in html
    assert 'name="config__operations__syncInventory__path"' in html
    assert '<select name="config__auth__type"' in html
    base = {
        "name": "vendor",
        "sync_interval": "0",
        "config__baseUrl": "https://smo.example.com/api",
        "config__verifyTls": "on",
    }
    unused_path = {**base, "config__operations__syncInventory__method": "PUT"}  # used, so its path is required
    errors = _errors(admin_client.post(url, unused_path))
    assert errors["config__operations__syncInventory__path"] == [
        "operations.syncInventory.path: This field is required."
    ]
    basic = {**base, "config__auth__type": "basic", "config__operations__syncInventory__path": "/inventory"}
    errors = _errors(admin_client.post(url, basic))  # basic needs auth.username (and the password credential)
    assert any(m.startswith("auth.username: ") for m in errors["config__auth__username"]), errors
    good = {**base, "config__operations__syncInventory__path": "/inventory", "config__operations__getPackage__path": ""}
    response = admin_client.post(url, good)
    assert response.status_code == 302, _errors(response)
    config = PluginInstance.objects.get(name="vendor").config
    assert config == {"baseUrl": "https://smo.example.com/api", "operations": {"syncInventory": {"path": "/inventory"}}}
