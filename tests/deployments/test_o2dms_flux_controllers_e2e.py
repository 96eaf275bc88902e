"""O2dms end to end with the Flux plugin reconciled by the real Flux controllers: through netweave's HTTP API, on
the real kube-apiserver, Flux's own controllers (tests/flux_controllers.py) do the work.

Git: source-controller and kustomize-controller clone a repository from Flux's test git server and apply what it
holds. The SMO onboards a git reference to a path of that repository and deploys it with a value; the Deployment
the path holds appears on the API server with the value substituted (its replicas), because kustomize-controller
applied it. An update changes the value; a new commit is then pushed to the branch and fetched (the `flux
reconcile source git` request); a rollback to revision 1 brings back the first commit's content and value; the
delete leaves nothing: kustomize-controller prunes the Deployment before its finalizer lets the Kustomization go.

Helm: source-controller reads a Helm repository served on loopback by the test and helm-controller installs the
chart it packages. The chart is tests/fixtures/charts/netweave-config, published as 0.1.0 and 0.2.0: a ConfigMap
only, so that helm-controller's default wait (every object Current) holds on an API server without a kubelet,
with the wait left on as Flux users run it. An SMO subscribes, onboards both versions (`packageType:
helm-chart`, label gitops.engine=flux), deploys 0.1.0 with values, updates the values, moves to 0.2.0, rolls back
to revision 1 (0.1.0 and the first values: helm-controller upgrades the release back), reads status and history,
and deletes the deployment: helm-controller's finalizer uninstalls the release, so the ConfigMap, the release's
storage Secrets and the HelmChart it made are gone with the HelmRelease and the HelmRepository.
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

from inventory.notifications.receiver import Receiver
from tests.deployments.conftest import CHARTS, base, heard_create_change_delete, make_flux_dms, route_flux_charts
from tests.flux_controllers import RealFlux
from tests.flux_harness import HELM_RELEASES, HELM_REPOSITORIES, KUSTOMIZE, SOURCE
from tests.o2client import json_of

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.flux]

TARGET = "ran-flux"
WORKLOAD = "cnf"
WAIT = 90  # seconds an out-of-band fetch (or source-controller letting a HelmChart go) may take
SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"
FLUX_LABELS = {"gitops.engine": "flux"}
HELM_CHARTS = ("source.toolkit.fluxcd.io", "v1", "helmcharts")


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
def kube(kube_cluster: Any) -> Iterator[Any]:
    """An API client of the harness, with the deployments' target namespace created."""
    api_client = kube_cluster.api_client()
    with contextlib.suppress(ApiException):  # there already after an earlier test in this session
        k8s.CoreV1Api(api_client).create_namespace({"metadata": {"name": TARGET}})
    yield api_client
    api_client.close()


@pytest.fixture
def real_flux_dms(db: None, settings: Any, kube_cluster: Any, tmp_path: Path, cluster_manager: Any) -> Any:
    """Makes the flux DMS PluginInstance for running real controllers: writing into the only namespace they
    watch, deploying into TARGET, routed to as the stand-in's is (tests/deployments/conftest.py), reconciled only
    on netweave's changes (a long interval); an operation a stuck controller never finishes fails in 2 minutes."""
    settings.NETWEAVE_DMS_OPERATION_TIMEOUT = 120

    def make(flux: RealFlux) -> Any:
        return make_flux_dms(
            "flux-real",
            cluster_manager,
            kubeconfig=str(kube_cluster.kubeconfig),
            packageDir=str(tmp_path / "flux-refs"),
            namespace=flux.namespace,
            destinationNamespace=TARGET,
            interval="10m",
        )

    return make


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
    assert real_flux.git is not None
    apps, objects = k8s.AppsV1Api(kube), k8s.CustomObjectsApi(kube)
    real_flux_dms(real_flux)
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


def config_map(core: k8s.CoreV1Api, release: str) -> dict[str, str] | None:
    """The data of the ConfigMap the chart renders for `release`, None when there is none."""
    try:
        return dict(core.read_namespaced_config_map(f"{release}-config", TARGET).data or {})
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def leftovers(core: k8s.CoreV1Api, objects: k8s.CustomObjectsApi, namespace: str, name: str) -> list[str]:
    """What of the deployment `name` is still on the API server: Flux's objects, the HelmChart helm-controller
    made, the release's storage Secrets (Helm keeps them in the HelmRelease's namespace) and the ConfigMap."""
    left = [
        f"{kind[2]}/{o['metadata']['name']}"
        for kind in (HELM_RELEASES, HELM_REPOSITORIES, HELM_CHARTS)
        for o in objects.list_namespaced_custom_object(*kind[:2], namespace, kind[2])["items"]
        if name in o["metadata"]["name"]
    ]
    secrets = core.list_namespaced_secret(namespace, label_selector=f"owner=helm,name={name}").items
    left += [f"secrets/{s.metadata.name}" for s in secrets]
    if config_map(core, name) is not None:
        left.append(f"configmaps/{name}-config")
    return left


def test_real_helm_controller_installs_upgrades_rolls_back_and_uninstalls_an_o2dms_chart(
    o2: Any,
    cluster_manager: Any,
    real_flux_dms: Any,
    real_flux_helm: RealFlux,
    run_tasks: Any,
    receiver: Receiver,
    kube: Any,
) -> None:
    api, objects = k8s.CoreV1Api(kube), k8s.CustomObjectsApi(kube)
    instance = route_flux_charts(real_flux_dms(real_flux_helm), cluster_manager)
    charts = real_flux_helm.charts
    assert charts is not None
    chart = charts.publish(CHARTS / "netweave-config", "0.1.0")
    charts.publish(CHARTS / "netweave-config", "0.2.0")
    subscribed = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/smo", "filter": "(eq,objectType,NfDeployment)"})
    assert subscribed.status_code == 201, subscribed.content

    descriptors = f"{base(cluster_manager)}/NfDeploymentDescriptor"
    reference = {"packageType": "helm-chart", "artifactRepoUrl": charts.url, "artifactName": chart}
    first = o2.post(descriptors, {**reference, "version": "0.1.0", "labels": FLUX_LABELS})
    assert first.status_code == 201, first.content
    assert json_of(first)["extensions"]["netweave.pluginInstance"] == instance.name
    second = o2.post(descriptors, {**reference, "version": "0.2.0", "labels": FLUX_LABELS})
    assert second.status_code == 201, second.content

    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(cluster_manager)}/NfDeployment",
            {"name": name, "descriptorId": json_of(first)["id"], "namespace": TARGET, "values": {"mode": "sa"}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED", real_flux_helm.logs()
    item = f"{base(cluster_manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    assert config_map(api, name) == {"chartVersion": "0.1.0", "mode": "sa", "cells": "1"}  # installed by Helm
    release = objects.get_namespaced_custom_object(*HELM_RELEASES[:2], real_flux_helm.namespace, HELM_RELEASES[2], name)
    ready = next(c for c in release["status"]["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "InstallSucceeded")
    assert release["status"]["lastAttemptedRevision"] == "0.1.0"
    status = json_of(o2.get(f"{item}/status"))
    assert (status["status"], status["revision"]) == ("deployed", 1)
    assert status["details"]["helmReleaseRevision"] == "1"
    assert status["details"]["sourceReady"] == "True"

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"mode": "nsa", "cells": 3}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED", real_flux_helm.logs()
    assert config_map(api, name) == {"chartVersion": "0.1.0", "mode": "nsa", "cells": "3"}

    moved = run_tasks(lambda: o2.put(item, {"descriptorId": json_of(second)["id"], "values": {"mode": "nsa"}}))
    assert json_of(o2.get(moved["Location"]))["state"] == "SUCCEEDED", real_flux_helm.logs()
    assert config_map(api, name) == {"chartVersion": "0.2.0", "mode": "nsa", "cells": "1"}

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED", real_flux_helm.logs()
    assert config_map(api, name) == {"chartVersion": "0.1.0", "mode": "sa", "cells": "1"}  # revision 1's
    status = json_of(o2.get(f"{item}/status"))
    assert (status["status"], status["revision"]) == ("deployed", 4)
    assert status["details"]["helmReleaseRevision"] == "4"  # helm-controller upgraded the release back
    assert status["details"]["lastAttemptedRevision"] == "0.1.0"
    history = json_of(o2.get(f"{item}/history"))
    assert [h["appVersion"] for h in history] == ["0.1.0", "0.1.0", "0.2.0", "0.1.0"]

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED", real_flux_helm.logs()
    # Uninstalled by helm-controller's finalizer before the HelmRelease went; the HelmChart it made goes too,
    # through source-controller's own finalizer, which may take a moment more.
    namespace = real_flux_helm.namespace
    wait_for(lambda: not leftovers(api, objects, namespace, name), real_flux_helm, f"removing all of {name}")
    assert config_map(api, name) is None

    heard_create_change_delete(receiver)
