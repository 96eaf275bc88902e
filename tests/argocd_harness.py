"""Argo CD on the real kube-apiserver harness: its own CRDs, and the test playing its controller.

The CRDs come from Argo CD's Go module at the pinned version (`manifests/crds/`), fetched from the Go module
proxy like the harness's openshift/api CRDs. The module needs a newer Go than the machine's to be *built*
(`go mod download` says so and reports no Dir), but its zip is downloaded and verified all the same: the CRDs
are read from that zip. Argo CD's application controller does not build here, so `ArgoController` plays it:
for each Application whose spec differs from what its `.status.sync.comparedTo` says was synced, it writes
`.status` as the real controller does after a successful automated sync (sync Synced with the revision and
comparedTo, health Healthy, operationState Succeeded with syncResult, a new history entry), and removes the
resources finalizer of an Application being deleted. The API server validates every write against Argo CD's
own CRD schema, so a wrong shape fails the test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.k8s_harness import KubeCluster

ARGOCD_MODULE = "github.com/argoproj/argo-cd/v3"
ARGOCD_VERSION = "v3.6.2"
CRD_FILES = ("application-crd.yaml", "appproject-crd.yaml")
GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
FINALIZER = "resources-finalizer.argocd.argoproj.io"


def module_zip() -> str:
    """The verified zip of Argo CD's Go module at the pinned version (fetched once into the Go module cache)."""
    done = subprocess.run(
        [shutil.which("go") or "/usr/local/go/bin/go", "mod", "download", "-json", f"{ARGOCD_MODULE}@{ARGOCD_VERSION}"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd="/tmp",
        env={**os.environ, "GOFLAGS": "-mod=mod"},
    )
    info = json.loads(done.stdout or "{}")
    if not info.get("Zip"):
        pytest.fail(f"Argo CD {ARGOCD_VERSION} could not be fetched: {done.stdout[-500:]} {done.stderr[-500:]}")
    return str(info["Zip"])


def crd_manifests() -> list[dict[str, Any]]:
    prefix = f"{ARGOCD_MODULE}@{ARGOCD_VERSION}/manifests/crds/"
    with zipfile.ZipFile(module_zip()) as archive:
        return [yaml.safe_load(archive.read(prefix + name)) for name in CRD_FILES]


@pytest.fixture(scope="session")
def argocd_crds(kube_cluster: KubeCluster) -> KubeCluster:
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    api_client = kube_cluster.api_client()
    api = client.ApiextensionsV1Api(api_client)
    names = []
    for body in crd_manifests():
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
    while True:  # Established can precede the API being served for a moment
        try:
            objects.list_cluster_custom_object(GROUP, VERSION, PLURAL)
            break
        except ApiException as exc:
            if exc.status != 404:
                raise
            assert time.monotonic() < deadline, "Applications not served after their CRD was established"
            time.sleep(0.2)
    with contextlib.suppress(ApiException):
        client.CoreV1Api(api_client).create_namespace({"metadata": {"name": "argocd"}})
    api_client.close()
    return kube_cluster


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def synced_status(app: dict[str, Any]) -> dict[str, Any]:
    """The `.status` Argo CD's controller writes after an automated sync of the Application's current spec."""
    spec, status = app["spec"], app.get("status") or {}
    source = spec["source"]
    revision = hashlib.sha1(json.dumps(source, sort_keys=True).encode()).hexdigest()
    history = list(status.get("history") or [])
    now = _now()
    history.append(
        {
            "id": (int(history[-1]["id"]) + 1) if history else 1,
            "revision": revision,
            "source": source,
            "deployStartedAt": now,
            "deployedAt": now,
            "initiatedBy": {"automated": True},
        }
    )
    return {
        "sync": {
            "status": "Synced",
            "revision": revision,
            "comparedTo": {"source": source, "destination": spec["destination"]},
        },
        "health": {"status": "Healthy", "lastTransitionTime": now},
        "history": history[-10:],
        "operationState": {
            "operation": {"sync": {"revision": revision}, "initiatedBy": {"automated": True}},
            "phase": "Succeeded",
            "message": "successfully synced (all tasks run)",
            "startedAt": now,
            "finishedAt": now,
            "syncResult": {"revision": revision, "source": source},
        },
        "reconciledAt": now,
        "sourceType": "Helm" if source.get("chart") or source.get("helm") else "Directory",
        "summary": {},
        "controllerNamespace": "argocd",
    }


class PollingController:
    """A stand-in controller: `reconcile` every 50 ms in a thread, on the cluster's API server. `running()` is
    the fixture body: start, hand it out, stop, and fail the test if a reconcile raised."""

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

    def running(self) -> Iterator[PollingController]:
        self.thread.start()
        yield self
        self.stop.set()
        self.thread.join(timeout=10)
        self.api_client.close()
        assert not self.errors, f"the stand-in {self.what} failed: {self.errors[0]!r}"


class ArgoController(PollingController):
    """The part of Argo CD's application controller netweave's tests need, as a polling thread."""

    what = "Argo CD controller"

    def reconcile(self) -> None:
        from kubernetes.client.rest import ApiException

        listed = self.objects.list_cluster_custom_object(GROUP, VERSION, PLURAL)
        for app in listed.get("items") or []:
            meta = app["metadata"]
            try:
                if meta.get("deletionTimestamp"):
                    if FINALIZER in (meta.get("finalizers") or []):
                        meta["finalizers"] = [f for f in meta["finalizers"] if f != FINALIZER]
                        self.objects.replace_namespaced_custom_object(
                            GROUP, VERSION, meta["namespace"], PLURAL, meta["name"], app
                        )
                    continue
                compared = ((app.get("status") or {}).get("sync") or {}).get("comparedTo") or {}
                if compared.get("source") != app["spec"]["source"]:
                    app["status"] = synced_status(app)
                    self.objects.replace_namespaced_custom_object(
                        GROUP, VERSION, meta["namespace"], PLURAL, meta["name"], app
                    )
            except ApiException as exc:
                if exc.status not in (404, 409):  # gone, or changed meanwhile: next round
                    raise


@pytest.fixture
def argo_controller(argocd_crds: KubeCluster) -> Iterator[ArgoController]:
    yield from ArgoController(argocd_crds).running()
