"""A deadline for a whole HTTP exchange, not only for each read.

A per-operation timeout bounds each connect, write and read separately, so a receiver that answers one byte
every few seconds keeps a request going for as long as it likes. Inside `bounded(seconds)`, every network
operation of the notification sender (inventory.notifications.sender) gets at most the time left until the
deadline, and fails with a timeout once it has passed: connect, TLS handshake, writing the request and reading
the answer together take at most `seconds`.

The deadline is per thread (a delivery attempt runs in one thread).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """Run the block with a deadline `seconds` from now for this thread's network operations (an enclosing,
    earlier deadline still applies)."""
    previous = getattr(_local, "deadline", None)
    deadline = time.monotonic() + seconds
    _local.deadline = deadline if previous is None else min(previous, deadline)
    try:
        yield
    finally:
        _local.deadline = previous


def remaining() -> float:
    """Seconds left before this thread's deadline, for the next network operation; TimeoutError once nothing is
    left. A network operation outside `bounded` is a programming error (it could wait forever)."""
    deadline = getattr(_local, "deadline", None)
    if deadline is None:
        raise RuntimeError("a notification request outside deadline.bounded")
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the whole exchange took longer than its deadline")
    return left
