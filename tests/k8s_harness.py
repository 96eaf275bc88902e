"""A real Kubernetes API server for tests: the `kube_cluster` fixture (a pytest plugin, see tests/k8s/README.md).

Registered for the whole suite through `pytest_plugins` in tests/conftest.py, so any test folder can ask for
`kube_cluster` and they all share one kube-apiserver + etcd per pytest session. The server is built and started
by scripts/kube-harness.sh (binaries cached outside the repo); the machine API CRDs of github.com/openshift/api
(MachineSet, Machine) and the MachineConfig/MachineConfigPool CRDs are applied before the fixture is handed
out. If anything fails the fixture fails the test loudly (never a skip): the backend is part of the suite.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
HARNESS = REPO / "scripts" / "kube-harness.sh"
CRD_MANIFESTS = (
    "machine/v1beta1/zz_generated.crd-manifests/0000_10_machine-api_01_machinesets-Default.crd.yaml",
    "machine/v1beta1/zz_generated.crd-manifests/0000_10_machine-api_01_machines-Default.crd.yaml",
    "machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigs.crd.yaml",
    "machineconfiguration/v1/zz_generated.crd-manifests/0000_80_machine-config_01_machineconfigpools-SelfManagedHA.crd.yaml",
)
BUILD_TIMEOUT = 3600  # a cold build of kube-apiserver takes several minutes on 2 cores
START_TIMEOUT = 180


class HarnessFailed(Exception):
    """The API server could not be built or started."""


def _run(*args: str, timeout: float) -> str:
    done = subprocess.run([str(HARNESS), *args], capture_output=True, text=True, timeout=timeout, check=False, cwd=REPO)
    if done.returncode != 0:
        raise HarnessFailed(f"kube-harness.sh {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def _free_port(*, pair: bool = False) -> int:
    """A loopback port nobody listens on (and, with `pair`, the next one too: etcd's peer port)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if not pair or port >= 65535:
            return port
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port
    raise HarnessFailed("no free loopback port pair")


@dataclass
class KubeCluster:
    """A running kube-apiserver + etcd. `kubeconfig` is a file with an admin client-certificate user."""

    directory: Path
    port: int
    etcd_port: int
    kubeconfig: Path

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def kubeconfig_text(self) -> str:
        return self.kubeconfig.read_text()

    def start(self) -> None:
        """Start whatever is not running (after `stop_apiserver`, the API server) and wait until it is ready."""
        _run("start", "-d", str(self.directory), "-p", str(self.port), "-e", str(self.etcd_port), timeout=START_TIMEOUT)

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only (an outage); etcd keeps the data, `start()` brings the server back."""
        _run("stop-apiserver", "-d", str(self.directory), timeout=60)

    def stop(self) -> None:
        _run("stop", "-d", str(self.directory), timeout=60)

    def compact_etcd(self) -> int:
        """Compact etcd's history up to now (as the API server does every 5 minutes); return the revision.
        After a compaction and an API-server restart, a watch from an older resourceVersion gets 410 Gone."""
        base = f"http://127.0.0.1:{self.etcd_port}/v3/kv"
        revision = int(httpx.post(f"{base}/range", json={"key": "Lw=="}).json()["header"]["revision"])
        httpx.post(f"{base}/compaction", json={"revision": revision, "physical": True}).raise_for_status()
        return revision

    def api_client(self) -> Any:
        """A `kubernetes.client.ApiClient` for this cluster (the test's own, not the plugin's)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))


def apply_crds(cluster: KubeCluster, crd_dir: Path) -> None:
    """Create the openshift/api CRDs and wait until the API server serves them."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    api = client.ApiextensionsV1Api(cluster.api_client())
    names = []
    for relative in CRD_MANIFESTS:
        body = yaml.safe_load((crd_dir / relative).read_text())
        names.append(body["metadata"]["name"])
        try:
            api.create_custom_resource_definition(body)
        except ApiException as exc:
            if exc.status != 409:
                raise HarnessFailed(f"cannot create CRD {body['metadata']['name']}: {exc.status} {exc.reason}") from exc
    deadline = time.monotonic() + 60
    for name in names:
        while True:
            conditions = api.read_custom_resource_definition(name).status.conditions or []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                break
            if time.monotonic() > deadline:
                raise HarnessFailed(f"CRD {name} not established after 60s")
            time.sleep(0.2)


def start_cluster(directory: Path) -> KubeCluster:
    """Build (if needed) and start an API server with its state in `directory`, CRDs applied."""
    _run("build", timeout=BUILD_TIMEOUT)
    port = int(os.environ.get("KUBE_HARNESS_PORT") or _free_port())
    etcd_port = int(os.environ.get("KUBE_HARNESS_ETCD_PORT") or _free_port(pair=True))
    cluster = KubeCluster(directory, port, etcd_port, directory / "kubeconfig")
    cluster.start()
    apply_crds(cluster, Path(_run("crd-dir", timeout=600)))
    return cluster


@pytest.fixture(scope="session")
def kube_cluster() -> Iterator[KubeCluster]:
    """One real kube-apiserver + etcd for the session. Fails (never skips) when it cannot be provided."""
    directory = Path(tempfile.mkdtemp(prefix="netweave-kube-"))
    cluster: KubeCluster | None = None
    try:
        cluster = start_cluster(directory)
    except (HarnessFailed, subprocess.TimeoutExpired, OSError) as exc:
        with contextlib.suppress(HarnessFailed, subprocess.TimeoutExpired):
            _run("stop", "-d", str(directory), timeout=60)
        pytest.fail(f"the Kubernetes test backend could not be provided: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        with contextlib.suppress(HarnessFailed, subprocess.TimeoutExpired):
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
