"""vcsim for the vSphere IMS plugin's tests: one simulator per pytest session for each model (the default VPX model
and a larger one), on free loopback ports. Every test here is marked `backend` and `vsphere`. If vcsim cannot be
built or started, the session fails loudly under CI=true (with its last log lines); elsewhere the tests are skipped
with the reason.

Tests change the simulator (pools, VMs, power states); each undoes what it made, so the contract kit sees a
quiescent backend.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from tests.vsphere.harness import Vcsim, VcsimUnavailable, start_vcsim

LARGE_MODEL = {"dc": 2, "cluster": 2, "host": 3, "pool": 2, "vm": 4}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.backend)
            item.add_marker(pytest.mark.vsphere)


def _started(**flags: int) -> Iterator[Vcsim]:
    try:
        sim = start_vcsim(**flags)
    except VcsimUnavailable as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"vcsim is required under CI=true and did not start: {exc}", pytrace=False)
        pytest.skip(f"vcsim is not available: {exc}")
    try:
        yield sim
    finally:
        sim.stop()
        sim.log_path.unlink(missing_ok=True)  # kept only when vcsim failed to start (its tail is in the message)


@pytest.fixture(scope="session")
def vcsim() -> Iterator[Vcsim]:
    """vcsim's default VPX model: one datacenter, a cluster of 3 hosts, a standalone host, 4 VMs."""
    yield from _started()


@pytest.fixture(scope="session")
def vcsim_large() -> Iterator[Vcsim]:
    """A larger model: 2 datacenters x 2 clusters x 3 hosts, 2 resource pools per cluster, 4 VMs per pool."""
    yield from _started(**LARGE_MODEL)


@pytest.fixture
def outage_vcsim() -> Iterator[Vcsim]:
    """A vcsim of its own for a test that stops and restarts it."""
    yield from _started()


class Admin:
    """A pyvmomi session of the test's own, for arranging the simulator directly (not through netweave)."""

    def __init__(self, sim: Vcsim) -> None:
        self.si = SmartConnect(
            host="127.0.0.1",
            port=sim.port,
            user=sim.username,
            pwd=sim.password,
            sslContext=ssl.create_default_context(cafile=sim.ca_file),
        )
        self.content = self.si.RetrieveContent()

    def all(self, kind: type) -> list[Any]:
        view = self.content.viewManager.CreateContainerView(self.content.rootFolder, [kind], True)
        try:
            return list(view.view)
        finally:
            view.Destroy()

    def vm(self, name: str) -> Any:
        return next(v for v in self.all(vim.VirtualMachine) if v.name == name)

    def create_vm(self, name: str, *, cpus: int = 1, memory_mib: int = 64) -> Any:
        """A powered-off VM in the first cluster's root pool, made directly in vCenter."""
        datacenter = self.all(vim.Datacenter)[0]
        cluster = self.all(vim.ClusterComputeResource)[0]
        files = vim.vm.FileInfo(vmPathName=f"[{cluster.datastore[0].name}]")
        spec = vim.vm.ConfigSpec(name=name, numCPUs=cpus, memoryMB=memory_mib, guestId="otherGuest64", files=files)
        return self.wait(datacenter.vmFolder.CreateVM_Task(config=spec, pool=cluster.resourcePool))

    def wait(self, task: Any) -> Any:
        from plugins.ims.vsphere.client import wait_for_task

        return wait_for_task(task, "a test's vCenter task", 60)

    def terminate_other_sessions(self) -> int:
        manager = self.content.sessionManager
        mine = manager.currentSession.key
        others = [s.key for s in manager.sessionList if s.key != mine]
        if others:
            manager.TerminateSession(others)
        return len(others)

    def close(self) -> None:
        Disconnect(self.si)


@pytest.fixture
def vc(vcsim: Vcsim) -> Iterator[Admin]:
    admin = Admin(vcsim)
    yield admin
    admin.close()


@pytest.fixture
def forget_plugin_objects() -> Iterator[None]:
    """Drop the plugin objects the registry cached for this test's instances, whose rows are rolled back."""
    yield
    from plugins import registry

    registry.forget_all()


@pytest.fixture
def make_vsphere_instance(db: None) -> Callable[..., Any]:
    """Save a `vsphere` PluginInstance whose password is an encrypted Secret, as an operator would."""
    from plugins.models import PluginInstance, Secret
    from plugins.secrets import secret_ref, set_secret_value

    def make(sim: Vcsim, name: str = "vsphere-ims", *, default: bool = True, **config: Any) -> Any:
        settings = sim.plugin_config(**config)
        secret = set_secret_value(Secret(name=f"{name}-password"), str(settings.pop("password")))
        return PluginInstance.objects.create(
            name=name,
            category="ims",
            plugin_type="vsphere",
            is_default=default,
            sync_interval=0,
            config={**settings, "password": secret_ref(secret.name)},
        )

    return make
