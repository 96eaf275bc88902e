"""O2dms end to end through netweave's HTTP API with real helm against the real kube-apiserver.

Upload the test chart, deploy it and find its Deployment and Service on the API server, upgrade with new values,
scale (the Deployment's replicas change), roll back to revision 1, read history and status, delete (the objects
are gone). Bad input is a 4xx that leaves nothing behind. Operation records and the change log show each step.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from deployments.models import Deployment, DeploymentPackage, LifecycleOperation
from inventory.models import ChangeLogEntry
from plugins.testing.dms import archive
from tests.deployments.conftest import CHARTS, base, chart
from tests.o2client import json_of

GZIP = "application/gzip"
NAMESPACE = "netweave-e2e"


@pytest.fixture
def manager(cluster_manager: Any) -> Any:
    """Here the deployment manager is the real cluster (synced by the Kubernetes IMS plugin)."""
    return cluster_manager


@pytest.fixture
def kube_api(kube_cluster: Any) -> Iterator[tuple[k8s.AppsV1Api, k8s.CoreV1Api]]:
    api_client = kube_cluster.api_client()
    yield k8s.AppsV1Api(api_client), k8s.CoreV1Api(api_client)
    api_client.close()


def replicas(apps: k8s.AppsV1Api, name: str) -> int:
    return int(apps.read_namespaced_deployment(name, NAMESPACE).spec.replicas)


def exists(read: Any, name: str) -> bool:
    try:
        read(name, NAMESPACE)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def upload(o2: Any, manager: Any, content: bytes) -> Any:
    return o2.post(f"{base(manager)}/NfDeploymentDescriptor", content, content_type=GZIP)


def test_helm_lifecycle_on_the_api_server(
    o2: Any, manager: Any, helm_dms: Any, run_tasks: Any, kube_api: tuple[k8s.AppsV1Api, k8s.CoreV1Api]
) -> None:
    apps, core = kube_api
    created = upload(o2, manager, chart("netweave-demo"))
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    detail = json_of(o2.get(f"{base(manager)}/NfDeploymentDescriptor/{descriptor['id']}?all_fields"))
    assert detail["artifactName"] == "netweave-demo-0.1.0.tgz"
    assert detail["extensions"]["helm.chartVersion"] == "0.1.0"
    assert detail["inputParams"]["replicaCount"] == 1

    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": name, "descriptorId": descriptor["id"], "namespace": NAMESPACE, "values": {"replicaCount": 2}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3
    assert nf["extensions"]["netweave.nativeId"] == f"{NAMESPACE}/{name}"
    assert replicas(apps, name) == 2
    assert core.read_namespaced_service(name, NAMESPACE).spec.ports[0].port == 80

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"replicaCount": 2, "service": {"port": 8080}}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    assert core.read_namespaced_service(name, NAMESPACE).spec.ports[0].port == 8080
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2

    scaled = run_tasks(lambda: o2.post(f"{item}/scale", {"replicas": 5}))
    assert json_of(o2.get(scaled["Location"]))["state"] == "SUCCEEDED"
    assert replicas(apps, name) == 5
    assert core.read_namespaced_service(name, NAMESPACE).spec.ports[0].port == 8080

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    assert replicas(apps, name) == 2
    assert core.read_namespaced_service(name, NAMESPACE).spec.ports[0].port == 80
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["extensions"]["netweave.revision"] == 4
    assert nf["extensions"]["netweave.values"] == {"replicaCount": 2}

    status = json_of(o2.get(f"{item}/status"))
    assert status["status"] == "deployed"
    assert status["revision"] == 4
    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3, 4]
    assert [h["status"] for h in history] == ["superseded", "superseded", "superseded", "deployed"]
    assert "Rollback to 1" in history[-1]["description"]
    assert all(h["descriptorId"] == descriptor["id"] for h in history)
    logs = o2.get(f"{item}/logs")  # no controller-manager: no pods (tests/deployments/test_helm_logs.py has some)
    assert logs.status_code == 200
    assert logs.content.startswith(b"no pods of release")

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert not exists(apps.read_namespaced_deployment, name)
    assert not exists(core.read_namespaced_service, name)

    deployment_id = json_of(accepted)["nfDeploymentId"]
    operations = sorted(
        json_of(o2.get(f"{base(manager)}/operations?filter=(eq,nfDeploymentId,{deployment_id})")),
        key=lambda op: op["createdTime"],
    )
    assert [(op["operation"], op["state"]) for op in operations] == [
        ("install", "SUCCEEDED"),
        ("upgrade", "SUCCEEDED"),
        ("scale", "SUCCEEDED"),
        ("rollback", "SUCCEEDED"),
        ("delete", "SUCCEEDED"),
    ]
    revisions = [
        entry.post_state["extensions"]["netweave.revision"]
        for entry in ChangeLogEntry.objects.filter(object_id=deployment_id, action="modify").order_by("id")
    ]
    assert {1, 2, 3, 4} <= set(revisions)
    assert ChangeLogEntry.objects.filter(object_id=deployment_id, action="delete").count() == 1


def test_helm_bad_input_is_4xx_and_leaves_nothing(
    o2: Any,
    manager: Any,
    helm_dms: Any,
    synced_mock: Any,
    run_tasks: Any,
    helm_binary: str,
    kube_cluster: Any,
    kube_api: tuple[k8s.AppsV1Api, k8s.CoreV1Api],
) -> None:
    apps, core = kube_api
    corrupt = upload(o2, manager, b"\x1f\x8b\x08\x00 corrupt")
    assert corrupt.status_code == 400
    assert json_of(corrupt)["additionalAttributes"]["field"] == "chart"
    broken = upload(o2, manager, chart("broken-template"))
    assert broken.status_code == 400, broken.content
    assert "parse error" in json_of(broken)["detail"]
    assert json_of(broken)["additionalAttributes"]["field"] == "chart"
    assert not DeploymentPackage.objects.exists()
    assert list(Path(helm_dms.config["chartDir"]).glob("*.tgz")) == []

    # Another deployment manager (of the mock O-Cloud): no DMS instance serves it, so nothing is routed there.
    from inventory.models import DeploymentManager

    other = DeploymentManager.objects.filter(plugin_instance=synced_mock).first()
    unserved = upload(o2, other, chart("netweave-demo"))
    assert unserved.status_code == 503
    assert other.name in json_of(unserved)["detail"]

    descriptor = json_of(upload(o2, manager, chart("netweave-demo")))
    unknown_dm = f"/o2dms/v1/{uuid.uuid4()}/O2dms_DeploymentLifecycle/NfDeployment"
    assert o2.post(unknown_dm, {"name": "x", "descriptorId": descriptor["id"]}).status_code == 404

    deploy = f"{base(manager)}/NfDeployment"
    missing_value = o2.post(
        deploy,
        {
            "name": "nf-missing",
            "descriptorId": descriptor["id"],
            "namespace": NAMESPACE,
            "values": {"image": {"repository": None}},
        },
    )
    assert missing_value.status_code == 400, missing_value.content
    assert "image.repository is required" in json_of(missing_value)["detail"]
    assert json_of(missing_value)["additionalAttributes"]["field"] == "values"

    # A release that exists in the cluster but not in netweave: its name is taken.
    subprocess.run(
        [helm_binary, "install", "taken", str(CHARTS / "netweave-demo"), "-n", NAMESPACE, "--create-namespace"],
        env={"KUBECONFIG": str(kube_cluster.kubeconfig), "HELM_CACHE_HOME": "/tmp/netweave-helm-test-cache"},
        check=True,
        capture_output=True,
    )
    try:
        taken = o2.post(deploy, {"name": "taken", "descriptorId": descriptor["id"], "namespace": NAMESPACE})
        assert taken.status_code == 409
        assert json_of(taken)["additionalAttributes"]["field"] == "name"
    finally:
        subprocess.run(
            [helm_binary, "uninstall", "taken", "-n", NAMESPACE],
            env={"KUBECONFIG": str(kube_cluster.kubeconfig), "HELM_CACHE_HOME": "/tmp/netweave-helm-test-cache"},
            check=True,
            capture_output=True,
        )
    assert not Deployment.objects.exists()
    assert not LifecycleOperation.objects.exists()
    assert not exists(apps.read_namespaced_deployment, "nf-missing")

    accepted = run_tasks(
        lambda: o2.post(deploy, {"name": "nf-rb", "descriptorId": descriptor["id"], "namespace": NAMESPACE})
    )
    item = f"{deploy}/{json_of(accepted)['nfDeploymentId']}"
    no_revision = o2.post(f"{item}/rollback", {"revision": 9})
    assert no_revision.status_code == 400
    assert json_of(no_revision)["additionalAttributes"]["field"] == "revision"
    bad_upgrade = o2.put(item, {"values": {"image": {"repository": None}}})
    assert bad_upgrade.status_code == 400
    assert LifecycleOperation.objects.count() == 1
    assert json_of(o2.get(f"{item}/status"))["revision"] == 1
    run_tasks(lambda: o2.delete(item))
    assert not exists(apps.read_namespaced_deployment, "nf-rb")

    # Renders, but the API server refuses the objects: the operation fails and no release is left behind.
    refused = run_tasks(
        lambda: o2.post(
            deploy,
            {
                "name": "nf-refused",
                "descriptorId": descriptor["id"],
                "namespace": NAMESPACE,
                "values": {"service": {"port": 700000}},
            },
        )
    )
    operation = json_of(o2.get(refused["Location"]))
    assert operation["state"] == "FAILED"
    assert operation["error"]
    nf = json_of(o2.get(f"{deploy}/{operation['nfDeploymentId']}"))
    assert nf["status"] == 1  # not installed
    assert not exists(core.read_namespaced_service, "nf-refused")
    assert (
        "nf-refused"
        not in subprocess.run(
            [helm_binary, "list", "-a", "-n", NAMESPACE, "-q"],
            env={"KUBECONFIG": str(kube_cluster.kubeconfig), "HELM_CACHE_HOME": "/tmp/netweave-helm-test-cache"},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    gone = run_tasks(lambda: o2.delete(f"{deploy}/{operation['nfDeploymentId']}"))
    assert json_of(o2.get(gone["Location"]))["state"] == "SUCCEEDED"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def chart_repository(tmp_path: Path, helm_binary: str) -> Iterator[str]:
    """A real chart repository on loopback: the test chart as version 0.2.0 plus an index made by helm."""
    root = tmp_path / "repo"
    root.mkdir()
    files = {
        str(p.relative_to(CHARTS / "netweave-demo")): p.read_bytes()
        for p in (CHARTS / "netweave-demo").rglob("*")
        if p.is_file()
    }
    files["Chart.yaml"] = files["Chart.yaml"].replace(b"version: 0.1.0", b"version: 0.2.0")
    (root / "netweave-demo-0.2.0.tgz").write_bytes(archive(files, "netweave-demo"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    url = f"http://127.0.0.1:{server.server_address[1]}"
    subprocess.run([helm_binary, "repo", "index", str(root), "--url", url], check=True, capture_output=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def test_chart_from_a_repository(o2: Any, manager: Any, helm_dms: Any, chart_repository: str, run_tasks: Any) -> None:
    refused = o2.post(
        f"{base(manager)}/NfDeploymentDescriptor",
        {"artifactRepoUrl": chart_repository, "artifactName": "netweave-demo", "version": "0.2.0"},
    )
    assert refused.status_code == 400, "a repository the instance does not allow is never fetched"
    assert json_of(refused)["additionalAttributes"]["field"] == "artifactRepoUrl"

    helm_dms.config["allowedRepositories"] = [chart_repository]
    helm_dms.save()
    created = o2.post(
        f"{base(manager)}/NfDeploymentDescriptor",
        {"artifactRepoUrl": chart_repository, "artifactName": "netweave-demo", "version": "0.2.0"},
    )
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    assert descriptor["artifactRepoUrl"] == chart_repository
    assert descriptor["artifactName"] == "netweave-demo-0.2.0.tgz"
    absent = o2.post(
        f"{base(manager)}/NfDeploymentDescriptor",
        {"artifactRepoUrl": chart_repository, "artifactName": "netweave-demo", "version": "9.9.9"},
    )
    assert absent.status_code == 400, absent.content

    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": "from-repo", "descriptorId": descriptor["id"], "namespace": NAMESPACE},
        )
    )
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    assert json_of(o2.get(f"{item}/history"))[0]["appVersion"] == "1.0"
    run_tasks(lambda: o2.delete(item))
    assert o2.get(item).status_code == 404
