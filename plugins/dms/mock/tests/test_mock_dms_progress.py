"""The simulated engine's progress: phases move with time, and two plugin objects on one state file (two
processes in production: web and worker) see the same engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.dms.mock.plugin import MockDMSPlugin
from plugins.dms.mock.store import MockDMSStore, PackageRow
from plugins.sdk.dms import DeploymentPackageUpload, DeploymentPhase, DeploymentRequest
from plugins.sdk.errors import Conflict, InvalidRequest, NotSupported
from plugins.testing.dms import minimal_chart_archive


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _package(store: MockDMSStore) -> str:
    row = PackageRow("c-1", "c", "1", "helm-chart", "", "", {}, "", "", 0)
    store.add_package(row, b"x")
    return row.native_id


def test_phases_settle_when_due(tmp_path: Path) -> None:
    clock = Clock()
    store = MockDMSStore(tmp_path / "s.sqlite3", progress_seconds=5, clock=clock)
    store.open()
    package = _package(store)
    store.install("ns/a", "a", "ns", package, {"replicaCount": 1})
    assert store.get_release("ns/a").phase == DeploymentPhase.PENDING_INSTALL
    clock.now += 4.9
    assert store.get_release("ns/a").phase == DeploymentPhase.PENDING_INSTALL
    clock.now += 0.2
    assert store.get_release("ns/a").phase == DeploymentPhase.DEPLOYED
    with pytest.raises(Conflict):
        store.install("ns/a", "a", "ns", package, {})
    store.upgrade("ns/a", None, {"replicaCount": 2}, description="Upgrade started")
    with pytest.raises(Conflict, match="busy"):
        store.upgrade("ns/a", None, {}, description="again")
    clock.now += 5
    assert [r.status for r in store.history("ns/a")] == [DeploymentPhase.SUPERSEDED, DeploymentPhase.DEPLOYED]
    store.uninstall("ns/a")
    assert store.get_release("ns/a").phase == DeploymentPhase.UNINSTALLING
    clock.now += 5
    assert store.list_releases() == []


def test_two_plugin_objects_share_one_engine(tmp_path: Path) -> None:
    config = {"stateFile": str(tmp_path / "shared.sqlite3"), "progressSeconds": 0}
    web, worker = MockDMSPlugin("shared"), MockDMSPlugin("shared")
    web.initialize(config)
    worker.initialize(config)
    package = web.upload_deployment_package(
        DeploymentPackageUpload(name="", version="", package_type="helm-chart", content=minimal_chart_archive("shared"))
    )
    created = worker.create_deployment(DeploymentRequest(name="nf", package_id=package.native_id))
    assert web.get_deployment(created.native_id).status == DeploymentPhase.DEPLOYED
    assert created.native_id == "default/nf"
    assert b"Install complete" in web.get_deployment_logs(created.native_id)


def test_bad_requests(tmp_path: Path) -> None:
    plugin = MockDMSPlugin("bad")
    plugin.initialize({"stateFile": str(tmp_path / "bad.sqlite3")})
    with pytest.raises(InvalidRequest, match=r"deploys .helm-chart. packages"):
        plugin.upload_deployment_package(DeploymentPackageUpload("x", "1", "osm-package", content=b"x"))
    with pytest.raises(NotSupported):
        plugin.upload_deployment_package(
            DeploymentPackageUpload("x", "1", "helm-chart", repository_url="https://charts.example.com")
        )
    package = plugin.upload_deployment_package(DeploymentPackageUpload("", "", "helm-chart", minimal_chart_archive()))
    with pytest.raises(InvalidRequest) as excinfo:
        plugin.check_deployment(DeploymentRequest("a", package.native_id, values={"replicaCount": "two"}))
    assert excinfo.value.field == "values.replicaCount"


def test_config_rejects_unknown_keys() -> None:
    plugin = MockDMSPlugin("cfg")
    with pytest.raises(InvalidRequest, match="progres"):
        plugin.initialize({"progres": 1})
