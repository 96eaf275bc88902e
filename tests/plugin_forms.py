"""The admin's add/change form for a plugin instance, filled in as an operator's browser would submit it.

The form is built from the plugin type's config schema (plugins/admin.py): one input per config key, named
`config__<key>` (a nested block's keys: `config__<block>__<key>`), and one write-only credential box per secret,
named `secret__<key>`.
"""

from __future__ import annotations

import json
from typing import Any

from django.urls import reverse


def add_url(plugin_type: str) -> str:
    """The add form of one plugin type, e.g. `ims.vsphere` (the admin asks for the type first)."""
    return reverse("admin:plugins_plugininstance_add") + f"?type={plugin_type}"


def plugin_form(name: str, config: dict[str, Any], secrets: dict[str, str], **fields: str) -> dict[str, str]:
    """POST data for the plugin form: checkboxes are "on" or absent, objects and lists are JSON text."""
    data = {"name": name, "enabled": "on", "sync_interval": "0", **fields}
    for key, value in config.items():
        if value is True:
            data[f"config__{key}"] = "on"
        elif value is not False:
            data[f"config__{key}"] = json.dumps(value) if isinstance(value, dict | list) else str(value)
    data.update({f"secret__{key}": value for key, value in secrets.items()})
    return data
