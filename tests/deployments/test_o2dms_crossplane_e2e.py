"""O2dms end to end with the Crossplane plugin: through netweave's HTTP API, on the real kube-apiserver with
Crossplane's own CRDs and the sample XRD, the test playing Crossplane (tests/crossplane_harness.py).

An SMO subscribes, onboards a claim template (multipart, packageType `crossplane-claim`, routed to the
crossplane instance), deploys it, updates its parameters, rolls back to revision 1, reads status and history,
and deletes it; the claim, its composite resource and its connection secret are read back from the API server
at each step (nothing is left at the end), and the subscriber receives the deployment's changes.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from inventory.notifications.receiver import Receiver
from tests.crossplane_harness import CLAIM_PLURAL, GROUP, VERSION, XR_PLURAL
from tests.deployments.conftest import base
from tests.deployments.test_crossplane_contract import claim_template
from tests.o2client import json_of

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.crossplane]

SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"
NAMESPACE = "ran"


@pytest.fixture
def manager(cluster_manager: Any) -> Any:
    return cluster_manager


@pytest.fixture
def kube(kube_cluster: Any) -> Iterator[tuple[k8s.CustomObjectsApi, k8s.CoreV1Api]]:
    api_client = kube_cluster.api_client()
    core = k8s.CoreV1Api(api_client)
    try:
        core.create_namespace({"metadata": {"name": NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    yield k8s.CustomObjectsApi(api_client), core
    api_client.close()


def upload(o2: Any, manager: Any, content: bytes, package_type: str = "crossplane-claim") -> Any:
    body = encode_multipart(BOUNDARY, {"chart": SimpleUploadedFile("claim.yaml", content), "packageType": package_type})
    return o2.post(
        f"{base(manager)}/NfDeploymentDescriptor", body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def claim(objects: k8s.CustomObjectsApi, name: str) -> dict[str, Any] | None:
    try:
        return dict(objects.get_namespaced_custom_object(GROUP, VERSION, NAMESPACE, CLAIM_PLURAL, name))
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def composites(objects: k8s.CustomObjectsApi, name: str) -> list[str]:
    listed = objects.list_cluster_custom_object(
        GROUP, VERSION, XR_PLURAL, label_selector=f"crossplane.io/claim-name={name}"
    )
    return [item["metadata"]["name"] for item in listed.get("items") or []]


def test_crossplane_lifecycle_on_the_api_server(
    o2: Any, manager: Any, crossplane_dms: Any, run_tasks: Any, receiver: Receiver, kube: Any
) -> None:
    objects, core = kube
    subscribed = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/smo", "filter": "(eq,objectType,NfDeployment)"})
    assert subscribed.status_code == 201, subscribed.content

    template = f"slice-{uuid.uuid4().hex[:6]}"
    created = upload(o2, manager, claim_template(template, bandwidthMbps=100))
    assert created.status_code == 201, created.content
    descriptor = json_of(o2.get(f"{base(manager)}/NfDeploymentDescriptor/{json_of(created)['id']}?all_fields"))
    assert descriptor["name"] == template
    assert descriptor["extensions"]["netweave.packageType"] == "crossplane-claim"
    assert descriptor["extensions"]["crossplane.kind"] == "NetworkSlice"
    assert descriptor["inputParams"] == {"sliceType": "eMBB", "bandwidthMbps": 100}

    name = f"nf-{uuid.uuid4().hex[:6]}"
    accepted = run_tasks(
        lambda: o2.post(
            f"{base(manager)}/NfDeployment",
            {"name": name, "descriptorId": descriptor["id"], "namespace": NAMESPACE, "values": {"site": "paris"}},
        )
    )
    assert accepted.status_code == 202, accepted.content
    assert json_of(o2.get(accepted["Location"]))["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{json_of(accepted)['nfDeploymentId']}"
    nf = json_of(o2.get(f"{item}?all_fields"))
    assert nf["status"] == 3
    assert nf["extensions"]["netweave.nativeId"] == f"{NAMESPACE}/{name}"
    first_status = json_of(o2.get(f"{item}/status"))
    assert first_status["details"]["connectionSecret"] == f"{NAMESPACE}/{name}-connection"
    # The connection secret is referenced in the NfDeployment (and its notifications), its data never read.
    assert nf["extensions"]["crossplane.connectionSecret"] == {"name": f"{name}-connection", "namespace": NAMESPACE}
    secret = core.read_namespaced_secret(f"{name}-connection", NAMESPACE)
    token = base64.b64decode(secret.data["token"]).decode()
    listed = o2.get(f"{base(manager)}/NfDeployment?all_fields")
    assert token not in listed.content.decode()
    assert token not in o2.get(f"{item}/status").content.decode()
    current = claim(objects, name)
    assert current is not None
    assert current["spec"]["parameters"] == {"sliceType": "eMBB", "bandwidthMbps": 100, "site": "paris"}
    assert current["spec"]["compositionSelector"] == {"matchLabels": {"tier": "edge"}}
    assert current["spec"]["writeConnectionSecretToRef"] == {"name": f"{name}-connection"}
    xr_names = composites(objects, name)
    assert len(xr_names) == 1
    assert first_status["details"]["compositeResource"] == xr_names[0]
    # The connection secret is Crossplane's: netweave names it and never copies its values.
    token = base64.b64decode(core.read_namespaced_secret(f"{name}-connection", NAMESPACE).data["token"]).decode()
    assert token not in o2.get(f"{item}?all_fields").content.decode()
    assert token not in o2.get(f"{item}/status").content.decode()

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"site": "lyon", "bandwidthMbps": 400}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    assert claim(objects, name)["spec"]["parameters"] == {"sliceType": "eMBB", "bandwidthMbps": 400, "site": "lyon"}
    xr = objects.get_cluster_custom_object(GROUP, VERSION, XR_PLURAL, xr_names[0])
    assert xr["spec"]["parameters"]["site"] == "lyon"  # Crossplane synced the claim to its composite
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    assert claim(objects, name)["spec"]["parameters"] == {"sliceType": "eMBB", "bandwidthMbps": 100, "site": "paris"}

    status = json_of(o2.get(f"{item}/status"))
    assert status["status"] == "deployed"
    assert status["revision"] == 3
    assert status["details"]["synced"] == "True"
    assert status["details"]["ready"] == "True"
    assert status["details"]["readyReason"] == "Available"
    assert status["details"]["connectionSecret"] == f"{NAMESPACE}/{name}-connection"
    history = json_of(o2.get(f"{item}/history"))
    assert [h["revision"] for h in history] == [1, 2, 3]
    assert [h["status"] for h in history] == ["superseded", "superseded", "deployed"]
    assert history[-1]["description"] == "Rollback to 1"
    assert o2.post(f"{item}/scale", {"replicas": 2}).status_code == 501

    deleted = run_tasks(lambda: o2.delete(item))
    assert json_of(o2.get(deleted["Location"]))["state"] == "SUCCEEDED"
    assert o2.get(item).status_code == 404
    assert claim(objects, name) is None
    assert composites(objects, name) == []
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_secret(f"{name}-connection", NAMESPACE)
    assert gone.value.status == 404

    bodies = receiver.wait_for(lambda b: any(n["notificationEventType"] == 2 for n in b))
    events = [n["notificationEventType"] for n in bodies]
    assert events[0] == 0
    assert 1 in events
    assert events[-1] == 2
    reference = {"name": f"{name}-connection", "namespace": NAMESPACE}
    assert reference in [_connection(n) for n in bodies]
    assert token not in str(bodies)


def _connection(notification: dict[str, Any]) -> Any:
    """The connection secret reference a notification's NfDeployment carries, if any."""
    for state in ("postObjectState", "priorObjectState"):
        found = ((notification.get(state) or {}).get("extensions") or {}).get("crossplane.connectionSecret")
        if found:
            return found
    return None


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"a: &a [*a]\n", "recursive"),
        (
            b"apiVersion: nf.example.org/v1alpha1\nkind: NetworkSlice\nmetadata: {name: x}\nspec:\n"
            b"  writeConnectionSecretToRef: {name: stolen}\n",
            "writeConnectionSecretToRef",
        ),
        (b"apiVersion: other.example.org/v1\nkind: NetworkSlice\nmetadata: {name: x}\n", "other.example.org"),
        (b"apiVersion: nf.example.org/v1alpha1\nkind: Pod\nmetadata: {name: x}\n", "Pod"),
        (b"- not\n- a mapping\n", "mapping"),
        (b"apiVersion: nf.example.org/v1alpha1\nkind: NetworkSlice\nmetadata: {name: x}\n#" + b"x" * 300_000, "limit"),
    ],
    ids=["alias-loop", "smuggled-key", "other-xrd", "other-kind", "not-a-mapping", "too-large"],
)
def test_unsafe_or_foreign_claim_templates_are_refused(
    o2: Any, manager: Any, crossplane_dms: Any, content: bytes, words: str
) -> None:
    refused = upload(o2, manager, content)
    assert refused.status_code == 400, refused.content
    problem = json_of(refused)
    assert words in problem["detail"]
    assert "chart" in str(problem)


def test_routing_simulator_sends_claim_templates_to_crossplane(
    admin_client: Any, manager: Any, crossplane_dms: Any
) -> None:
    from django.urls import reverse

    response = admin_client.get(
        reverse("admin:plugins_routingrule_simulate"),
        {
            "category": "dms",
            "match_type": "crossplane-claim",
            "attributes": f'{{"deploymentManager": "{manager.name}"}}',
        },
    )
    assert response.status_code == 200
    assert response.context["outcome"]["instance"] == crossplane_dms
