"""Payload templates: Jinja2 in its sandbox, so an operator's template can read the values it is given and
nothing else (no attribute walking to Python internals, no file access)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment


@lru_cache(maxsize=1)
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
    env.filters["json"] = lambda value: json.dumps(value, sort_keys=True, default=str)
    return env


@lru_cache(maxsize=256)
def _compiled(source: str) -> Any:
    return environment().from_string(source)


def render(source: str, context: Mapping[str, Any]) -> str:
    return str(_compiled(source).render(**context))
