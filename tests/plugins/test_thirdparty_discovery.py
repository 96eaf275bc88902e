"""A third-party package, installed with pip, is discovered through its entry point and works end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from plugins import discovery, registry
from plugins.models import PluginInstance, Secret
from plugins.sdk import IMSPlugin, NotFound, NotSupported
from plugins.sdk.ims import ResourcePool

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "thirdparty_plugin"
PACKAGE = "netweave_acme_static"


@pytest.fixture
def installed_thirdparty(tmp_path: Path) -> Iterator[Path]:
    target = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(FIXTURE),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(target))
    discovery.refresh()
    try:
        yield target
    finally:
        registry.forget_all()
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
        discovery.refresh()


@pytest.mark.django_db
def test_thirdparty_plugin_is_discovered_and_serves_inventory(
    installed_thirdparty: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cls = discovery.plugin_types()[("ims", "acme-static")]
    assert issubclass(cls, IMSPlugin)
    assert cls.__module__ == f"{PACKAGE}.plugin"
    assert str(installed_thirdparty) in sys.modules[cls.__module__].__file__  # type: ignore[operator]
    assert discovery.distribution_of("ims", "acme-static") == "netweave-acme-static 1.0.0"
    assert not [e for e in discovery.discovery_errors() if e.entry_point == "ims.acme-static"]

    Secret.objects.create(name="acme-lab-apitoken", provider=Secret.Provider.ENV, reference="ACME_API_TOKEN")
    monkeypatch.setenv("ACME_API_TOKEN", "acme-token-value")
    instance = PluginInstance.objects.create(
        name="acme-lab",
        category="ims",
        plugin_type="acme-static",
        config={"site": "lab1", "apiToken": {"secretRef": "acme-lab-apitoken"}},
    )
    plugin = registry.get_plugin(instance)
    assert isinstance(plugin, cls)

    status = registry.check_health(instance)
    assert (status.healthy, status.message) == (True, "static inventory for site lab1")
    assert status.details == {"credential": "present"}
    assert PluginInstance.objects.get(pk=instance.pk).health_ok is True

    assert isinstance(plugin, IMSPlugin)
    inventory = plugin.collect_inventory()
    assert [p.native_id for p in inventory.resource_pools or []] == ["lab1-pool"]
    assert [r.native_id for r in inventory.resources or []] == ["lab1-server-1", "lab1-server-2", "lab1-tor-1"]
    assert {t.native_id for t in inventory.resource_types or []} == {"acme-r650", "acme-switch"}
    assert [d.native_id for d in inventory.deployment_managers or []] == ["lab1-k8s"]
    assert plugin.get_resource("lab1-tor-1").resource_type_id == "acme-switch"
    with pytest.raises(NotFound):
        plugin.get_resource("nope")
    with pytest.raises(NotSupported):
        plugin.create_resource_pool(ResourcePool(native_id="x", name="x"))
    with pytest.raises(NotSupported):
        plugin.delete_resource("lab1-server-1")

    call_command("netweave_plugins", "show", "acme-static")
    out = capsys.readouterr().out
    assert "# ims.acme-static 1.0.0" in out
    assert "apiToken: ${ACME_API_TOKEN}" in out  # the package's sample.yaml


def test_uninstalled_thirdparty_type_is_unknown() -> None:
    discovery.refresh()
    assert ("ims", "acme-static") not in discovery.plugin_types()
