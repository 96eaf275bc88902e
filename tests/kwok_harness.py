"""kwok, the Kubernetes SIGs' kubelet simulator, on the harness's kube-apiserver: the `kwok_node` fixture.

The kube_cluster harness has no kubelet, so no pod ever runs and the API server cannot serve a pod's log. kwok
(sigs.k8s.io/kwok, built by scripts/backends.py into the machine-level backend cache) plays the kubelet of one
fake Node: it moves the pods bound to that node through their phases (the "fast" node and pod stages shipped with the
pinned kwok module) and serves the kubelet API on a loopback port, where `containerLogs` answers from a file
named by a kwok `Logs` object (the kwok.x-k8s.io CRD, applied from the same module). The API server reaches it
the way it reaches any kubelet: the Node's `Hostname` address (localhost; the API server's default
`--kubelet-preferred-address-types` tries Hostname first) and `status.daemonEndpoints.kubeletEndpoint.Port`,
over TLS without verification (the harness's API server has no `--kubelet-certificate-authority`).

If kwok cannot be built or started the fixture fails the test loudly (never a skip): it is part of the suite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.backend_cache import BackendUnavailable, backends
from tests.k8s_harness import KubeCluster

REPO = Path(__file__).resolve().parent.parent
GO = os.environ.get("GO") or shutil.which("go") or "/usr/local/go/bin/go"
NODE_NAME = "kwok-node-0"
STAGES = (
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat/node-heartbeat.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
)
LOGS_CRD = "kustomize/crd/bases/kwok.x-k8s.io_logs.yaml"
LOGS_API = ("kwok.x-k8s.io", "v1alpha1", "logs")
BUILD_TIMEOUT = 1800
READY_TIMEOUT = 60


class KwokFailed(Exception):
    """kwok could not be built, configured or started."""


def _backends(*args: str) -> str:
    """The last line `scripts/backends.py` prints (it builds kwok on first use, progress on stderr)."""
    try:
        return backends(*args, timeout=BUILD_TIMEOUT)
    except BackendUnavailable as exc:
        raise KwokFailed(str(exc)) from exc


def _module_dir() -> Path:
    """The source of the pinned kwok module (its stage and CRD manifests), from the Go module cache."""
    version = _backends("version", "kwok")
    done = subprocess.run(
        [GO, "mod", "download", "-json", f"sigs.k8s.io/kwok@{version}"],
        capture_output=True, text=True, timeout=600, check=False, cwd=REPO / "tools" / "kwok",
    )  # fmt: skip
    try:
        return Path(json.loads(done.stdout)["Dir"])
    except (ValueError, KeyError):
        raise KwokFailed(f"cannot fetch sigs.k8s.io/kwok@{version} from the Go module proxy: {done.stderr}") from None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cri_log(lines: Sequence[str], *, start: dt.datetime | None = None, stream: str = "stdout") -> str:
    """`lines` in the CRI container log format a kubelet reads (`<RFC 3339 time> <stream> F <line>`)."""
    at = start or dt.datetime.now(dt.UTC)
    return "".join(
        f"{(at + dt.timedelta(milliseconds=i)).strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z {stream} F {line}\n"
        for i, line in enumerate(lines)
    )


@dataclass
class KwokNode:
    """A Node whose kubelet is kwok. `add_logs` gives a pod's containers a log the API server can read."""

    name: str
    port: int
    directory: Path
    cluster: KubeCluster
    process: subprocess.Popen[bytes]

    def add_logs(self, namespace: str, pod: str, lines: Mapping[str, Sequence[str]]) -> None:
        """Give each named container of the pod (`""`: every other container) a log of `lines`, as a kwok `Logs`
        object pointing at a file, and wait until the API server serves it."""
        from kubernetes import client
        from kubernetes.client.rest import ApiException

        entries = []
        for container, text in lines.items():
            path = self.directory / "logs" / namespace / pod / f"{container or 'default'}.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(cri_log(text))
            entries.append({"containers": [container] if container else [], "logsFile": str(path)})
        group, version, plural = LOGS_API
        body = {
            "apiVersion": f"{group}/{version}",
            "kind": "Logs",
            "metadata": {"name": pod, "namespace": namespace},
            "spec": {"logs": entries},
        }
        deadline = time.monotonic() + READY_TIMEOUT
        with contextlib.closing(self.cluster.api_client()) as api_client:
            client.CustomObjectsApi(api_client).create_namespaced_custom_object(group, version, namespace, plural, body)
            core = client.CoreV1Api(api_client)
            container = next(iter(lines)) or core.read_namespaced_pod(pod, namespace).spec.containers[0].name
            while True:  # kwok learns of the Logs object through a watch
                try:
                    core.read_namespaced_pod_log(pod, namespace, container=container, limit_bytes=1)
                    return
                except ApiException as exc:
                    if time.monotonic() > deadline:
                        raise AssertionError(f"kwok serves no log for {namespace}/{pod}: {exc.body}") from None
                time.sleep(0.1)

    def wait_running(self, namespace: str, pod: str, timeout: float = READY_TIMEOUT) -> dict[str, Any]:
        """Wait until kwok reports the pod Running with every container started; return its status."""
        from kubernetes import client

        deadline = time.monotonic() + timeout
        with contextlib.closing(self.cluster.api_client()) as api_client:
            core = client.CoreV1Api(api_client)
            while True:
                status = api_client.sanitize_for_serialization(core.read_namespaced_pod_status(pod, namespace).status)
                running = status.get("containerStatuses") or []
                if status.get("phase") == "Running" and running and all("running" in c["state"] for c in running):
                    return dict(status)
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError(f"pod {namespace}/{pod} not Running under kwok: {status}\n{self.log_tail()}")
                time.sleep(0.1)

    def log_tail(self) -> str:
        log = self.directory / "kwok.log"
        return log.read_text()[-3000:] if log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _apply_logs_crd(cluster: KubeCluster, module: Path) -> None:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    body = yaml.safe_load((module / LOGS_CRD).read_text())
    with contextlib.closing(cluster.api_client()) as api_client:
        api = client.ApiextensionsV1Api(api_client)
        try:
            api.create_custom_resource_definition(body)
        except ApiException as exc:
            if exc.status != 409:
                raise KwokFailed(f"cannot create the kwok Logs CRD: {exc.status} {exc.reason}") from exc
        deadline = time.monotonic() + 60
        while True:
            conditions = api.read_custom_resource_definition(body["metadata"]["name"]).status.conditions or []
            if any(c.type == "Established" and c.status == "True" for c in conditions):
                return
            if time.monotonic() > deadline:
                raise KwokFailed("the kwok Logs CRD is not established after 60 s")
            time.sleep(0.2)


def _create_node(cluster: KubeCluster, port: int) -> None:
    """The fake Node, with the addresses and kubelet port the API server dials for logs."""
    from kubernetes import client

    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": NODE_NAME, "labels": {"type": "kwok", "kubernetes.io/hostname": NODE_NAME}},
        "status": {
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": "localhost"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        },
    }
    _delete_node(cluster)  # left by an interrupted run
    with contextlib.closing(cluster.api_client()) as api_client:
        client.CoreV1Api(api_client).create_node(node)


def _delete_node(cluster: KubeCluster) -> None:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    with contextlib.closing(cluster.api_client()) as api_client, contextlib.suppress(ApiException):
        client.CoreV1Api(api_client).delete_node(NODE_NAME)


def _wait_node_ready(node: KwokNode) -> None:
    from kubernetes import client

    deadline = time.monotonic() + READY_TIMEOUT
    with contextlib.closing(node.cluster.api_client()) as api_client:
        core = client.CoreV1Api(api_client)
        while True:
            status = core.read_node_status(NODE_NAME).status
            ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
            if ready and status.daemon_endpoints.kubelet_endpoint.port == node.port:
                break
            if node.process.poll() is not None or time.monotonic() > deadline:
                raise KwokFailed(f"kwok did not make node {NODE_NAME} Ready:\n{node.log_tail()}")
            time.sleep(0.2)
    deadline = time.monotonic() + READY_TIMEOUT
    while True:  # the kubelet server starts after the controllers
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", node.port), timeout=1):
            return
        if node.process.poll() is not None or time.monotonic() > deadline:
            raise KwokFailed(f"kwok's kubelet server is not listening on {node.port}:\n{node.log_tail()}")
        time.sleep(0.2)


def start_kwok(cluster: KubeCluster, directory: Path) -> KwokNode:
    binary = _backends("path", "kwok")
    module = _module_dir()
    _apply_logs_crd(cluster, module)
    config = directory / "kwok.yaml"
    config.write_text("\n---\n".join((module / stage).read_text() for stage in STAGES))
    port = _free_port()
    _create_node(cluster, port)
    log = (directory / "kwok.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--kubeconfig={cluster.kubeconfig}",
            f"--config={config}",
            f"--manage-single-node={NODE_NAME}",
            "--node-ip=127.0.0.1",
            f"--node-port={port}",
            f"--server-address=127.0.0.1:{port}",
            "--enable-crds=Logs",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=directory,
        env={**os.environ, "HOME": str(directory)},
    )
    log.close()
    node = KwokNode(NODE_NAME, port, directory, cluster, process)
    try:
        _wait_node_ready(node)
    except BaseException:
        node.stop()
        raise
    return node


@pytest.fixture(scope="module")
def kwok_node(kube_cluster: KubeCluster) -> Iterator[KwokNode]:
    """A kwok-managed Node on the session's API server, for one test module: the Node is removed afterwards, so
    tests elsewhere that count the cluster's Nodes (the Kubernetes IMS plugin's) never see it. Starting kwok
    takes well under a second once built. Fails (never skips) when it cannot be provided."""
    directory = Path(tempfile.mkdtemp(prefix="netweave-kwok-"))
    try:
        node = start_kwok(kube_cluster, directory)
    except (KwokFailed, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(directory, ignore_errors=True)
        pytest.fail(f"kwok (the kubelet simulator) could not be provided: {exc}", pytrace=False)
    try:
        yield node
    finally:
        node.stop()
        _delete_node(kube_cluster)
        shutil.rmtree(directory, ignore_errors=True)
