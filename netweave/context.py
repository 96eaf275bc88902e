"""The ambient change context: who or what is changing the inventory right now.

Every change-log row records its context (sync, watch, api, admin), the user, the plugin instance and the
request id. Rather than threading these through every call, the entry points (middleware, API views, admin
actions, sync tasks) bind them here, and the change log reads them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class ChangeContext:
    source: str = "system"  # sync, watch, api, admin, import, system
    request_id: str = ""
    user_id: int | None = None
    plugin_instance_id: Any = None
    actor: str = ""  # who, when there is no user: "import by <os user>", "sync by <plugin instance>", a token's name


_current: contextvars.ContextVar[ChangeContext] = contextvars.ContextVar(
    "netweave_change_context",
    default=ChangeContext(),  # noqa: B039 - frozen, immutable
)


def current() -> ChangeContext:
    return _current.get()


@contextmanager
def bind(**changes: Any) -> Iterator[ChangeContext]:
    """Overlay the given fields on the current context for the duration of the block."""
    token = _current.set(replace(_current.get(), **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
