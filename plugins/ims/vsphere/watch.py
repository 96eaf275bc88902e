"""Change detection with vCenter's PropertyCollector: `WaitForUpdatesEx` with a version token, never a poll of the
whole tree.

The watch logs in with its own session, creates its own PropertyCollector with one filter (the container view and
properties of client.PROPERTIES), and asks for updates since the last version it was given. The first answer
(version "") is the whole inventory; later answers hold only the objects that entered, changed or left. Each batch
is applied to a snapshot of plain dicts, the O2 inventory is re-derived (mapping.derive) and the differences with
what was reported before are the events (plugins.sdk.events).

Failures, without an exception reaching the caller:
- the connection drops but the session lives (network blip, a proxy timeout): wait again with the same version,
  i.e. resume exactly where it stopped;
- the session is lost (vCenter restarted, session timed out or terminated): the collector and its version died with
  it, so log in again, make a new collector and take a full update: a full sync whose differences are reported;
- vCenter refuses the version (InvalidCollectorVersion): the same full update on a new collector.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import time
from collections.abc import Callable
from typing import Any

from pyVmomi import vim, vmodl

from plugins.ims.vsphere import client, mapping
from plugins.sdk.errors import AuthenticationFailed, PluginError
from plugins.sdk.events import State, differences, flatten
from plugins.sdk.ims import InventoryEvent

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 10.0


class SessionLost(Exception):
    """The collector and its version are gone: take a full update on a new one."""


def apply_update(snapshot: mapping.Snapshot, update: Any) -> None:
    """Apply one WaitForUpdatesEx UpdateSet (enter / modify / leave object updates) to the snapshot."""
    for filter_update in update.filterSet or ():
        for change in filter_update.objectSet or ():
            moid = change.obj._moId
            if change.kind == "leave":
                snapshot.pop(moid, None)
                continue
            entry = snapshot.setdefault(moid, {"type": client.type_name(change.obj), "props": {}})
            for prop in change.changeSet or ():
                if prop.op in ("remove", "indirectRemove"):
                    entry["props"].pop(prop.name, None)
                else:
                    entry["props"][prop.name] = client.plain(prop.val)


class PropertyWatch:
    """One watch over one vCenter (see the module docstring). `full_updates` counts full updates taken after the
    first one, `resumes` the waits resumed with a kept version after a transport error."""

    def __init__(
        self,
        connect: Callable[[], client.Connection],
        about: Callable[[client.Connection], mapping.About],
        *,
        wait_seconds: int = 1,
    ) -> None:
        self.connect = connect
        self.about = about
        self.wait_seconds = wait_seconds
        self.full_updates = 0
        self.resumes = 0
        self.connection: client.Connection | None = None

    def run(
        self,
        on_event: Callable[[InventoryEvent], None],
        stop: Callable[[], bool],
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.state: State | None = None
        backoff = 0.5
        self.connection = self.connect()
        try:
            while not stop():
                try:
                    self._session(on_event, stop, on_ready)
                    backoff = 0.5
                except AuthenticationFailed:
                    raise  # a wrong password does not heal by retrying: the InstanceWatcher backs off and says so
                except (SessionLost, PluginError, OSError, http.client.HTTPException) as exc:
                    if stop():
                        return
                    logger.info(
                        "vSphere watch of %s interrupted (%s); again in %.1fs", self.connection.host, exc, backoff
                    )
                    _sleep_until(stop, backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                    self.connection.forget_session()
        finally:
            self.connection.close()

    def _session(
        self, on_event: Callable[[InventoryEvent], None], stop: Callable[[], bool], on_ready: Callable[[], None] | None
    ) -> None:
        """Make a collector, take a full update, then follow versions until stopped or the session is lost."""
        assert self.connection is not None
        content = self.connection.call("starting the vSphere watch", lambda content: content)
        about = self.about(self.connection)
        with client.translated("creating the vSphere watch"):
            collector = content.propertyCollector.CreatePropertyCollector()
            view = client.container_view(content)
            collector.CreateFilter(client.filter_spec(content, view), partialUpdates=False)
        try:
            snapshot: mapping.Snapshot = {}
            version, _ = self._wait(collector, "", snapshot, stop, full=True)
            after = flatten(mapping.derive(snapshot, about))
            if self.state is None:
                self.state = after
                if on_ready is not None:
                    on_ready()  # every change after the full update's version is reported from here on
            else:
                self.full_updates += 1
                logger.info("vSphere watch of %s: full update on a new session", self.connection.host)
                self._emit(on_event, after)
            while not stop():
                version, changed = self._wait(collector, version, snapshot, stop, full=False)
                if changed:
                    self._emit(on_event, flatten(mapping.derive(snapshot, about)))
        finally:
            with contextlib.suppress(Exception):
                collector.DestroyPropertyCollector()
            with contextlib.suppress(Exception):
                view.Destroy()

    def _emit(self, on_event: Callable[[InventoryEvent], None], after: State) -> None:
        for event in differences(self.state or {}, after):
            on_event(event)
        self.state = after

    def _wait(
        self, collector: Any, version: str, snapshot: mapping.Snapshot, stop: Callable[[], bool], *, full: bool
    ) -> tuple[str, bool]:
        """Updates since `version` applied to the snapshot: the new version, and whether anything changed.
        A truncated answer is followed at once, so a batch is applied whole. A dropped connection on a live
        session is retried with the same version (resume)."""
        options = vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=0 if full else self.wait_seconds)
        while True:
            try:
                update = collector.WaitForUpdatesEx(version, options)
            except vim.fault.NotAuthenticated as exc:
                raise SessionLost("the vCenter session was lost") from exc
            except (vmodl.fault.ManagedObjectNotFound, vmodl.fault.InvalidArgument) as exc:
                raise SessionLost(f"the collector is gone ({client.type_name(exc)})") from exc
            except vmodl.query.InvalidCollectorVersion as exc:
                raise SessionLost("vCenter no longer knows the version") from exc
            except vmodl.fault.RequestCanceled:
                return version, False
            except (OSError, http.client.HTTPException) as exc:
                if stop():
                    return version, False
                self.resumes += 1
                logger.info("vSphere watch: %s while waiting; resuming from version %r", type(exc).__name__, version)
                _sleep_until(stop, 0.5)
                continue
            if update is None:
                return version, False
            apply_update(snapshot, update)
            version = update.version
            if not update.truncated:
                return version, True


def _sleep_until(stop: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop():
        time.sleep(0.05)
