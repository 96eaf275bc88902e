"""O2dms end to end with the kustomize plugin: the pinned kustomize CLI renders, server-side apply on the real
kube-apiserver, through netweave's HTTP API with Celery inline.

An SMO subscribes, onboards a kustomization archive (multipart, packageType `kustomize`, routed to the
kustomize instance by its routing rule), deploys it with overlay values, updates it (a name suffix: the new
objects are applied and the old ones pruned), rolls back to revision 1 (its stored render is re-applied),
reads status and history, and deletes it: nothing labelled as the deployment, and no inventory, is left.
Unsafe archives are 400 naming the field; the subscriber receives the deployment's changes.
"""

from __future__ import annotations

import io
import tarfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart
from django.urls import reverse
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from deployments.models import DeploymentPackage
from inventory.notifications.receiver import Receiver
from plugins.dms.kustomize.mapping import DEPLOYMENT_LABEL, inventory_name
from plugins.testing.dms import archive
from tests.deployments.conftest import REPO, base
from tests.o2client import json_of

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.kustomize]

NAMESPACE = "netweave-e2e"
OVERLAY = REPO / "tests" / "fixtures" / "kustomize" / "netweave-overlay"
SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"


def overlay() -> bytes:
    files = {str(p.relative_to(OVERLAY)): p.read_bytes() for p in sorted(OVERLAY.rglob("*")) if p.is_file()}
    return archive(files, OVERLAY.name)


def upload(o2: Any, manager: Any, content: bytes, package_type: str = "kustomize") -> Any:
    body = encode_multipart(
        BOUNDARY, {"chart": SimpleUploadedFile("overlay.tgz", content), "packageType": package_type}
    )
    return o2.post(
        f"{base(manager)}/NfDeploymentDescriptor", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


@pytest.fixture
def manager(cluster_manager: Any) -> Any:
    return cluster_manager


@pytest.fixture
def kube_api(kube_cluster: Any) -> Iterator[tuple[k8s.AppsV1Api, k8s.CoreV1Api]]:
    api_client = kube_cluster.api_client()
    yield k8s.AppsV1Api(api_client), k8s.CoreV1Api(api_client)
    api_client.close()


def exists(read: Any, name: str) -> bool:
    try:
        read(name, NAMESPACE)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


def labelled(apps: k8s.AppsV1Api, core: k8s.CoreV1Api, name: str) -> list[str]:
    selector = f"{DEPLOYMENT_LABEL}={name}"
    return [
        *(
            f"Deployment/{d.metadata.name}"
            for d in apps.list_namespaced_deployment(NAMESPACE, label_selector=selector).items
        ),
        *(f"Service/{s.metadata.name}" for s in core.list_namespaced_service(NAMESPACE, label_selector=selector).items),
    ]


def test_kustomize_lifecycle_on_the_api_server(
    o2: Any,
    manager: Any,
    kustomize_dms: Any,
    run_tasks: Any,
    receiver: Receiver,
    kube_api: tuple[k8s.AppsV1Api, k8s.CoreV1Api],
) -> None:
    apps, core = kube_api
    subscribed = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/smo", "filter": "(eq,objectType,NfDeployment)"})
    assert subscribed.status_code == 201, subscribed.content

    created = upload(o2, manager, overlay())
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    detail = json_of(o2.get(f"{base(manager)}/NfDeploymentDescriptor/{descriptor['id']}?all_fields"))
    assert detail["artifactName"] == "netweave-overlay-0.1.0.tgz"
    assert detail["extensions"]["netweave.version"] == "0.1.0"
    assert detail["extensions"]["netweave.packageType"] == "kustomize"
    assert DeploymentPackage.objects.get(id=descriptor["id"]).plugin_instance == kustomize_dms

    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {
                "name": name,
                "descriptorId": descriptor["id"],
                "namespace": NAMESPACE,
                "values": {"replicas": [{"name": "web", "count": 2}], "namePrefix": f"{name}-"},
            },
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3
    assert nf["extensions"]["netweave.nativeId"] == f"{NAMESPACE}/{name}"
    web = apps.read_namespaced_deployment(f"{name}-web", NAMESPACE)
    assert web.spec.replicas == 2
    assert web.metadata.annotations["netweave.io/overlay"] == "edge"  # the package's own patch
    assert any(f.manager == "netweave-kustomize" for f in web.metadata.managed_fields)
    assert sorted(labelled(apps, core, name)) == [f"Deployment/{name}-web", f"Service/{name}-web"]

    upgraded = run_tasks(
        lambda: o2.put(item, {"values": {"replicas": [{"name": "web", "count": 3}], "namePrefix": f"{name}-v2-"}})
    )
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    assert apps.read_namespaced_deployment(f"{name}-v2-web", NAMESPACE).spec.replicas == 3
    assert sorted(labelled(apps, core, name)) == [f"Deployment/{name}-v2-web", f"Service/{name}-v2-web"]  # pruned
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    assert apps.read_namespaced_deployment(f"{name}-web", NAMESPACE).spec.replicas == 2
    assert sorted(labelled(apps, core, name)) == [f"Deployment/{name}-web", f"Service/{name}-web"]
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["extensions"]["netweave.revision"] == 3
    assert nf["extensions"]["netweave.values"]["namePrefix"] == f"{name}-"

    status = json_of(o2.get(f"{item}/status"))
    assert status["status"] == "deployed"
    assert status["revision"] == 3
    # No controller-manager runs in the harness, so no pod is ever ready: the details say so.
    assert status["details"] == {
        f"Deployment/{NAMESPACE}/{name}-web": "present, 0/2 ready",
        f"Service/{NAMESPACE}/{name}-web": "present",
    }
    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]
    assert history[-1]["description"] == "Rollback to 1"
    assert o2.get(f"{item}/logs").status_code == 501  # the plugin keeps no logs and says so

    # An object changed behind netweave's back shows in the status, read from the applied objects.
    core.delete_namespaced_service(f"{name}-web", NAMESPACE)
    degraded = json_of(o2.get(f"{item}/status"))
    assert degraded["status"] == "failed"
    assert "1 of 2" in degraded["message"]
    assert degraded["details"][f"Service/{NAMESPACE}/{name}-web"] == "missing"

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert labelled(apps, core, name) == []
    assert not exists(core.read_namespaced_config_map, inventory_name(name))

    bodies = receiver.wait_for(lambda b: any(n["notificationEventType"] == 2 for n in b))
    events = [n["notificationEventType"] for n in bodies]
    assert events[0] == 0
    assert 1 in events
    assert events[-1] == 2


def tgz(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for path in links:
            info = tarfile.TarInfo(path)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x1f\x8b\x08\x00 corrupt", "not a gzip"),
        (tgz({"o/kustomization.yaml": b"resources: [../../etc]\n"}), "not a file or folder of the archive"),
        (tgz({"o/kustomization.yaml": b"resources: [https://example.com/x.yaml]\n"}), "remote"),
        (tgz({"o/../escape.yaml": b"x: 1\n", "o/kustomization.yaml": b"{}\n"}), "leaving its folder"),
        (tgz({"o/kustomization.yaml": b"{}\n"}, links=("o/passwd",)), "links are not accepted"),
        (tgz({"o/deployment.yaml": b"{}\n"}), "no o/kustomization.yaml"),
    ],
)
def test_unsafe_or_broken_archives_are_400(
    o2: Any, manager: Any, kustomize_dms: Any, content: bytes, words: str
) -> None:
    refused = upload(o2, manager, content)
    assert refused.status_code == 400, refused.content
    problem = json_of(refused)
    assert words in problem["detail"]
    assert problem["additionalAttributes"]["field"] == "chart"
    assert not DeploymentPackage.objects.exists()


def test_overlay_that_does_not_build_and_bad_values_are_400(o2: Any, manager: Any, kustomize_dms: Any) -> None:
    broken = archive({"kustomization.yaml": "nameSuffix: [not, a, string]\n"}, "broken")
    refused = upload(o2, manager, broken)
    assert refused.status_code == 400, refused.content
    assert json_of(refused)["additionalAttributes"]["field"] == "chart"
    assert "kustomize build failed" in json_of(refused)["detail"]
    descriptor = json_of(upload(o2, manager, overlay()))
    bad = o2.post(
        f"{base(manager)}/NfDeployment",
        {"name": "nf-bad", "descriptorId": descriptor["id"], "namespace": NAMESPACE, "values": {"port": 1}},
    )
    assert bad.status_code == 400, bad.content
    assert json_of(bad)["additionalAttributes"]["field"] == "values"


def test_routing_simulator_sends_kustomize_packages_to_the_kustomize_instance(
    admin_client: Client, manager: Any, kustomize_dms: Any
) -> None:
    response = admin_client.get(
        reverse("admin:plugins_routingrule_simulate"),
        {"category": "dms", "match_type": "kustomize", "attributes": f'{{"deploymentManager": "{manager.name}"}}'},
    )
    assert response.status_code == 200
    assert response.context["outcome"]["instance"] == kustomize_dms
