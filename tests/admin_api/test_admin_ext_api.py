"""The admin extension API (/netweave-admin-ext/v1): plugin instances, routing rules, secrets (write-only values),
plugin types with their schema, and the routing simulator; validated against the OpenAPI, roles applied."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inventory.models import ChangeLogEntry, ResourcePool
from inventory.sync import sync_instance
from plugins.models import PluginInstance, Secret
from plugins.secrets import resolve
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db

V1 = "/netweave-admin-ext/v1"
PEM = "-----BEGIN KEY-----\nAAAA\nBBBB\n-----END KEY-----\n"


def test_plugin_types_carry_their_config_schema(o2: O2Client) -> None:
    body = json_of(o2.get(f"{V1}/pluginTypes/ims.kubernetes"))
    assert body["credentials"] == ["kubeconfig"]
    assert body["configSchema"]["properties"]["poolMode"]["enum"] == ["auto", "machineSets", "nodeLabel"]
    kinds = {(t["category"], t["type"]) for t in json_of(o2.get(f"{V1}/pluginTypes"))}
    assert {("ims", "mock"), ("dms", "mock"), ("observability", "prometheus")} <= kinds
    assert o2.get(f"{V1}/pluginTypes/ims.nope").status_code == 404


def test_secret_values_go_in_and_never_come_out(o2: O2Client) -> None:
    created = o2.post(f"{V1}/secrets", {"name": "edge-kubeconfig", "provider": "encrypted", "value": PEM})
    assert created.status_code == 201, created.content
    assert PEM not in created.content.decode()
    assert json_of(created)["hasValue"] is True
    assert resolve(Secret.objects.get(name="edge-kubeconfig")) == PEM  # newlines kept
    listed = o2.get(f"{V1}/secrets").content.decode()
    assert "AAAA" not in listed
    assert Secret.objects.get(name="edge-kubeconfig").ciphertext not in listed
    bad = o2.post(f"{V1}/secrets", {"name": "env-one", "provider": "env"})
    assert bad.status_code == 400
    assert json_of(bad)["additionalAttributes"]["field"] == "reference"


def test_plugin_instance_lifecycle_validated_by_the_schema(o2: O2Client, tmp_path: Any) -> None:
    config = {"stateFile": str(tmp_path / "m.sqlite3"), "resources": 10, "churn": {"enabled": "maybe"}}
    bad = o2.post(f"{V1}/pluginInstances", {"name": "edge", "category": "ims", "type": "mock", "config": config})
    assert bad.status_code == 400
    assert json_of(bad)["additionalAttributes"]["field"] == "config.churn.enabled"
    config["churn"] = {"enabled": False}
    created = o2.post(f"{V1}/pluginInstances", {"name": "edge", "category": "ims", "type": "mock", "config": config})
    assert created.status_code == 201, created.content
    instance = PluginInstance.objects.get(name="edge")
    sync_instance(instance)
    assert ResourcePool.objects.exists()
    changed = o2.patch(f"{V1}/pluginInstances/edge", {"syncInterval": 0})
    assert changed.status_code == 200
    assert json_of(changed)["syncInterval"] == 0
    rule = o2.post(f"{V1}/routingRules", {"category": "ims", "name": "all-to-edge", "plugin": "edge", "priority": 5})
    assert rule.status_code == 201, rule.content
    routed = json_of(o2.get(f"{V1}/routing/simulate?category=ims&matchType=server&label=site=edge"))
    assert (routed["routed"], routed["instance"], routed["rule"]) == (True, "edge", "all-to-edge")
    assert o2.delete(f"{V1}/pluginInstances/edge").status_code == 204
    assert not ResourcePool.objects.exists()
    deletes = ChangeLogEntry.objects.filter(action="delete")
    assert set(deletes.values_list("source", flat=True)) == {"api"}
    actors = set(deletes.values_list("actor", flat=True))
    assert len(actors) == 1
    assert actors.pop().startswith("token ")  # the API token's name and key id: who, for the auditor


def test_roles_apply(make_api_token: Any) -> None:
    reader = Client(HTTP_AUTHORIZATION=f"Bearer {make_api_token('reader')}")
    assert reader.get(f"{V1}/pluginInstances").status_code == 200
    assert reader.get(f"{V1}/secrets").status_code == 403
    body = {"name": "x", "category": "dms", "type": "mock"}
    assert reader.post(f"{V1}/pluginInstances", body, content_type="application/json").status_code == 403
    assert reader.get(f"{V1}/routing/simulate?category=ims").status_code == 200
    bad = reader.get(f"{V1}/routing/simulate?category=ims&label=nolabel")
    assert bad.status_code == 400
    anonymous = Client()
    assert anonymous.get(f"{V1}/pluginInstances").status_code == 401


@pytest.mark.parametrize(
    ("query", "field", "detail"),
    [
        ("label=site=edge&label=nolabel", "label", "label: Each label is key=value, got 'nolabel'."),
        ("label=", "label", "label: Each label is key=value, got ''."),
        ("attribute=gitOps", "attribute", "attribute: Each attribute is key=value, got 'gitOps'."),
    ],
)
def test_simulator_errors_name_the_parameter_as_sent(o2: Any, query: str, field: str, detail: str) -> None:
    bad = o2.get(f"{V1}/routing/simulate?category=ims&{query}")
    assert bad.status_code == 400
    problem = json_of(bad)
    assert problem["additionalAttributes"] == {"field": field}
    assert problem["detail"] == detail
