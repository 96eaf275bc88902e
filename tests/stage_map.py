"""A pytest plugin for scripts/stages.py: `pytest --collect-only -p tests.stage_map -m EXPR` writes, for each
file holding selected tests, the distinct marker sets of those tests to the JSON file named by NETWEAVE_STAGE_MAP
(after tests/conftest.py has added the stage markers). The backend and browser sessions then collect only the
files that hold their tests instead of the whole suite each (docs/testing.md, "Parallelism")."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    target = os.environ.get("NETWEAVE_STAGE_MAP")
    if not target:
        return
    files: dict[str, set[tuple[str, ...]]] = {}
    for item in session.items:
        path = item.nodeid.split("::", 1)[0]
        files.setdefault(path, set()).add(tuple(sorted({mark.name for mark in item.iter_markers()})))
    Path(target).write_text(json.dumps({path: sorted(sets) for path, sets in sorted(files.items())}, indent=1))
