"""O2dms end to end with the Flux plugin reconciled by the real Flux controllers: through netweave's HTTP API, on
the real kube-apiserver, Flux's own source-controller and kustomize-controller (tests/flux_controllers.py) clone a
repository from Flux's test git server and apply what it holds.

The SMO onboards a git reference to a path of that repository and deploys it with a value; the Deployment the
path holds appears on the API server with the value substituted (its replicas), because kustomize-controller
applied it. An update changes the value; a new commit is then pushed to the branch and fetched (the `flux
reconcile source git` request); a rollback to revision 1 brings back the first commit's content and value; the
delete leaves nothing: kustomize-controller prunes the Deployment before its finalizer lets the Kustomization go.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from tests.deployments.conftest import base, make_flux_dms
from tests.flux_controllers import RealFlux
from tests.flux_harness import KUSTOMIZE, SOURCE
from tests.o2client import json_of

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.flux]

TARGET = "ran-flux"
WORKLOAD = "cnf"
WAIT = 90  # seconds an out-of-band fetch may take


def manifest(release: str) -> str:
    """A Deployment whose image is the commit's and whose replicas are the deployment's value (the API server
    keeps it; the harness runs no Deployment controller)."""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {WORKLOAD}
spec:
  replicas: ${{replicas}}
  selector:
    matchLabels: {{app: cnf}}
  template:
    metadata:
      labels: {{app: cnf}}
    spec:
      containers:
        - name: cnf
          image: registry.example.com/cnf:{release}
"""


@pytest.fixture
def kube(kube_cluster: Any) -> Iterator[tuple[k8s.AppsV1Api, k8s.CustomObjectsApi]]:
    api_client = kube_cluster.api_client()
    with contextlib.suppress(ApiException):  # there already after an earlier run in this session
        k8s.CoreV1Api(api_client).create_namespace({"metadata": {"name": TARGET}})
    yield k8s.AppsV1Api(api_client), k8s.CustomObjectsApi(api_client)
    api_client.close()


@pytest.fixture
def real_flux_dms(
    db: None, settings: Any, real_flux: RealFlux, kube_cluster: Any, tmp_path: Path, cluster_manager: Any
) -> Any:
    """A flux DMS PluginInstance writing into the namespace the real controllers watch, routed to as the
    stand-in's is (tests/deployments/conftest.py)."""
    settings.NETWEAVE_DMS_OPERATION_TIMEOUT = 120  # a stuck controller fails the test in minutes, not 15
    return make_flux_dms(
        "flux-real",
        cluster_manager,
        kubeconfig=str(kube_cluster.kubeconfig),
        packageDir=str(tmp_path / "flux-refs"),
        namespace=real_flux.namespace,
        destinationNamespace=TARGET,
        interval="10m",  # only the test's requests make Flux fetch
    )


def workload(apps: k8s.AppsV1Api) -> tuple[str, int] | None:
    """The applied Deployment's image tag and replicas, None when there is none."""
    try:
        found = apps.read_namespaced_deployment(WORKLOAD, TARGET)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return found.spec.template.spec.containers[0].image.rpartition(":")[2], found.spec.replicas


def wait_for(check: Callable[[], bool], flux: RealFlux, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        flux.check_alive()
        assert time.monotonic() < deadline, f"{what} did not happen in {WAIT} s:\n{flux.logs()}"
        time.sleep(0.2)


def test_real_flux_reconciles_an_o2dms_deployment(
    o2: Any, cluster_manager: Any, real_flux_dms: Any, real_flux: RealFlux, run_tasks: Any, kube: Any
) -> None:
    apps, objects = kube
    repository, path = f"ran/cnfs-{uuid.uuid4().hex[:6]}.git", "apps/cnf"
    first = real_flux.git.push(repository, "release-1", {f"{path}/deployment.yaml": manifest("one")})

    created = o2.post(
        f"{base(cluster_manager)}/NfDeploymentDescriptor",
        {
            "packageType": "git-repo",
            "artifactRepoUrl": f"{real_flux.git.url}/{repository}",
            "artifactName": path,
            "version": "release-1",
            "gitOps": True,
            "labels": {"gitops.engine": "flux"},
        },
    )
    assert created.status_code == 201, created.content
    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(cluster_manager)}/NfDeployment",
            {"name": name, "descriptorId": json_of(created)["id"], "namespace": TARGET, "values": {"replicas": 2}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED", real_flux.logs()
    item = f"{base(cluster_manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    assert workload(apps) == ("one", 2)  # applied by kustomize-controller
    status = json_of(o2.get(f"{item}/status"))
    assert status["status"] == "deployed"
    assert status["details"]["ready"] == "True"
    kust = objects.get_namespaced_custom_object(*KUSTOMIZE[:2], real_flux.namespace, KUSTOMIZE[2], name)
    assert kust["status"]["lastAppliedRevision"] == f"release-1@sha1:{first}"
    ready = next(c for c in kust["status"]["conditions"] if c["type"] == "Ready")
    assert ready["reason"] == "ReconciliationSucceeded"
    assert kust["status"]["inventory"]["entries"] == [{"id": f"{TARGET}_{WORKLOAD}_apps_Deployment", "v": "v1"}]

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"replicas": 3}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED", real_flux.logs()
    assert workload(apps) == ("one", 3)

    second = real_flux.git.push(repository, "release-1", {f"{path}/deployment.yaml": manifest("two")})
    requested = dt.datetime.now(dt.UTC).isoformat()
    objects.patch_namespaced_custom_object(
        *SOURCE[:2],
        real_flux.namespace,
        SOURCE[2],
        name,
        {"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": requested}}},
    )
    wait_for(lambda: workload(apps) == ("two", 3), real_flux, f"applying {second}")

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED", real_flux.logs()
    assert workload(apps) == ("one", 2)  # the first commit, the first values
    repo = objects.get_namespaced_custom_object(*SOURCE[:2], real_flux.namespace, SOURCE[2], name)
    assert repo["spec"]["ref"] == {"branch": "release-1", "commit": first}  # pinned, on its branch
    assert repo["status"]["artifact"]["revision"] == f"release-1@sha1:{first}"
    status = json_of(o2.get(f"{item}/status"))
    assert status["revision"] == 3
    assert status["details"]["sourceRevision"] == status["details"]["lastAppliedRevision"] == f"release-1@sha1:{first}"

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED", real_flux.logs()
    assert workload(apps) is None  # pruned by kustomize-controller's finalizer
    for kind in (SOURCE, KUSTOMIZE):
        listed = objects.list_namespaced_custom_object(*kind[:2], real_flux.namespace, kind[2])
        assert [o["metadata"]["name"] for o in listed["items"]] == []
