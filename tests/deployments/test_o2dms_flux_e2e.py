"""O2dms end to end with the Flux plugin: through netweave's HTTP API, on the real kube-apiserver with Flux's
own CRDs, the test playing Flux's source- and kustomize-controllers (tests/flux_harness.py).

An SMO subscribes, onboards a git reference (packageType `git-repo`, `gitOps: true`, label
gitops.engine=flux: routed to the flux instance), deploys it, updates its values, rolls back to revision 1
(the source moves back to the commit revision 1 applied), reads status and history, and deletes it; the
GitRepository and Kustomization are read back from the API server at each step, nothing of the deployment is
left afterwards, and the subscriber receives the deployment's changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from inventory.notifications.receiver import Receiver
from tests.deployments.conftest import base, heard_create_change_delete, route_flux_charts
from tests.flux_harness import HELM_RELEASES, HELM_REPOSITORIES, KUSTOMIZE, NAMESPACE, SOURCE
from tests.o2client import json_of

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.flux]

REPO_URL = "https://git.example.com/ran/cnfs.git"
HELM_REPO_URL = "https://charts.example.com/ran"
SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"
FLUX_LABELS = {"gitops.engine": "flux"}


@pytest.fixture
def manager(cluster_manager: Any) -> Any:
    return cluster_manager


@pytest.fixture
def objects(kube_cluster: Any) -> Iterator[k8s.CustomObjectsApi]:
    api_client = kube_cluster.api_client()
    yield k8s.CustomObjectsApi(api_client)
    api_client.close()


def read(api: k8s.CustomObjectsApi, kind: tuple[str, str, str], name: str) -> dict[str, Any] | None:
    try:
        return dict(api.get_namespaced_custom_object(kind[0], kind[1], NAMESPACE, kind[2], name))
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def test_flux_lifecycle_on_the_api_server(
    o2: Any, manager: Any, flux_dms: Any, run_tasks: Any, receiver: Receiver, objects: k8s.CustomObjectsApi
) -> None:
    subscribed = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/smo", "filter": "(eq,objectType,NfDeployment)"})
    assert subscribed.status_code == 201, subscribed.content

    path = f"apps/cnf-{uuid.uuid4().hex[:6]}"
    reference = {
        "packageType": "git-repo",
        "artifactRepoUrl": REPO_URL,
        "artifactName": path,
        "version": "release-1",
        "gitOps": True,
    }
    descriptors = f"{base(manager)}/NfDeploymentDescriptor"
    assert o2.post(descriptors, reference).status_code == 503  # without the label: not Flux's
    for bad, field in (
        ({"version": "main branch"}, "version"),
        ({"artifactName": "../escape"}, "artifactName"),
        ({"artifactRepoUrl": "ftp://git.example.com/r.git"}, "artifactRepoUrl"),
    ):
        refused = o2.post(descriptors, {**reference, **bad, "labels": FLUX_LABELS})
        assert refused.status_code == 400, refused.content
        assert field in refused.content.decode()
    created = o2.post(descriptors, {**reference, "labels": FLUX_LABELS})
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    assert descriptor["artifactRepoUrl"] == REPO_URL

    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": name, "descriptorId": descriptor["id"], "namespace": "ran", "values": {"replicas": 2}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3
    assert nf["extensions"]["netweave.nativeId"] == f"{NAMESPACE}/{name}"
    repo, kust = read(objects, SOURCE, name), read(objects, KUSTOMIZE, name)
    assert repo is not None
    assert kust is not None
    assert repo["spec"]["url"] == REPO_URL
    assert repo["spec"]["ref"] == {"branch": "release-1"}
    assert kust["spec"]["sourceRef"] == {"kind": "GitRepository", "name": name}
    assert kust["spec"]["path"] == f"./{path}"
    assert kust["spec"]["targetNamespace"] == "ran"
    assert kust["spec"]["postBuild"] == {"substitute": {"replicas": "2"}}
    first_applied = kust["status"]["lastAppliedRevision"]
    assert first_applied.startswith("release-1@sha1:")

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"replicas": 3}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    assert read(objects, KUSTOMIZE, name)["spec"]["postBuild"] == {"substitute": {"replicas": "3"}}
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2
    bad_values = o2.put(item, {"values": {"nested": {"x": 1}}})
    assert bad_values.status_code == 400, bad_values.content
    assert "values" in bad_values.content.decode()

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    repo, kust = read(objects, SOURCE, name), read(objects, KUSTOMIZE, name)
    # The commit revision 1 applied, on its branch: Flux reports the same `<branch>@sha1:<commit>` revision.
    assert repo["spec"]["ref"] == {"branch": "release-1", "commit": first_applied.rpartition("sha1:")[2]}
    assert kust["spec"]["postBuild"] == {"substitute": {"replicas": "2"}}

    status = json_of(o2.get(f"{item}/status"))
    assert status["status"] == "deployed"
    assert status["revision"] == 3
    assert status["details"]["ready"] == "True"
    assert status["details"]["sourceReady"] == "True"
    assert status["details"]["suspended"] == "false"
    assert status["details"]["sourceRevision"] == status["details"]["lastAppliedRevision"] == first_applied
    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]
    assert o2.post(f"{item}/scale", {"replicas": 2}).status_code == 501  # only through values

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert read(objects, SOURCE, name) is None
    assert read(objects, KUSTOMIZE, name) is None

    heard_create_change_delete(receiver)


@pytest.fixture
def flux_helm_dms(flux_dms: Any, flux_helm_controller: Any, cluster_manager: Any) -> Any:
    """The flux instance, also routed charts labelled gitops.engine=flux, with the stand-in helm-controller."""
    return route_flux_charts(flux_dms, cluster_manager)


def _state(body: dict[str, Any]) -> dict[str, Any]:
    return body.get("postObjectState") or {}


def test_flux_helm_release_lifecycle_with_suspend_and_resume(
    o2: Any, manager: Any, flux_helm_dms: Any, run_tasks: Any, receiver: Receiver, objects: k8s.CustomObjectsApi
) -> None:
    """A chart in a Helm repository on Flux: HelmRepository + HelmRelease, nested values, another chart version,
    a rollback that moves the chart version back to the one released, suspend and resume, delete."""
    from netweave.models import AuditEvent

    subscribed = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/smo", "filter": "(eq,objectType,NfDeployment)"})
    assert subscribed.status_code == 201, subscribed.content
    descriptors = f"{base(manager)}/NfDeploymentDescriptor"
    chart = f"cnf-{uuid.uuid4().hex[:6]}"
    reference = {"packageType": "helm-chart", "artifactRepoUrl": HELM_REPO_URL, "artifactName": chart}
    refused = o2.post(
        descriptors, {**reference, "artifactRepoUrl": "ftp://charts.example.com/r", "labels": FLUX_LABELS}
    )
    assert refused.status_code == 400, refused.content
    assert "artifactRepoUrl" in refused.content.decode()
    ranged = o2.post(descriptors, {**reference, "version": ">=1.0.0", "labels": FLUX_LABELS})
    assert ranged.status_code == 400, ranged.content  # one exact chart version per revision
    assert json_of(ranged)["additionalAttributes"]["field"] == "version"
    latest = o2.post(descriptors, {**reference, "labels": FLUX_LABELS})  # no version: the newest chart
    assert latest.status_code == 201, latest.content
    assert json_of(latest)["extensions"]["netweave.pluginInstance"] == flux_helm_dms.name
    second = o2.post(descriptors, {**reference, "version": "2.0.0", "labels": FLUX_LABELS})
    assert second.status_code == 201, second.content

    name = f"nf-{uuid.uuid4().hex[:6]}"
    values = {"replicaCount": 2, "image": {"tag": "1.0"}}
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": name, "descriptorId": json_of(latest)["id"], "namespace": "ran", "values": values},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3
    assert nf["extensions"]["flux.helmRelease"] == name
    assert nf["extensions"]["flux.lastAttemptedRevision"] == "1.0.0"  # what helm-controller resolved
    repo, release = read(objects, HELM_REPOSITORIES, name), read(objects, HELM_RELEASES, name)
    assert repo is not None
    assert release is not None
    assert repo["spec"]["url"] == HELM_REPO_URL
    assert release["spec"]["chart"]["spec"] == {
        "chart": chart,
        "sourceRef": {"kind": "HelmRepository", "name": name},
        "reconcileStrategy": "ChartVersion",  # the CRD's defaults
        "version": "*",  # the newest
    }
    assert release["spec"]["values"] == values
    assert release["spec"]["targetNamespace"] == "ran"
    assert read(objects, KUSTOMIZE, name) is None

    upgraded = run_tasks(lambda: o2.put(item, {"descriptorId": json_of(second)["id"], "values": {"replicaCount": 3}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    release = read(objects, HELM_RELEASES, name)
    assert release["spec"]["chart"]["spec"]["version"] == "2.0.0"
    assert release["spec"]["values"] == {"replicaCount": 3}
    status = json_of(o2.get(f"{item}/status"))
    assert (status["status"], status["revision"]) == ("deployed", 2)
    assert status["details"]["helmReleaseRevision"] == "2"

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    release = read(objects, HELM_RELEASES, name)
    assert release["spec"]["chart"]["spec"]["version"] == "1.0.0"  # pinned to the version revision 1 released
    assert release["spec"]["values"] == values
    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert [h["appVersion"] for h in history] == ["1.0.0", "2.0.0", "1.0.0"]

    suspended = run_tasks(lambda: o2.post(f"{item}/suspend"))
    assert suspended.status_code == 202, suspended.content
    assert json_of(suspended)["operation"] == "suspend"
    assert json_of(o2.get(suspended["Location"]))["state"] == "SUCCEEDED"
    assert read(objects, HELM_RELEASES, name)["spec"]["suspend"] is True
    assert read(objects, HELM_REPOSITORIES, name)["spec"]["suspend"] is True
    assert json_of(o2.get(f"{item}?all_fields"))["extensions"]["flux.suspended"] is True
    assert json_of(o2.get(f"{item}/status"))["details"]["suspended"] == "true"
    audited = AuditEvent.objects.get(method="POST", path=f"{item}/suspend")
    assert (audited.status, audited.outcome) == (202, AuditEvent.Outcome.ALLOWED)

    resumed = run_tasks(lambda: o2.post(f"{item}/resume"))
    assert json_of(o2.get(resumed["Location"]))["state"] == "SUCCEEDED"
    assert read(objects, HELM_RELEASES, name)["spec"]["suspend"] is False
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert (nf["status"], nf["extensions"]["flux.suspended"]) == (3, False)

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert read(objects, HELM_RELEASES, name) is None
    assert read(objects, HELM_REPOSITORIES, name) is None

    bodies = receiver.wait_for(lambda b: any(n["notificationEventType"] == 2 for n in b))
    flags = [_state(b).get("extensions", {}).get("flux.suspended") for b in bodies if _state(b)]
    assert True in flags  # the subscriber heard the suspension...
    assert flags[-1] is False  # ...and the resumption


def test_routing_simulator_sends_labelled_gitops_references_to_flux(
    admin_client: Any, manager: Any, flux_dms: Any
) -> None:
    from django.urls import reverse

    attributes = f'{{"deploymentManager": "{manager.name}", "gitOps": true}}'
    simulate = reverse("admin:plugins_routingrule_simulate")
    query = {"category": "dms", "match_type": "git-repo", "attributes": attributes}
    chosen = admin_client.get(simulate, {**query, "labels": "gitops.engine=flux"})
    assert chosen.status_code == 200
    assert chosen.context["outcome"]["instance"] == flux_dms
    unlabelled = admin_client.get(simulate, query)
    assert unlabelled.context["outcome"].get("instance") != flux_dms  # no rule for it: no instance here
