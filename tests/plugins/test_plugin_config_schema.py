"""One config schema per plugin type, read from its config class: JSON Schema, the Markdown reference in docs/,
and the command that prints both."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.management import call_command

from plugins.discovery import get_plugin_class
from plugins.sdk.schema import config_fields, json_schema

REPO = Path(__file__).resolve().parents[2]


def test_kubernetes_schema_has_typed_keys_defaults_and_the_credential() -> None:
    kubernetes = get_plugin_class("ims", "kubernetes")
    fields = {f.name: f for f in config_fields(kubernetes)}
    assert fields["kubeconfig"].secret
    assert fields["kubeconfig"].multiline
    assert fields["poolMode"].kind == "choice"
    assert fields["poolMode"].choices == ("auto", "machineSets", "nodeLabel")
    assert fields["enableInformers"].kind == "boolean"
    assert fields["enableInformers"].default is True
    schema = json_schema(kubernetes)
    assert schema["additionalProperties"] is False
    assert schema["properties"]["kubeconfig"]["writeOnly"] is True
    assert schema["properties"]["requestTimeoutSeconds"]["minimum"] == 0.5


def test_nested_blocks_are_described_key_by_key() -> None:
    mock = get_plugin_class("ims", "mock")
    churn = {f.name: f for f in config_fields(mock)}["churn"]
    assert churn.kind == "object"
    assert [c.name for c in churn.children] == ["enabled", "changesPerMinute"]
    assert json_schema(mock)["properties"]["churn"]["properties"]["changesPerMinute"]["maximum"] == 6000


def test_the_schema_command_prints_json_schema() -> None:
    out = io.StringIO()
    call_command("netweave_plugins", "schema", "kubernetes", stdout=out)
    assert json.loads(out.getvalue())["title"] == "ims.kubernetes config"


def test_the_config_reference_in_docs_is_current() -> None:
    out = io.StringIO()
    call_command("netweave_plugins", "schema", "--all", "--format", "markdown", stdout=out)
    committed = (REPO / "docs" / "plugin-config-reference.md").read_text(encoding="utf-8")
    assert out.getvalue() == committed, (
        "docs/plugin-config-reference.md is stale: "
        "manage.py netweave_plugins schema --all --format markdown > docs/plugin-config-reference.md"
    )
