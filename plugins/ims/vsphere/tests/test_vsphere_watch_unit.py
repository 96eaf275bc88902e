"""The watch's reaction to failures while waiting, with a stand-in collector (the vcsim tests cover the rest)."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim, vmodl

from plugins.ims.vsphere.watch import PropertyWatch, SessionLost


class Collector:
    """Answers WaitForUpdatesEx from a script: an exception to raise or an update to return, call by call."""

    def __init__(self, *script: Any) -> None:
        self.script = list(script)
        self.versions: list[str] = []

    def WaitForUpdatesEx(self, version: str, options: Any) -> Any:
        self.versions.append(version)
        step = self.script.pop(0)
        if isinstance(step, BaseException):
            raise step
        return step


def watch() -> PropertyWatch:
    return PropertyWatch(lambda: None, lambda connection: None)  # type: ignore[arg-type, return-value]


def test_a_dropped_connection_resumes_with_the_same_version() -> None:
    collector = Collector(ConnectionResetError(104, "reset"), None)
    w = watch()
    assert w._wait(collector, "v7", {}, lambda: False, full=False) == ("v7", False)
    assert collector.versions == ["v7", "v7"]
    assert w.resumes == 1


@pytest.mark.parametrize(
    "fault", [vim.fault.NotAuthenticated(), vmodl.query.InvalidCollectorVersion(), vmodl.fault.ManagedObjectNotFound()]
)
def test_a_lost_session_or_version_asks_for_a_full_update(fault: Exception) -> None:
    with pytest.raises(SessionLost):
        watch()._wait(Collector(fault), "v7", {}, lambda: False, full=False)
