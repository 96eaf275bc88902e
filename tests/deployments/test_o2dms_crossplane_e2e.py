"""O2dms end to end with the Crossplane plugin: through netweave's HTTP API, on the real kube-apiserver with the
real Crossplane core composing the sample XRD's claims (tests/crossplane_harness.py).

An SMO subscribes, onboards a claim template (multipart, packageType `crossplane-claim`, routed to the
crossplane instance), deploys it, updates its parameters, rolls back to revision 1, reads status and history,
and deletes it. What Crossplane made is read back from the API server at each step: the claim, the composite
resource bound to it, the object it composed (a ClusterRole carrying the parameters) and the connection secrets
(the claim's, and the composite resource's in crossplane-system). After the delete none of them is left (the
garbage collector removes what the composite resource and claim owned), and the subscriber has received the
deployment's changes, with the connection secret named but its values nowhere.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from inventory.notifications.receiver import Receiver
from tests.crossplane_harness import CLAIM_PLURAL, COMPOSITION, GROUP, VERSION, XR_PLURAL
from tests.deployments.conftest import base
from tests.deployments.test_crossplane_contract import claim_template
from tests.o2client import json_of

pytestmark = [pytest.mark.backend, pytest.mark.kubernetes, pytest.mark.crossplane]

SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"
NAMESPACE = "ran"
CLAIM_LABEL = "crossplane.io/claim-name"


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


def found(read: Callable[..., Any], *args: Any) -> Any:
    """What `read(*args)` answers, or None when the API server says 404."""
    try:
        return read(*args)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def claim(objects: k8s.CustomObjectsApi, name: str) -> dict[str, Any] | None:
    return found(objects.get_namespaced_custom_object, GROUP, VERSION, NAMESPACE, CLAIM_PLURAL, name)


def composites(objects: k8s.CustomObjectsApi, name: str) -> list[dict[str, Any]]:
    """The composite resources Crossplane bound to claim `name` (it labels them with the claim's name)."""
    listed = objects.list_cluster_custom_object(GROUP, VERSION, XR_PLURAL, label_selector=f"{CLAIM_LABEL}={name}")
    return list(listed.get("items") or [])


def composed(rbac: k8s.RbacAuthorizationV1Api, name: str) -> list[Any]:
    """The objects Crossplane composed for claim `name`: the sample Composition's ClusterRole."""
    return list(rbac.list_cluster_role(label_selector=f"{CLAIM_LABEL}={name}").items)


def until(condition: Callable[[], Any], what: str, timeout: float = 60) -> Any:
    """`condition()` once it is truthy: Crossplane and the garbage collector act on their own time."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"{what}: not after {timeout} s"
        time.sleep(0.1)
    return result


def test_crossplane_lifecycle_on_the_api_server(
    o2: Any, manager: Any, crossplane_dms: Any, run_tasks: Any, receiver: Receiver, kube: Any
) -> None:
    objects, core = kube
    rbac = k8s.RbacAuthorizationV1Api(core.api_client)
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
    # Deployed: Crossplane bound a composite resource, composed its ClusterRole and published the connection
    # details to the claim's secret, and its Synced/Ready conditions are what the status reports.
    first_status = json_of(o2.get(f"{item}/status"))
    assert first_status["status"] == "deployed"
    assert (first_status["details"]["synced"], first_status["details"]["ready"]) == ("True", "True")
    assert first_status["details"]["connectionSecret"] == f"{NAMESPACE}/{name}-connection"
    current = claim(objects, name)
    assert current is not None
    assert current["spec"]["parameters"] == {"sliceType": "eMBB", "bandwidthMbps": 100, "site": "paris"}
    assert current["spec"]["compositionSelector"] == {"matchLabels": {"tier": "edge"}}
    assert current["spec"]["writeConnectionSecretToRef"] == {"name": f"{name}-connection"}
    assert "finalizer.apiextensions.crossplane.io" in current["metadata"]["finalizers"]
    [xr] = composites(objects, name)
    assert first_status["details"]["compositeResource"] == xr["metadata"]["name"]
    assert xr["spec"]["compositionRef"] == {"name": COMPOSITION}  # Crossplane chose it by the selector
    xr_secret = xr["spec"]["writeConnectionSecretToRef"]
    assert xr_secret["namespace"] == "crossplane-system"
    [role] = composed(rbac, name)
    assert role.metadata.annotations[f"{GROUP}/site"] == "paris"
    # The connection secret is referenced in the NfDeployment (and its notifications), its data never read.
    assert nf["extensions"]["crossplane.connectionSecret"] == {"name": f"{name}-connection", "namespace": NAMESPACE}
    secret = core.read_namespaced_secret(f"{name}-connection", NAMESPACE)
    token = base64.b64decode(secret.data["token"]).decode()
    assert token == role.metadata.uid  # the Composition's connection detail, published by Crossplane
    assert base64.b64decode(secret.data["endpoint"]).decode() == f"https://{xr['metadata']['name']}.slices.example.org"
    for answer in (f"{base(manager)}/NfDeployment?all_fields", f"{item}?all_fields", f"{item}/status"):
        assert token not in o2.get(answer).content.decode()

    upgraded = run_tasks(lambda: o2.put(item, {"values": {"site": "lyon", "bandwidthMbps": 400}}))
    assert json_of(o2.get(upgraded["Location"]))["state"] == "SUCCEEDED"
    assert claim(objects, name)["spec"]["parameters"] == {"sliceType": "eMBB", "bandwidthMbps": 400, "site": "lyon"}
    # Crossplane syncs the claim to its composite resource and composes again.
    until(lambda: composed(rbac, name)[0].metadata.annotations.get(f"{GROUP}/site") == "lyon", "the role recomposed")
    assert objects.get_cluster_custom_object(GROUP, VERSION, XR_PLURAL, xr["metadata"]["name"])["spec"][
        "parameters"
    ] == {"sliceType": "eMBB", "bandwidthMbps": 400, "site": "lyon"}
    assert composed(rbac, name)[0].metadata.annotations[f"{GROUP}/bandwidth-mbps"] == "400"
    assert json_of(o2.get(f"{item}/status"))["revision"] == 2

    rolled = run_tasks(lambda: o2.post(f"{item}/rollback", {"revision": 1}))
    assert json_of(o2.get(rolled["Location"]))["state"] == "SUCCEEDED"
    assert claim(objects, name)["spec"]["parameters"] == {"sliceType": "eMBB", "bandwidthMbps": 100, "site": "paris"}
    until(lambda: composed(rbac, name)[0].metadata.annotations.get(f"{GROUP}/site") == "paris", "the role rolled back")

    status = until(
        lambda: (answer := json_of(o2.get(f"{item}/status")))["status"] == "deployed" and answer, "deployed again"
    )
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
    # Nothing is left: Crossplane deleted the composite resource, the garbage collector what it and the claim owned.
    until(lambda: not composites(objects, name), "the composite resource deleted")
    until(lambda: not composed(rbac, name), "the composed ClusterRole collected")
    until(
        lambda: not found(core.read_namespaced_secret, f"{name}-connection", NAMESPACE), "the claim's secret collected"
    )
    until(
        lambda: not found(core.read_namespaced_secret, xr_secret["name"], xr_secret["namespace"]),
        "the XR's secret gone",
    )

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
