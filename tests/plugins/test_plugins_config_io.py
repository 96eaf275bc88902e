"""plugins.yaml import/export: validation of everything first, one transaction, idempotence, round trips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from plugins import config_io, secrets
from plugins.config_io import ConfigImportError, dump_config, export_config, import_config, load_yaml
from plugins.models import PluginInstance, RoutingRule, Secret

pytestmark = pytest.mark.django_db

CONFIG = """
plugins:
  ims:
    - name: kubernetes
      type: fake
      enabled: true
      default: true
      config:
        endpoint: https://k8s.example.com
        password: ${K8S_PASSWORD}
    - name: openstack-nfv
      type: fake
      enabled: true
      syncInterval: 300
      config:
        endpoint: ${OS_URL:-https://openstack.example.com:5000/v3}
        region: ${OS_REGION}
        password: literal-Pa55
        token: {secretRef: shared-token}
  dms:
    - name: helm-deployer
      type: fakedms
      enabled: true
      default: true
    - name: argocd-gitops
      type: fakedms
      enabled: false
  smo:
    - name: onap-integration
      type: fakesmo
      enabled: true
routing:
  ims:
    rules:
      - name: openstack-nfv-resources
        priority: 100
        plugin: openstack-nfv
        resourceType: "*"
        conditions:
          labels:
            infrastructure.type: openstack
      - name: default-kubernetes
        priority: 1
        plugin: kubernetes
        resourceType: "*"
  dms:
    rules:
      - name: gitops-argocd
        priority: 100
        plugin: argocd-gitops
        packageType: git-repo
        conditions:
          gitOps: true
  smo:
    default: onap-integration
"""

ENV = {"K8S_PASSWORD": "k8s-pw", "OS_REGION": "regionOne"}


@pytest.fixture
def shared_token(fake_types: Any) -> Secret:
    return secrets.set_secret_value(Secret(name="shared-token"), "tok")


def do_import(text: str = CONFIG, env: dict[str, str] | None = None, **kw: Any) -> config_io.ImportReport:
    return import_config(load_yaml(text), environ=ENV if env is None else env, **kw)


def snapshot() -> Any:
    instances = list(
        PluginInstance.objects.values_list(
            "name", "category", "plugin_type", "enabled", "is_default", "config", "sync_interval", "updated"
        )
    )
    rules = list(
        RoutingRule.objects.values_list(
            "category", "name", "priority", "plugin_instance__name", "match_type", "mode", "conditions", "enabled"
        )
    )
    stored = list(Secret.objects.values_list("name", "provider", "reference", "ciphertext"))
    return instances, rules, stored


@pytest.mark.usefixtures("shared_token")
def test_import_creates_everything() -> None:
    report = do_import()
    assert (report.plugins.created, report.rules.created, report.secrets.created) == (5, 3, 2)
    k8s = PluginInstance.objects.get(name="kubernetes")
    assert (k8s.is_default, k8s.category, k8s.plugin_type) == (True, "ims", "fake")
    assert k8s.config == {"endpoint": "https://k8s.example.com", "password": {"secretRef": "kubernetes-password"}}
    env_secret = Secret.objects.get(name="kubernetes-password")
    assert (env_secret.provider, env_secret.reference, env_secret.ciphertext) == ("env", "K8S_PASSWORD", "")
    openstack = PluginInstance.objects.get(name="openstack-nfv")
    assert openstack.sync_interval == 300
    assert openstack.config == {
        "endpoint": "https://openstack.example.com:5000/v3",
        "region": "regionOne",
        "password": {"secretRef": "openstack-nfv-password"},
        "token": {"secretRef": "shared-token"},
    }
    assert set(openstack.secrets.values_list("name", flat=True)) == {"openstack-nfv-password", "shared-token"}
    encrypted = Secret.objects.get(name="openstack-nfv-password")
    assert encrypted.provider == "encrypted"
    assert secrets.resolve(encrypted) == "literal-Pa55"
    # No credential value anywhere in the database rows.
    assert "literal-Pa55" not in json.dumps(snapshot(), default=str)
    assert "k8s-pw" not in json.dumps(snapshot(), default=str)
    assert PluginInstance.objects.get(name="onap-integration").is_default
    rule = RoutingRule.objects.get(name="gitops-argocd")
    assert (rule.category, rule.match_type, rule.conditions, rule.plugin_instance.name) == (
        "dms",
        "git-repo",
        {"gitOps": True},
        "argocd-gitops",
    )
    assert RoutingRule.objects.get(name="openstack-nfv-resources").conditions == {
        "labels": {"infrastructure.type": "openstack"}
    }


@pytest.mark.usefixtures("shared_token")
def test_second_import_changes_nothing() -> None:
    do_import()
    before = snapshot()
    report = do_import()
    assert not report.changed
    assert (report.plugins.unchanged, report.rules.unchanged, report.secrets.unchanged) == (5, 3, 2)
    assert "No changes." in report.summary()
    assert snapshot() == before  # not even `updated` timestamps or ciphertexts moved


@pytest.mark.usefixtures("shared_token")
def test_export_then_import_round_trips() -> None:
    do_import()
    before = snapshot()
    text = dump_config(export_config())
    assert "literal-Pa55" not in text
    assert "k8s-pw" not in text
    document = yaml.safe_load(text)
    k8s, openstack = document["plugins"]["ims"]
    assert k8s == {
        "name": "kubernetes",
        "type": "fake",
        "enabled": True,
        "default": True,
        "config": {"endpoint": "https://k8s.example.com", "password": "${K8S_PASSWORD}"},
    }
    assert openstack["syncInterval"] == 300
    assert openstack["config"]["password"] == {"secretRef": "openstack-nfv-password"}
    assert openstack["config"]["token"] == {"secretRef": "shared-token"}
    assert document["routing"]["smo"] == {"default": "onap-integration"}
    assert document["routing"]["dms"]["rules"] == [
        {
            "name": "gitops-argocd",
            "priority": 100,
            "plugin": "argocd-gitops",
            "packageType": "git-repo",
            "conditions": {"gitOps": True},
        }
    ]
    report = do_import(text)
    assert not report.changed, report.summary()
    assert snapshot() == before
    assert dump_config(export_config()) == text


def test_every_problem_is_listed_and_nothing_changes(fake_types: Any) -> None:
    PluginInstance.objects.create(name="existing", category="ims", plugin_type="fake")
    before = snapshot()
    bad = """
plugins:
  ims:
    - name: kubernetes
      type: fake
      default: true
      config: {endpoint: https://k8s.example.com, password: x}
    - name: openstack-nfv
      type: fake
      default: true
      config:
        password: ${OS_PW:-fallback}
        region: ${UNSET_REGION}
        colour: blue
        token: {secretRef: nope}
    - name: kubernetes
      type: openstack
    - name: Bad_Name
      type: fake
      enabled: "yes"
  dms:
    - {name: helm, type: fakedms, syncInterval: -5}
  gadgets:
    - {name: g, type: x}
routing:
  ims:
    rules:
      - {name: r1, plugin: ghost, resourceType: "*"}
      - {name: r2, plugin: helm, priority: high, conditions: {labels: [a]}}
  dms:
    rules:
      - {name: d1, plugin: helm, resourceType: helm-chart}
  smo:
    default: onap
"""
    with pytest.raises(ConfigImportError) as raised:
        do_import(bad, env={})
    problems = raised.value.problems
    expected = [
        "plugins.ims[1] (openstack-nfv): config.endpoint: This field is required.",
        "plugins.ims[1] (openstack-nfv): config.colour: Unknown key for plugin type ims.fake. Known keys: endpoint, "
        "region, retries, password, token.",
        "plugins.ims[1] (openstack-nfv): config.region: environment variable UNSET_REGION is not set",
        "plugins.ims[1] (openstack-nfv): config.password: a credential must be exactly ${VAR} (read from the "
        "environment when the plugin starts) or a literal value; defaults and partial substitutions are not allowed.",
        "plugins.ims[1] (openstack-nfv): config.token: Secret 'nope' does not exist.",
        "plugins.ims[2] (kubernetes): name: duplicate plugin instance name 'kubernetes' (also plugins.ims[0] "
        "(kubernetes)).",
        "plugins.ims[2] (kubernetes): type: Unknown ims plugin type 'openstack'. Known ims types: fake.",
        "plugins.ims[3] (Bad_Name): enabled: must be true or false.",
        "plugins.dms[0] (helm): syncInterval: must be a whole number of seconds, 0 or more.",
        "plugins.gadgets: unknown category (expected one of ims, dms, smo, observability).",
        "routing.ims.rules[0] (r1): plugin: unknown plugin instance 'ghost' (neither in this file nor configured).",
        "routing.ims.rules[1] (r2): priority: must be a whole number.",
        "routing.ims.rules[1] (r2): plugin: 'helm' is a dms plugin instance, not ims.",
        "routing.ims.rules[1] (r2): conditions.labels: must map label names to values.",
        "routing.dms.rules[0] (d1): resourceType: unknown key (expected name, priority, plugin, conditions, enabled, "
        "packageType).",
        "routing.smo.default: 'onap' is not an SMO plugin instance in this file.",
        "plugins.ims: more than one default instance: kubernetes (plugins.ims[0] (kubernetes)), openstack-nfv "
        "(plugins.ims[1] (openstack-nfv)).",
    ]
    for line in expected:
        assert line in problems, f"missing: {line}\nproblems:\n" + "\n".join(problems)
    assert any(p.startswith("plugins.ims[3] (Bad_Name): name: Use lowercase letters") for p in problems)
    assert "fallback" not in "\n".join(problems)
    assert snapshot() == before


def test_command_reports_problems_as_command_error(fake_types: Any, tmp_path: Path) -> None:
    path = tmp_path / "plugins.yaml"
    path.write_text("plugins:\n  ims:\n    - name: openstack-nfv\n      type: fake\n      config: {password: x}\n")
    with pytest.raises(CommandError) as raised:
        call_command("netweave_config", "import", str(path))
    message = str(raised.value)
    assert "nothing was imported" in message
    assert "plugins.ims[0] (openstack-nfv): config.endpoint: This field is required." in message
    assert not PluginInstance.objects.exists()
    path.write_text("plugins: [unclosed\n")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("netweave_config", "import", str(path))


@pytest.mark.usefixtures("shared_token")
def test_command_import_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    source = tmp_path / "in.yaml"
    source.write_text(CONFIG)
    call_command("netweave_config", "import", str(source))
    out = capsys.readouterr().out
    assert "plugin instances: 5 created, 0 updated, 0 unchanged, 0 removed" in out
    call_command("netweave_config", "import", str(source))
    assert "No changes." in capsys.readouterr().out
    call_command("netweave_config", "export", "-")
    exported = capsys.readouterr().out
    assert exported.startswith("# netweave plugin configuration")
    target = tmp_path / "out.yaml"
    call_command("netweave_config", "export", str(target))
    assert target.read_text() == exported
    call_command("netweave_config", "import", str(target))
    assert "No changes." in capsys.readouterr().out


@pytest.mark.usefixtures("shared_token")
def test_import_merges_and_only_prune_removes() -> None:
    do_import()
    smaller = CONFIG.replace(
        """    - name: argocd-gitops
      type: fakedms
      enabled: false
""",
        "",
    ).replace(
        """      - name: gitops-argocd
        priority: 100
        plugin: argocd-gitops
        packageType: git-repo
        conditions:
          gitOps: true
""",
        "",
    )
    kept = do_import(smaller)
    assert (kept.plugins.removed, kept.rules.removed) == (0, 0)
    assert kept.kept == ["plugin instance argocd-gitops", "routing rule dms:gitops-argocd"]
    assert "kept (not in the file; --prune removes them)" in kept.plan()
    assert PluginInstance.objects.filter(name="argocd-gitops").exists()
    preview = do_import(smaller, prune=True, dry_run=True)
    assert [str(a) for a in preview.removals] == [
        "remove routing rule dms:gitops-argocd",
        "remove plugin instance argocd-gitops (its inventory is retired first)",
    ]
    assert PluginInstance.objects.filter(name="argocd-gitops").exists()
    report = do_import(smaller, prune=True, confirmed_removals=preview.removals)
    assert (report.plugins.removed, report.rules.removed, report.plugins.unchanged) == (1, 1, 4)
    assert not PluginInstance.objects.filter(name="argocd-gitops").exists()
    assert not RoutingRule.objects.filter(name="gitops-argocd").exists()


@pytest.mark.usefixtures("shared_token")
def test_removing_an_instance_drops_its_managed_secrets_only() -> None:
    do_import()
    without_openstack = yaml.safe_load(CONFIG)
    del without_openstack["plugins"]["ims"][1]
    del without_openstack["routing"]["ims"]["rules"][0]
    merged = import_config(without_openstack, environ=ENV)
    assert (merged.plugins.removed, merged.secrets.removed) == (0, 0)
    report = import_config(without_openstack, environ=ENV, prune=True)
    assert report.plugins.removed == 1
    assert report.secrets.removed == 1
    assert set(Secret.objects.values_list("name", flat=True)) == {"kubernetes-password", "shared-token"}


@pytest.mark.usefixtures("shared_token")
def test_changes_are_counted_as_updates() -> None:
    do_import()
    changed = CONFIG.replace("literal-Pa55", "new-Pa55").replace(
        "priority: 100\n        plugin: openstack-nfv", "priority: 90\n        plugin: openstack-nfv"
    )
    report = do_import(changed, env={**ENV, "OS_REGION": "regionTwo"})
    assert (report.plugins.updated, report.rules.updated, report.secrets.updated) == (1, 1, 1)
    assert PluginInstance.objects.get(name="openstack-nfv").config["region"] == "regionTwo"
    assert secrets.resolve(Secret.objects.get(name="openstack-nfv-password")) == "new-Pa55"


@pytest.mark.usefixtures("shared_token")
def test_dry_run_saves_nothing() -> None:
    report = do_import(dry_run=True)
    assert report.plugins.created == 5
    assert "Dry run" in report.summary()
    assert not PluginInstance.objects.exists()
    assert not Secret.objects.exclude(name="shared-token").exists()


@pytest.mark.usefixtures("shared_token")
def test_moving_the_default_within_a_category() -> None:
    do_import()
    moved = CONFIG.replace(
        "    - name: kubernetes\n      type: fake\n      enabled: true\n      default: true\n",
        "    - name: kubernetes\n      type: fake\n      enabled: true\n",
    ).replace("      syncInterval: 300\n", "      syncInterval: 300\n      default: true\n")
    report = do_import(moved)
    assert report.plugins.updated == 2
    assert list(PluginInstance.objects.filter(category="ims", is_default=True).values_list("name", flat=True)) == [
        "openstack-nfv"
    ]


def test_env_secret_warns_when_variable_is_unset(fake_types: Any) -> None:
    text = """
plugins:
  ims:
    - {name: k, type: fake, config: {endpoint: https://k.example.com, password: '${NOPE}'}}
"""
    report = do_import(text, env={})
    assert report.warnings == [
        "plugins.ims[0] (k): config.password: environment variable NOPE is not set here (read at initialize)."
    ]
    assert Secret.objects.get(name="k-password").reference == "NOPE"


def test_dollar_escapes_survive_a_round_trip(fake_types: Any) -> None:
    text = """
plugins:
  ims:
    - {name: k, type: fake, config: {endpoint: https://k.example.com, region: 'a$${X}b', password: '${PW}'}}
"""
    do_import(text, env={})
    assert PluginInstance.objects.get(name="k").config["region"] == "a${X}b"
    exported = dump_config(export_config())
    assert "a$${X}b" in exported
    assert not do_import(exported, env={}).changed


def test_instances_owning_inventory_are_not_silently_dropped(fake_types: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    PluginInstance.objects.create(name="owner", category="ims", plugin_type="fake")

    def protected(instance: PluginInstance) -> None:
        raise ProtectedError("owns inventory", set())

    monkeypatch.setattr(config_io, "retire_instance", protected)
    with pytest.raises(ConfigImportError, match="cannot remove plugin instance 'owner': it still owns inventory"):
        do_import("plugins:\n  dms:\n    - {name: helm, type: fakedms}\n", prune=True)
    assert PluginInstance.objects.filter(name="owner").exists()
    assert not PluginInstance.objects.filter(name="helm").exists()


def test_empty_and_non_mapping_documents(fake_types: Any) -> None:
    assert not do_import("").changed
    with pytest.raises(ConfigImportError, match="must be a mapping with plugins and routing"):
        do_import("- a\n- b\n")
    with pytest.raises(ConfigImportError, match="colours: unknown top-level key"):
        do_import("colours: {}\n")


def test_the_file_shape_is_checked_by_serializers_strictly_and_nulls_read_as_empty(fake_types: Any) -> None:
    """plugins.config_document: YAML types are not coerced, and `key:` with nothing after it is empty."""
    bad = """
plugins:
  ims:
    - {name: 42, type: fake, enabled: "yes", syncInterval: "60", config: [a]}
routing:
  ims:
    rules:
      - {name: r1, plugin: "", priority: "5", resourceType: 7, conditions: {gitOps: [true]}}
  smo: {rules: [{name: s1, plugin: x, mode: sideways}], default: ""}
"""
    with pytest.raises(ConfigImportError) as raised:
        do_import(bad, env={})
    assert sorted(raised.value.problems) == sorted(
        [
            "plugins.ims[0]: name: must be a non-empty string",
            "plugins.ims[0]: enabled: must be true or false.",
            "plugins.ims[0]: syncInterval: must be a whole number of seconds, 0 or more.",
            "plugins.ims[0]: config: must be a mapping of keys to values.",
            "routing.ims.rules[0] (r1): priority: must be a whole number.",
            "routing.ims.rules[0] (r1): plugin: must name a plugin instance.",
            "routing.ims.rules[0] (r1): conditions.gitOps: a flag condition must be a single value (e.g. true).",
            'routing.ims.rules[0] (r1): resourceType: must be a type name or "*" for any.',
            "routing.smo.default: must name an SMO plugin instance.",
            "routing.smo.rules[0] (s1): plugin: unknown plugin instance 'x' (neither in this file nor configured).",
            "routing.smo.rules[0] (s1): mode: must be one of northbound, dms-backend.",
        ]
    )
    with pytest.raises(ConfigImportError) as raised:
        do_import("plugins: [a]\nrouting: 5\n", env={})
    assert raised.value.problems == [
        "plugins: must be a mapping of category to a list of plugin instances.",
        "routing: must be a mapping with ims, dms and smo.",
    ]
    fine = """
plugins:
  ims:
    - {name: fine, type: fake, config: {endpoint: https://k8s.example.com, password: pw}, syncInterval: 0}
  dms:
routing:
  ims:
    rules:
      - {name: r1, plugin: fine, conditions:}
  dms: {rules:}
"""
    do_import(fine, env={})
    assert RoutingRule.objects.get(name="r1").conditions == {}
    assert PluginInstance.objects.get(name="fine").sync_interval == 0
