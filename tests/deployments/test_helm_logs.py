"""Workload logs of a Helm release, end to end: netweave's HTTP API → the Helm plugin → the kube-apiserver →
the kubelet of a kwok node (tests/kwok_harness.py), which serves each container's log from a file.

There is no controller-manager or scheduler on the harness, so the test plays them: it creates the release's
pods itself (labelled as the ReplicaSet controller would label them, bound to the kwok node), and kwok runs them.
Also checked: the answer before any pod exists, a pod nobody scheduled, tailLines and container, the size limit
of an answer, a release removed behind netweave's back (404), an unknown deployment (404), and an API server
that cannot be reached (503).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from plugins.dms.helm import logs
from plugins.dms.helm.kube import PodLogReader
from plugins.sdk.dms import LogOptions
from plugins.sdk.errors import BackendUnavailable
from plugins.testing.dms import minimal_chart_archive
from tests.deployments.conftest import base
from tests.kwok_harness import KwokNode
from tests.o2client import json_of

GZIP = "application/gzip"
NAMESPACE = "netweave-logs"
MAIN_LINES = [f"main line {i}" for i in range(1, 8)]
SIDECAR_LINES = ["sidecar ready", "sidecar serving"]


@pytest.fixture
def manager(cluster_manager: Any) -> Any:
    return cluster_manager


@pytest.fixture
def core(kube_cluster: Any) -> Iterator[k8s.CoreV1Api]:
    api_client = kube_cluster.api_client()
    yield k8s.CoreV1Api(api_client)
    api_client.close()


def deploy(o2: Any, manager: Any, run_tasks: Any) -> tuple[str, str]:
    """Upload a chart whose Deployment selects pods by `app: <release>` (not Helm's instance label) and deploy
    it; return the release name and the NfDeployment's path."""
    chart = minimal_chart_archive(f"logs-{uuid.uuid4().hex[:6]}")
    descriptor = json_of(o2.post(f"{base(manager)}/NfDeploymentDescriptor", chart, content_type=GZIP))
    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment", {"name": name, "descriptorId": descriptor["id"], "namespace": NAMESPACE}
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    return name, f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"


def make_pod(
    core: k8s.CoreV1Api,
    name: str,
    labels: dict[str, str],
    containers: list[str],
    node: str | None,
    owner: Any = None,
) -> None:
    """A pod as the ReplicaSet controller would create it (controlled by `owner`, if given), bound to `node` as
    the scheduler would (None: never scheduled)."""
    spec: dict[str, Any] = {"containers": [{"name": c, "image": "registry.k8s.io/pause:3.10"} for c in containers]}
    if node:
        spec["nodeName"] = node
    metadata: dict[str, Any] = {"name": name, "labels": labels}
    if owner is not None:
        metadata["ownerReferences"] = [controller_reference(owner, "ReplicaSet")]
    core.create_namespaced_pod(NAMESPACE, {"metadata": metadata, "spec": spec})


def controller_reference(owner: Any, kind: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "name": owner.metadata.name,
        "uid": owner.metadata.uid,
        "controller": True,
    }


def make_replicaset(apps: k8s.AppsV1Api, name: str, labels: dict[str, str], deployment: Any = None) -> Any:
    """A ReplicaSet as the Deployment controller would create it (controlled by `deployment`, if given)."""
    metadata: dict[str, Any] = {"name": name}
    if deployment is not None:
        metadata["ownerReferences"] = [controller_reference(deployment, "Deployment")]
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "main", "image": "pause"}]}}
    body = {"metadata": metadata, "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": template}}
    return apps.create_namespaced_replica_set(NAMESPACE, body)


def text(response: Any) -> str:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return str(response.content.decode())


def test_release_logs_through_the_api(
    o2: Any,
    manager: Any,
    helm_dms: Any,
    run_tasks: Any,
    kwok_node: KwokNode,
    core: k8s.CoreV1Api,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release, item = deploy(o2, manager, run_tasks)

    before = text(o2.get(f"{item}/logs"))
    assert before == logs.NO_PODS.format(namespace=NAMESPACE, release=release) + "\n"

    # The chart's Deployment selects `app: <release>`: its ReplicaSet's pod is the release's, found by that
    # selector and kept by its ownerReferences. Another ReplicaSet's pod with the same labels is not. A pod with
    # Helm's instance label is the release's, here one nobody scheduled.
    apps = k8s.AppsV1Api(core.api_client)
    replicaset = make_replicaset(
        apps, f"{release}-7d9f", {"app": release}, apps.read_namespaced_deployment(release, NAMESPACE)
    )
    intruder = make_replicaset(apps, f"intruder-{release}", {"app": release})
    running, waiting = f"{release}-7d9f-abcde", f"{release}-7d9f-fghij"
    make_pod(core, running, {"app": release}, ["main", "sidecar"], kwok_node.name, owner=replicaset)
    make_pod(core, waiting, {logs.INSTANCE_LABEL: release}, ["main"], None)
    make_pod(core, f"intruder-{release}-x", {"app": release}, ["main"], kwok_node.name, owner=intruder)
    kwok_node.wait_running(NAMESPACE, running)
    kwok_node.add_logs(NAMESPACE, running, {"main": MAIN_LINES, "sidecar": SIDECAR_LINES})

    body = text(o2.get(f"{item}/logs"))
    assert body == (
        f"==> pod {NAMESPACE}/{running} container main <==\n"
        + "".join(f"{line}\n" for line in MAIN_LINES)
        + f"==> pod {NAMESPACE}/{running} container sidecar <==\n"
        + "".join(f"{line}\n" for line in SIDECAR_LINES)
        + f"==> pod {NAMESPACE}/{waiting} <==\n"
        + "not scheduled to a node yet (phase Pending): no logs\n"
    )

    tail = text(o2.get(f"{item}/logs?tailLines=2"))
    assert "main line 6\nmain line 7\n" in tail
    assert "main line 5" not in tail
    assert "sidecar ready\nsidecar serving\n" in tail

    only_sidecar = text(o2.get(f"{item}/logs?container=sidecar&tailLines=1"))
    assert only_sidecar == (
        f"==> pod {NAMESPACE}/{running} container sidecar <==\nsidecar serving\n"
        f"==> pod {NAMESPACE}/{waiting} <==\nnot scheduled to a node yet (phase Pending): no logs\n"
    )
    # sinceSeconds reaches the kubelet (kwok): lines written in the last hour are all of them.
    assert text(o2.get(f"{item}/logs?container=sidecar&tailLines=1&sinceSeconds=3600")) == only_sidecar
    absent = text(o2.get(f"{item}/logs?container=absent"))
    assert f"==> pod {NAMESPACE}/{running} <==\nno container 'absent' in this pod\n" in absent

    monkeypatch.setattr(logs, "MAX_BODY_BYTES", 10)  # past the first pod, the answer stops and says so
    capped = text(o2.get(f"{item}/logs"))
    assert capped.startswith(f"==> pod {NAMESPACE}/{running} container main <==\nmain line 1\n")
    assert capped.endswith(logs.TRUNCATED.format(pods=1, limit=10) + "\n")
    assert waiting not in capped
    monkeypatch.undo()

    assert o2.get(f"{item}/logs?tailLines=0").status_code == 204  # no lines asked for
    assert o2.get(f"{item}/logs?tailLines=x").status_code == 400
    assert o2.get(f"{item}/logs?since=1h").status_code == 400
    assert o2.get(f"{item}/logs?sinceSeconds=0").status_code == 400

    for pod in (running, waiting, f"intruder-{release}-x"):
        core.delete_namespaced_pod(pod, NAMESPACE, grace_period_seconds=0)
    apps.delete_namespaced_replica_set(f"intruder-{release}", NAMESPACE)
    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"


def test_container_without_a_log_on_its_node(
    o2: Any, manager: Any, helm_dms: Any, run_tasks: Any, kwok_node: KwokNode, core: k8s.CoreV1Api
) -> None:
    """The node answers, but has no log for the container: one honest line, the request still succeeds."""
    release, item = deploy(o2, manager, run_tasks)
    pod = f"{release}-5c6d-klmno"
    make_pod(core, pod, {logs.INSTANCE_LABEL: release}, ["main"], kwok_node.name)
    kwok_node.wait_running(NAMESPACE, pod)

    body = text(o2.get(f"{item}/logs"))
    assert body.startswith(f"==> pod {NAMESPACE}/{pod} container main <==\nlogs unavailable: ")
    assert body.count("\n") == 2

    core.delete_namespaced_pod(pod, NAMESPACE, grace_period_seconds=0)
    run_tasks(lambda: o2.delete(item))


def test_logs_of_a_missing_release_or_deployment_are_404(
    o2: Any, manager: Any, helm_dms: Any, run_tasks: Any, helm_binary: str, kube_cluster: Any
) -> None:
    import subprocess

    release, item = deploy(o2, manager, run_tasks)
    subprocess.run(
        [helm_binary, "uninstall", release, "-n", NAMESPACE],
        env={"KUBECONFIG": str(kube_cluster.kubeconfig), "HELM_CACHE_HOME": "/tmp/netweave-helm-test-cache"},
        check=True,
        capture_output=True,
    )
    gone = o2.get(f"{item}/logs")
    assert gone.status_code == 404, gone.content
    assert "not found" in json_of(gone)["detail"]

    unknown = o2.get(f"{base(manager)}/NfDeployment/{uuid.uuid4()}/logs")
    assert unknown.status_code == 404


def test_an_unreachable_api_server_is_backend_unavailable(kube_cluster: Any, tmp_path: Path) -> None:
    """The reader on a kubeconfig whose server nobody listens on: 503, not an empty answer."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = yaml.safe_load(kube_cluster.kubeconfig_text())
    config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump(config))
    reader = PodLogReader(str(kubeconfig), timeout_seconds=5)
    with pytest.raises(BackendUnavailable, match="unreachable"):
        reader.release_logs(NAMESPACE, "any", "", LogOptions())
    reader.close()


# --- the pure parts (plugins/dms/helm/logs.py) -----------------------------------------------------------------

MANIFEST = """
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
    matchLabels: {app: web, tier: front}
    matchExpressions:
      - {key: track, operator: In, values: [stable, canary]}
      - {key: legacy, operator: DoesNotExist}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: elsewhere}
spec: {selector: {matchLabels: {app: db}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec: {selector: {matchLabels: {app.kubernetes.io/instance: rel}}}
"""


def test_workloads_of_the_manifest_and_pod_ownership() -> None:
    workloads = logs.release_workloads(MANIFEST, "ns")
    assert workloads == [
        logs.Workload("Deployment", "web", "app=web,tier=front,track in (stable,canary),!legacy"),
        logs.Workload("DaemonSet", "agent", "app.kubernetes.io/instance=rel"),
    ]
    assert logs.release_workloads("", "ns") == []

    def pod(kind: str = "", name: str = "") -> dict[str, Any]:
        owners = [{"kind": kind, "name": name, "controller": True}] if kind else []
        return {"metadata": {"name": "p", "ownerReferences": [{"kind": "Node", "name": "n"}, *owners]}}

    by_deployment = {"web-5d8f": "web", "api-77aa": "api"}
    assert logs.owned_by_release(pod(), workloads, {})
    assert logs.owned_by_release(pod("DaemonSet", "agent"), workloads, {})
    assert logs.owned_by_release(pod("ReplicaSet", "web-5d8f"), workloads, by_deployment)
    assert not logs.owned_by_release(pod("ReplicaSet", "api-77aa"), workloads, by_deployment)
    assert not logs.owned_by_release(pod("StatefulSet", "web"), workloads, by_deployment)
    assert logs.needs_replicaset_owners([pod("DaemonSet", "agent"), pod("ReplicaSet", "web-5d8f")], workloads)
    assert not logs.needs_replicaset_owners([pod("DaemonSet", "agent"), pod()], workloads)


def test_notes_say_why_there_is_no_log() -> None:
    pending: dict[str, Any] = {
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}]},
        "status": {"phase": "Pending"},
    }
    assert logs.pod_note(pending) == "not scheduled to a node yet (phase Pending): no logs"
    bound = {**pending, "spec": {**pending["spec"], "nodeName": "n"}}
    assert logs.pod_note(bound) == ""
    assert logs.container_note(bound, "c") == "not started yet (no container status on the node): no logs"
    waiting = {**bound, "status": {"containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "Pull"}}}]}}
    assert logs.container_note(waiting, "c") == "not running yet (Pull): no logs"
    restarted = {**bound, "status": {"containerStatuses": [{"name": "c", "state": {}, "restartCount": 2}]}}
    assert logs.container_note(restarted, "c") == ""
    with_init = {"spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "c"}]}}
    assert logs.containers(with_init, "") == ["init", "c"]
    assert logs.containers(with_init, "c") == ["c"]


def test_sections_end_with_a_newline() -> None:
    pod = {"metadata": {"namespace": "ns", "name": "p"}}
    assert logs.section(logs.header(pod, "c"), b"a\nb") == b"==> pod ns/p container c <==\na\nb\n"
    assert logs.section(logs.header(pod), "") == b"==> pod ns/p <==\n"
