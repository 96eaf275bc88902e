"""The plugin framework (sdk, registry, routing, discovery, config import, secrets, lifecycle) never imports the
apps that build on it, not even inside a function: they subscribe to its lifecycle signals instead."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"
FRAMEWORK = [
    *sorted((PLUGINS / "sdk").glob("*.py")),
    *(PLUGINS / name for name in ("registry.py", "routing.py", "discovery.py", "config_io.py", "secrets.py")),
    PLUGINS / "lifecycle.py",
]
APPS = ("inventory", "deployments", "smo")


@pytest.mark.parametrize("module", FRAMEWORK, ids=lambda p: str(p.relative_to(PLUGINS)))
def test_no_import_of_the_apps(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.append(node.module)
    offending = [name for name in imported if name.split(".")[0] in APPS]
    assert not offending, f"{module.name} imports {offending}"
