"""O2dms end to end with the Argo CD plugin (CRD mode): through netweave's HTTP API, on the real kube-apiserver
with Argo CD's own CRDs, the test playing Argo CD's controller (tests/argocd_harness.py).

An SMO subscribes, onboards a git reference (packageType `git-repo`, routed to the argocd instance), deploys
it, updates its values, rolls back to revision 1, reads status and history, and deletes it; the Application
is read back from the API server at each step, and the subscriber receives the deployment's changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from inventory.notifications.receiver import Receiver
from tests.deployments.conftest import base
from tests.o2client import json_of

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.argocd]

REPO_URL = "https://git.example.com/ran/cnfs.git"
SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"


@pytest.fixture
def manager(cluster_manager: Any) -> Any:
    return cluster_manager


@pytest.fixture
def applications(kube_cluster: Any) -> Iterator[k8s.CustomObjectsApi]:
    api_client = kube_cluster.api_client()
    yield k8s.CustomObjectsApi(api_client)
    api_client.close()


def application(objects: k8s.CustomObjectsApi, name: str) -> dict[str, Any] | None:
    try:
        return dict(objects.get_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "applications", name))
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def test_argocd_lifecycle_on_the_api_server(
    o2: Any, manager: Any, argocd_dms: Any, run_tasks: Any, receiver: Receiver, applications: k8s.CustomObjectsApi
) -> None:
    subscribed = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/smo", "filter": "(eq,objectType,NfDeployment)"})
    assert subscribed.status_code == 201, subscribed.content

    path = f"apps/cnf-{uuid.uuid4().hex[:6]}"
    reference = {"packageType": "git-repo", "artifactRepoUrl": REPO_URL, "artifactName": path, "version": "v1.0.0"}
    unrouted = o2.post(f"{base(manager)}/NfDeploymentDescriptor", reference)
    assert unrouted.status_code == 503, unrouted.content  # the seed's rule wants gitOps: true
    created = o2.post(f"{base(manager)}/NfDeploymentDescriptor", {**reference, "gitOps": True})
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    assert descriptor["artifactRepoUrl"] == REPO_URL
    archive = o2.post(
        f"{base(manager)}/NfDeploymentDescriptor", b"\x1f\x8b not a reference", content_type="application/gzip"
    )
    assert archive.status_code == 503  # a chart archive: no helm instance serves this deployment manager

    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": name, "descriptorId": descriptor["id"], "namespace": "ran", "values": {"replicaCount": 2}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3
    assert nf["extensions"]["netweave.nativeId"] == f"argocd/{name}"
    app = application(applications, name)
    assert app is not None
    assert app["spec"]["source"] == {
        "repoURL": REPO_URL,
        "path": path,
        "targetRevision": "v1.0.0",
        "helm": {"valuesObject": {"replicaCount": 2}},
    }
    assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "ran"}
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert app["status"]["sync"]["status"] == "Synced"

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"replicaCount": 3}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    assert application(applications, name)["spec"]["source"]["helm"]["valuesObject"] == {"replicaCount": 3}
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2

    first_revision = application(applications, name)["status"]["history"][0]["revision"]
    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    source = application(applications, name)["spec"]["source"]
    assert source["helm"]["valuesObject"] == {"replicaCount": 2}
    assert source["targetRevision"] == first_revision  # pinned to what revision 1 synced

    status = json_of(o2.get(f"{item}/status"))
    assert status["status"] == "deployed"
    assert status["revision"] == 3
    assert status["details"]["sync"] == "Synced"
    assert status["details"]["health"] == "Healthy"
    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]
    assert o2.post(f"{item}/scale", {"replicas": 2}).status_code == 501  # only through values

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert application(applications, name) is None

    bodies = receiver.wait_for(lambda b: any(n["notificationEventType"] == 2 for n in b))
    events = [n["notificationEventType"] for n in bodies]
    assert events[0] == 0
    assert 1 in events
    assert events[-1] == 2


def test_routing_simulator_sends_gitops_references_to_argocd(admin_client: Any, manager: Any, argocd_dms: Any) -> None:
    from django.urls import reverse

    attributes = f'{{"deploymentManager": "{manager.name}", "gitOps": true}}'
    response = admin_client.get(
        reverse("admin:plugins_routingrule_simulate"),
        {"category": "dms", "match_type": "git-repo", "attributes": attributes},
    )
    assert response.status_code == 200
    assert response.context["outcome"]["instance"] == argocd_dms
