"""An informer: list, then watch each source from the list's resourceVersion, keeping a snapshot current.

One thread per source reads its watch stream and queues what it sees; the caller's thread applies the queue to
the snapshot, re-derives the O2 inventory and reports the objects that differ from what it reported before.
Because reports are differences between derived states, a relist (after 410 Gone, or every resync period) is
just another snapshot update: whatever changed while the watch was not looking is reported, nothing twice.

Failures: a stream that breaks (API server restart, network) reconnects from its last resourceVersion with a
capped backoff; if that version has been compacted away (410 Gone) it relists. The caller sees no exception
for either: during an outage nothing is reported, afterwards the differences are. `relists` counts relists.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from plugins.ims.kubernetes.client import Connection, ResourceExpired, Source
from plugins.ims.kubernetes.mapping import Memo, Snapshot, name_of
from plugins.sdk.errors import PluginError
from plugins.sdk.events import differences, flatten
from plugins.sdk.ims import Inventory, InventoryEvent

logger = logging.getLogger(__name__)

WATCH_TIMEOUT_SECONDS = 60
MAX_RECONNECT_BACKOFF = 5.0


def _interrupt(response: Any) -> None:
    """Make a stream thread's blocked read return: shut the socket down. (Closing the response from this thread
    would wait for the reader's buffer lock, i.e. for the next event or the end of the watch.)"""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


class Informer:
    """Keeps `snapshot` current for `sources` and reports derived O2 differences (see the module docstring)."""

    def __init__(
        self,
        connection: Connection,
        namespace: str,
        sources: Iterable[Source],
        derive: Callable[[Snapshot, Memo], Inventory],
        *,
        resync_seconds: float,
    ) -> None:
        self.connection = connection
        self.namespace = namespace
        self.sources = tuple(sources)
        self.derive = derive
        self.resync_seconds = resync_seconds
        self.relists = 0
        self.snapshot: Snapshot = {}
        self.memo = Memo()
        self._queue: queue.Queue[tuple[str, str, Any]] = queue.Queue()
        self._closing = threading.Event()
        self._responses: dict[str, Any] = {}

    # -- the caller's thread

    def list_all(self) -> dict[str, str]:
        versions = {}
        for source in self.sources:
            items, versions[source.key] = self.connection.list(source, self.namespace)
            self.snapshot[source.key] = {name_of(o): o for o in items}
        return versions

    def run(
        self,
        on_event: Callable[[InventoryEvent], None],
        stop: Callable[[], bool],
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        """List, start the watches from the list's resourceVersions, call `on_ready`, then report changes."""
        versions = self.list_all()
        state = flatten(self.derive(self.snapshot, self.memo))
        threads = [
            threading.Thread(target=self._stream, args=(s, versions[s.key]), name=f"k8s-watch-{s.key}", daemon=True)
            for s in self.sources
        ]
        for thread in threads:
            thread.start()
        if on_ready is not None:
            on_ready()  # every change after the list's resourceVersions reaches the queue from here on
        next_resync = time.monotonic() + self.resync_seconds
        try:
            while not stop():
                changed = self._apply_queued(timeout=0.1)
                if time.monotonic() >= next_resync:
                    next_resync = time.monotonic() + self.resync_seconds
                    changed |= self._resync()
                if not changed:
                    continue
                after = flatten(self.derive(self.snapshot, self.memo))
                for event in differences(state, after):
                    on_event(event)
                state = after
        finally:
            self._closing.set()
            for response in list(self._responses.values()):
                _interrupt(response)

    def _apply_queued(self, timeout: float) -> bool:
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return False
        while True:
            what, key, payload = item
            if what == "replace":
                self.snapshot[key] = {name_of(o): o for o in payload}
            else:
                name = name_of(payload)
                if what == "DELETED":
                    self.snapshot.setdefault(key, {}).pop(name, None)
                else:
                    self.snapshot.setdefault(key, {})[name] = payload
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return True

    def _resync(self) -> bool:
        try:
            for source in self.sources:
                items, _ = self.connection.list(source, self.namespace)
                self._queue.put(("replace", source.key, items))
        except PluginError as exc:
            logger.info("resync of the Kubernetes snapshot skipped: %s", exc.detail)
            return False
        return self._apply_queued(timeout=0)

    # -- one thread per source

    def _stream(self, source: Source, version: str) -> None:
        backoff = 0.5
        while not self._closing.is_set():
            try:
                version = self._watch_once(source, version)
                backoff = 0.5
            except ResourceExpired:
                version = self._relist(source) or version
            except PluginError as exc:
                if self._closing.is_set():
                    return
                logger.info("watch of %s interrupted (%s); reconnecting in %.1fs", source.plural, exc.detail, backoff)
                self._closing.wait(backoff)
                backoff = min(backoff * 2, MAX_RECONNECT_BACKOFF)
            except Exception as exc:  # a broken stream surfaces as urllib3/http.client errors of many kinds
                if self._closing.is_set():
                    return
                logger.info("watch of %s broke (%s); reconnecting in %.1fs", source.plural, type(exc).__name__, backoff)
                self._closing.wait(backoff)
                backoff = min(backoff * 2, MAX_RECONNECT_BACKOFF)

    def _watch_once(self, source: Source, version: str) -> str:
        """Consume one watch request until the server ends it; return the last resourceVersion seen."""
        response, events = self.connection.watch(source, self.namespace, version, WATCH_TIMEOUT_SECONDS)
        self._responses[source.key] = response
        try:
            for event in events:
                kind = event.get("type")
                obj = event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise ResourceExpired(f"watching {source.plural}: {obj.get('message', 'expired')}")
                    raise PluginError(f"watching {source.plural}: {obj.get('code')} {obj.get('reason', '')}")
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    self._queue.put((str(kind), source.key, obj))
                if self._closing.is_set():
                    break
        finally:
            self._responses.pop(source.key, None)
            with contextlib.suppress(Exception):
                response.close()
        return version

    def _relist(self, source: Source) -> str | None:
        try:
            items, version = self.connection.list(source, self.namespace)
        except PluginError as exc:
            logger.info("relist of %s failed (%s); retrying", source.plural, exc.detail)
            self._closing.wait(1.0)
            return None
        self.relists += 1
        logger.info("watch of %s expired (410 Gone): relisted %d objects", source.plural, len(items))
        self._queue.put(("replace", source.key, items))
        return version
