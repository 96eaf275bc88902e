"""Imports never destroy: merge by default, --prune only after a preview the operator confirms, --dry-run shows
the whole plan; config/plugins.yaml (every built-in type) imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from inventory.models import ChangeLogEntry, ResourcePool
from inventory.sync import sync_instance
from plugins.config_io import Action, ConfigImportError, import_config, load_yaml, read_config_file
from plugins.models import PluginInstance, RoutingRule

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]

TWO = """
plugins:
  dms:
    - {name: helm, type: fakedms, default: true}
    - {name: argo, type: fakedms}
routing:
  dms:
    rules:
      - {name: to-argo, priority: 5, plugin: argo, packageType: git-repo}
"""
ONE = "plugins:\n  dms:\n    - {name: helm, type: fakedms, default: true}\n"


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plugins.yaml"
    path.write_text(text)
    return str(path)


def test_plain_import_keeps_what_the_file_does_not_name(
    fake_types: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("netweave_config", "import", _write(tmp_path, TWO))
    capsys.readouterr()
    call_command("netweave_config", "import", _write(tmp_path, ONE))
    out = capsys.readouterr().out
    assert "kept (not in the file; --prune removes them): plugin instance argo, routing rule dms:to-argo" in out
    assert "0 removed" in out
    assert set(PluginInstance.objects.values_list("name", flat=True)) == {"helm", "argo"}
    assert RoutingRule.objects.filter(name="to-argo").exists()


def test_prune_lists_what_goes_and_needs_confirmation(
    fake_types: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("netweave_config", "import", _write(tmp_path, TWO))
    path = _write(tmp_path, ONE)
    capsys.readouterr()
    # Non-interactive (stdin is not a terminal here) and no --yes: the preview is shown, nothing is removed.
    with pytest.raises(CommandError, match=r"--prune would remove 2 object\(s\).*--yes"):
        call_command("netweave_config", "import", path, "--prune")
    out = capsys.readouterr().out
    assert "remove routing rule dms:to-argo" in out
    assert "remove plugin instance argo (its inventory is retired first)" in out
    assert PluginInstance.objects.filter(name="argo").exists()

    call_command("netweave_config", "import", path, "--prune", "--dry-run")
    out = capsys.readouterr().out
    for line in ("Plan (dry run):", "remove plugin instance argo", "Dry run: nothing was saved."):
        assert line in out
    assert PluginInstance.objects.filter(name="argo").exists()

    call_command("netweave_config", "import", path, "--prune", "--yes")
    assert "1 removed" in capsys.readouterr().out
    assert list(PluginInstance.objects.values_list("name", flat=True)) == ["helm"]


def test_a_removal_the_preview_did_not_show_rolls_back(fake_types: Any) -> None:
    import_config(load_yaml(TWO))
    with pytest.raises(ConfigImportError, match="not in the preview you confirmed"):
        import_config(load_yaml(ONE), prune=True, confirmed_removals=[Action("remove", "routing rule", "dms:to-argo")])
    assert PluginInstance.objects.filter(name="argo").exists()


def test_dry_run_shows_every_change(fake_types: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("netweave_config", "import", _write(tmp_path, TWO), "--dry-run")
    out = capsys.readouterr().out
    assert "create plugin instance helm (dms.fakedms)" in out
    assert "create routing rule dms:to-argo (-> argo)" in out
    assert not PluginInstance.objects.exists()


def test_update_names_the_changed_keys_never_values(fake_types: Any) -> None:
    config = "{endpoint: https://a.example.com, region: r1, password: pw}"
    text = f"plugins:\n  ims:\n    - {{name: k, type: fake, config: {config}}}\n"
    import_config(load_yaml(text), environ={})
    report = import_config(load_yaml(text.replace("r1", "r2")), environ={}, dry_run=True)
    assert [str(a) for a in report.actions] == ["update plugin instance k (config.region)"]


def test_the_example_config_covers_every_built_in_type_and_imports(capsys: pytest.CaptureFixture[str]) -> None:
    from plugins.discovery import plugin_types

    path = REPO / "config" / "plugins.yaml"
    document: Any = read_config_file(str(path))
    declared = {(category, entry["type"]) for category, entries in document["plugins"].items() for entry in entries}
    built_in = {(c, t) for (c, t) in plugin_types() if not t.startswith("fake")}
    assert built_in <= declared
    call_command("netweave_config", "import", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "create plugin instance k8s-edge-1 (ims.kubernetes)" in out
    assert "create plugin instance prometheus (observability.prometheus)" in out
    assert not PluginInstance.objects.exists()


def test_pruning_an_instance_retires_its_inventory_with_the_import_actor(
    make_mock_instance: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instance = make_mock_instance(default=False)
    sync_instance(instance)
    assert ResourcePool.objects.exists()
    call_command("netweave_config", "import", _write(tmp_path, "plugins: {}\n"), "--prune", "--yes")
    assert not PluginInstance.objects.exists()
    assert not ResourcePool.objects.exists()
    deletes = ChangeLogEntry.objects.filter(action="delete")
    assert deletes.exists()
    assert set(deletes.values_list("source", flat=True)) == {"import"}
