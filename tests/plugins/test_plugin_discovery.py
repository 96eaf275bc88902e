"""Plugin types come from the netweave.plugins entry points; broken ones are reported, never fatal."""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from plugins import discovery
from plugins.sdk import IMSPlugin, Plugin


class NotAPlugin:
    pass


class WrongCategory(IMSPlugin):
    name = "wrongcat"
    version = "1"

    def capabilities(self) -> frozenset[Any]:
        return frozenset()

    def initialize(self, config: Any) -> None:
        pass

    def health(self) -> Any:
        raise NotImplementedError


class WrongName(WrongCategory):
    name = "other-name"


class Abstract(IMSPlugin):
    name = "abstract"
    version = "1"


def test_discovers_valid_types(fake_types: Any) -> None:
    types = discovery.plugin_types()
    assert types == {
        ("ims", "fake"): fake_types.ims,
        ("dms", "fakedms"): fake_types.dms,
        ("smo", "fakesmo"): fake_types.smo,
    }
    assert discovery.discovery_errors() == []
    assert discovery.get_plugin_class("ims", "fake") is fake_types.ims
    assert all(issubclass(cls, Plugin) for cls in types.values())


def test_broken_entry_points_are_reported_not_raised(
    use_entry_points: Any, fake_types: Any, caplog: pytest.LogCaptureFixture
) -> None:
    ep = fake_types.entry_point
    use_entry_points(
        [
            ep("ims.fake", fake_types.ims),
            EntryPoint(name="ims.missing", value="no_such_module_for_netweave:Plugin", group="netweave.plugins"),
            ep("ims.notaplugin", NotAPlugin),
            ep("dms.wrongcat", WrongCategory),
            ep("ims.wrongname", WrongName),
            ep("noseparator", WrongCategory),
            ep("widgets.thing", WrongCategory),
            ep("ims.abstract", Abstract),
            ep("ims.explodes", RuntimeError("import-time failure")),
            ep("ims.fake", type("OtherFake", (fake_types.ims,), {})),  # a second package claiming the same type
        ]
    )
    with caplog.at_level(logging.ERROR, logger="plugins.discovery"):
        types = discovery.plugin_types()
    assert types == {("ims", "fake"): fake_types.ims}
    errors = {e.entry_point: e.message for e in discovery.discovery_errors()}
    assert set(errors) == {
        "ims.missing",
        "ims.notaplugin",
        "dms.wrongcat",
        "ims.wrongname",
        "noseparator",
        "widgets.thing",
        "ims.abstract",
        "ims.explodes",
        "ims.fake",
    }
    assert "ModuleNotFoundError" in errors["ims.missing"]
    assert "not a subclass of plugins.sdk.Plugin" in errors["ims.notaplugin"]
    assert "category is 'ims'" in errors["dms.wrongcat"]
    assert "name is 'other-name'" in errors["ims.wrongname"]
    assert "<category>.<type>" in errors["noseparator"]
    assert "unknown category 'widgets'" in errors["widgets.thing"]
    assert "is abstract (does not implement: capabilities, health, initialize)" in errors["ims.abstract"]
    assert "import-time failure" in errors["ims.explodes"]
    assert "duplicate plugin type" in errors["ims.fake"]
    assert len([r for r in caplog.records if "Plugin entry point ignored" in r.getMessage()]) == 9


def test_unknown_type_lists_known_types(fake_types: Any) -> None:
    with pytest.raises(discovery.UnknownPluginType) as raised:
        discovery.get_plugin_class("ims", "openstack")
    assert str(raised.value) == "Unknown ims plugin type 'openstack'. Known ims types: fake."
    assert raised.value.known == ["fake"]
    with pytest.raises(discovery.UnknownPluginType, match="Known observability types: none"):
        discovery.get_plugin_class("observability", "prometheus")


def test_unknown_type_mentions_a_broken_entry_point(use_entry_points: Any, fake_types: Any) -> None:
    use_entry_points([fake_types.entry_point("ims.half", NotAPlugin)])
    with pytest.raises(discovery.UnknownPluginType, match="installed but broken: it loads"):
        discovery.get_plugin_class("ims", "half")


def test_results_are_cached_until_refresh(
    use_entry_points: Any, fake_types: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    entries = [fake_types.entry_point("ims.fake", fake_types.ims)]

    def counting() -> list[Any]:
        calls.append(1)
        return entries

    monkeypatch.setattr(discovery, "_entry_points", counting)
    discovery.refresh()
    discovery.plugin_types()
    discovery.plugin_types()
    discovery.discovery_errors()
    assert len(calls) == 1
    entries.append(fake_types.entry_point("dms.fakedms", fake_types.dms))
    assert ("dms", "fakedms") not in discovery.plugin_types()
    discovery.refresh()
    assert ("dms", "fakedms") in discovery.plugin_types()
    assert len(calls) == 2


def test_unreadable_entry_points_do_not_crash(monkeypatch: pytest.MonkeyPatch, use_entry_points: Any) -> None:
    def broken() -> list[Any]:
        raise OSError("corrupt site-packages")

    monkeypatch.setattr(discovery, "_entry_points", broken)
    discovery.refresh()
    assert discovery.plugin_types() == {}
    assert "cannot read entry points" in discovery.discovery_errors()[0].message


def test_real_installed_entry_points_never_raise() -> None:
    discovery.refresh()
    try:
        types = discovery.plugin_types()
        errors = discovery.discovery_errors()
        assert isinstance(types, dict)
        # Every declared entry point is either usable or reported.
        names = {f"{c}.{t}" for c, t in types} | {e.entry_point for e in errors}
        assert {ep.name for ep in discovery._entry_points()} <= names
    finally:
        discovery.refresh()
