"""An operator enables ONAP and a custom SMO from plugins.yaml: the plugin folders' sample.yaml files import
(credentials become Secrets), the instances get their northbound row, and the first step pushes to the backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command

from plugins.models import PluginInstance
from smo import northbound
from smo.models import NorthboundCursor

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def sample(plugin: str) -> dict[str, Any]:
    return yaml.safe_load((ROOT / f"plugins/smo/{plugin}/sample.yaml").read_text())


def test_onap_enabled_from_plugins_yaml(tmp_path, monkeypatch, synced_mock, fake_aai, receiver) -> None:
    monkeypatch.setenv("ONAP_AAI_PASSWORD", "from-the-environment")
    config = sample("onap")
    block = config["plugins"]["smo"][0]
    block["config"].update(aaiUrl=fake_aai.url, dmaapUrl=receiver.url)
    path = tmp_path / "plugins.yaml"
    path.write_text(yaml.safe_dump(config))
    call_command("netweave_config", "import", str(path))  # merges: the mock IMS stays

    instance = PluginInstance.objects.get(name="onap-integration")
    assert (instance.category, instance.plugin_type, instance.is_default) == ("smo", "onap", True)
    assert "from-the-environment" not in str(instance.config)  # a Secret reference, not the value
    assert NorthboundCursor.objects.filter(instance=instance).exists()
    assert not northbound.step(instance).errors
    assert fake_aai.of_type("cloud-region")


def test_custom_sample_is_valid(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VENDOR_SMO_HMAC_KEY", "k")
    path = tmp_path / "plugins.yaml"
    path.write_text(yaml.safe_dump(sample("custom")))
    call_command("netweave_config", "import", str(path))
    instance = PluginInstance.objects.get(name="vendor-smo")
    from plugins.registry import get_plugin

    plugin = get_plugin(instance)
    assert {c.value for c in plugin.capabilities()} == {
        "inventory-sync",
        "workflow-orchestration",
        "service-modeling",
        "policy-management",
    }
    rendered = plugin.render_northbound("ResourcePoolInfo", {"resourcePoolId": "p1"})
    assert rendered["objects"][0]["objectId"] == "p1"
