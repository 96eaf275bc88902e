"""CRDs of other projects, read from their Go module zips and installed on the kube-apiserver harness, and the
polling thread a test's stand-in for a project's controller runs in.

A project's published CRD manifests ship in its Go module at a pinned version. `go mod download -json` fetches
and verifies the module zip through the Go module proxy into Go's own module cache (so it is downloaded once
per machine); a module that needs a newer Go than the machine's to be *built* reports no `Dir` but its zip is
there all the same, and the CRDs are read from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
import yaml

from tests.k8s_harness import KubeCluster


def module_zip(module: str, version: str) -> str:
    """The verified zip of `module@version`, fetched once into Go's module cache."""
    done = subprocess.run(
        [shutil.which("go") or "/usr/local/go/bin/go", "mod", "download", "-json", f"{module}@{version}"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd="/tmp",
        env={**os.environ, "GOFLAGS": "-mod=mod"},
    )
    info = json.loads(done.stdout or "{}")
    if not info.get("Zip"):
        pytest.fail(f"{module} {version} could not be fetched: {done.stdout[-500:]} {done.stderr[-500:]}")
    return str(info["Zip"])


def module_crds(module: str, version: str, paths: Iterable[str]) -> list[dict[str, Any]]:
    """The YAML documents at `paths` (relative to the module root) of `module@version`."""
    with zipfile.ZipFile(module_zip(module, version)) as archive:
        return [yaml.safe_load(archive.read(f"{module}@{version}/{path}")) for path in paths]


def install_crds(
    cluster: KubeCluster, bodies: Iterable[dict[str, Any]], served: Iterable[tuple[str, str, str]], namespace: str
) -> None:
    """Create the CRDs (already there is fine), wait until they are established and each (group, version,
    plural) of `served` answers, and create `namespace`."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    api_client = cluster.api_client()
    api = client.ApiextensionsV1Api(api_client)
    names = []
    for body in bodies:
        names.append(body["metadata"]["name"])
        try:
            api.create_custom_resource_definition(body)
        except ApiException as exc:
            if exc.status != 409:
                raise
    deadline = time.monotonic() + 60
    for name in names:
        while not any(
            c.type == "Established" and c.status == "True"
            for c in api.read_custom_resource_definition(name).status.conditions or []
        ):
            assert time.monotonic() < deadline, f"CRD {name} not established"
            time.sleep(0.2)
    objects = client.CustomObjectsApi(api_client)
    for group, version, plural in served:
        while True:  # Established can precede the API being served for a moment
            try:
                objects.list_cluster_custom_object(group, version, plural)
                break
            except ApiException as exc:
                if exc.status != 404:
                    raise
                assert time.monotonic() < deadline, f"{plural} not served after their CRD was established"
                time.sleep(0.2)
    with contextlib.suppress(ApiException):
        client.CoreV1Api(api_client).create_namespace({"metadata": {"name": namespace}})
    api_client.close()


class StandInController:
    """A project's controller played by the test: `reconcile` (a subclass's) runs every 50 ms in a thread
    until stopped; its first error stops it and fails the test that used it (`running`)."""

    what = "controller"

    def __init__(self, cluster: KubeCluster) -> None:
        from kubernetes import client

        self.api_client = cluster.api_client()
        self.objects = client.CustomObjectsApi(self.api_client)
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def reconcile(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.reconcile()
            except Exception as exc:
                self.errors.append(exc)
                return
            time.sleep(0.05)

    def running(self) -> Iterator[StandInController]:
        """For a fixture: `yield from controller.running()`."""
        self.thread.start()
        yield self
        self.stop.set()
        self.thread.join(timeout=10)
        self.api_client.close()
        assert not self.errors, f"the stand-in {self.what} failed: {self.errors[0]}"
