"""`manage.py netweave_plugins list|show`."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command


def run(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    call_command("netweave_plugins", *args)
    return capsys.readouterr().out


def test_list_shows_types_and_discovery_errors(
    use_entry_points: Any, fake_types: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    use_entry_points([*fake_types_entries(fake_types), fake_types.entry_point("ims.broken", object())])
    out = run("list", capsys=capsys)
    lines = out.splitlines()
    assert lines[0].split() == ["CATEGORY", "TYPE", "VERSION", "PACKAGE", "CAPABILITIES"]
    assert lines[1].split() == ["dms", "fakedms", "0.2.0", "-", "deployment-lifecycle"]
    assert lines[2].split() == ["ims", "fake", "0.1.0", "-", "resource-type-discovery"]
    assert lines[3].split() == ["smo", "fakesmo", "0.3.0", "-", "-"]
    assert "1 plugin entry point(s) could not be loaded:" in out
    assert "ims.broken = tests:fake: it loads <object object" in out


def fake_types_entries(fake_types: Any) -> list[Any]:
    ep = fake_types.entry_point
    return [ep("ims.fake", fake_types.ims), ep("dms.fakedms", fake_types.dms), ep("smo.fakesmo", fake_types.smo)]


def test_show_prints_config_fields_without_a_sample(fake_types: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out = run("show", "fake", capsys=capsys)
    assert out.splitlines()[0] == "# ims.fake 0.1.0 (conftest.FakeIMSPlugin)"
    assert "  endpoint: URL, required" in out
    assert "  region: Char, default 'r1'" in out
    assert "  password: Char, required, credential: ${VAR} or {secretRef: name}" in out
    assert "  token: Char, optional, credential: ${VAR} or {secretRef: name}" in out
    assert run("show", "ims.fake", capsys=capsys) == out
    assert "This plugin type takes no config." in run("show", "fakedms", capsys=capsys)


def test_show_unknown_and_ambiguous(use_entry_points: Any, fake_types: Any) -> None:
    other = type("OtherFake", (fake_types.dms,), {"name": "fake"})
    use_entry_points([*fake_types_entries(fake_types), fake_types.entry_point("dms.fake", other)])
    with pytest.raises(
        CommandError, match=re.escape("Unknown plugin type 'nope'. Installed types: dms.fake, dms.fakedms")
    ):
        call_command("netweave_plugins", "show", "nope")
    with pytest.raises(
        CommandError,
        match=re.escape("'fake' matches 2 plugin types: dms.fake, ims.fake. Give it as <category>.<type>."),
    ):
        call_command("netweave_plugins", "show", "fake")


def test_show_mock_names_both_installed_mock_types() -> None:
    """The issue's own case, with the built-in entry points: `show mock` lists ims.mock and dms.mock."""
    with pytest.raises(
        CommandError,
        match=re.escape("'mock' matches 2 plugin types: dms.mock, ims.mock. Give it as <category>.<type>."),
    ):
        call_command("netweave_plugins", "show", "mock")
