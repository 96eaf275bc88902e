"""O2dms change notifications end to end: an SMO subscribes through /netweave-dms-ext/v1/subscriptions, drives
a deployment through the O2dms API (mock DMS engine, Celery inline), and a real loopback receiver gets the
descriptor, deployment and operation changes through the durable outbox; filters select, kinds stay apart,
bad subscriptions are 4xx naming the field."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from inventory.models import Notification, Subscription
from inventory.notifications.receiver import Receiver
from tests.deployments.conftest import base, chart
from tests.o2client import json_of

SUBSCRIPTIONS = "/netweave-dms-ext/v1/subscriptions"
GZIP = "application/gzip"
OK_CALLBACK = "http://127.0.0.1:9/smo"  # allow-listed in the tests that use it


def subscribe(o2: Any, callback: str, **fields: Any) -> dict[str, Any]:
    response = o2.post(SUBSCRIPTIONS, {"callback": callback, **fields})
    assert response.status_code == 201, response.content
    assert response["Location"] == f"{SUBSCRIPTIONS}/{json_of(response)['subscriptionId']}"
    return json_of(response)


def deploy(o2: Any, manager: Any, run_tasks: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Upload the demo chart and deploy it; the descriptor and the finished install operation."""
    created = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeploymentDescriptor", chart("netweave-demo"), content_type=GZIP)
    )
    assert created.status_code == 201, created.content
    descriptor = json_of(created)
    accepted = run_tasks(
        lambda: o2.post(f"{base(manager)}/NfDeployment", {"name": "nf-n", "descriptorId": descriptor["id"]})
    )
    assert accepted.status_code == 202, accepted.content
    return descriptor, json_of(o2.get(accepted["Location"]))


def test_lifecycle_is_notified(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any, receiver: Receiver) -> None:
    subscribe(o2, receiver.url + "/all", consumerSubscriptionId="smo-dms-1")
    descriptor, install = deploy(o2, manager, run_tasks)
    assert install["state"] == "SUCCEEDED"
    item = f"{base(manager)}/NfDeployment/{install['nfDeploymentId']}"
    assert run_tasks(lambda: o2.delete(item)).status_code == 202

    bodies = receiver.wait_for(
        lambda b: any(n["objectType"] == "NfDeployment" and n["notificationEventType"] == 2 for n in b)
    )
    assert {n["consumerSubscriptionId"] for n in bodies} == {"smo-dms-1"}
    assert {n["deploymentManagerId"] for n in bodies} == {str(manager.id)}
    by_type = {
        kind: [n for n in bodies if n["objectType"] == kind]
        for kind in ("NfDeploymentDescriptor", "NfDeployment", "NfDeploymentOperation")
    }

    (created,) = by_type["NfDeploymentDescriptor"]
    assert created["notificationEventType"] == 0
    assert created["postObjectState"]["id"] == descriptor["id"]
    assert created["objectRef"].endswith(f"{base(manager)}/NfDeploymentDescriptor/{descriptor['id']}")

    deployment_events = [n["notificationEventType"] for n in by_type["NfDeployment"]]
    assert deployment_events[0] == 0
    assert deployment_events[-1] == 2
    assert 1 in deployment_events
    installed = [
        n for n in by_type["NfDeployment"] if n["notificationEventType"] == 1 and n["postObjectState"]["status"] == 3
    ]
    assert installed, "the deployment reaching Installed is notified"
    assert installed[0]["objectRef"].endswith(item)
    gone = by_type["NfDeployment"][-1]
    assert "objectRef" not in gone
    assert "postObjectState" not in gone
    assert gone["priorObjectState"]["id"] == install["nfDeploymentId"]

    operation_states = [
        (n["postObjectState"]["operation"], n["postObjectState"]["state"]) for n in by_type["NfDeploymentOperation"]
    ]
    assert ("install", "SUCCEEDED") in operation_states
    assert ("delete", "SUCCEEDED") in operation_states
    finished = next(n for n in by_type["NfDeploymentOperation"] if n["postObjectState"]["state"] == "SUCCEEDED")
    assert finished["objectRef"].endswith(f"{base(manager)}/operations/{finished['postObjectState']['operationId']}")
    assert json_of(o2.get(urlsplit(finished["objectRef"]).path))["state"] == "SUCCEEDED"


def test_filter_selects_finished_operations(
    o2: Any, manager: Any, mock_dms: Any, run_tasks: Any, receiver: Receiver
) -> None:
    subscribe(o2, receiver.url + "/done", filter="(eq,objectType,NfDeploymentOperation);(in,state,SUCCEEDED,FAILED)")
    subscribe(o2, receiver.url + "/other-manager", filter=f"(neq,deploymentManagerId,{manager.id})")
    deploy(o2, manager, run_tasks)
    bodies = receiver.wait_for(lambda b: len(b) >= 1)
    assert [(n["objectType"], n["postObjectState"]["state"]) for n in bodies] == [
        ("NfDeploymentOperation", "SUCCEEDED")
    ]
    assert receiver.bodies() == bodies, "nothing reaches the subscriber watching another deployment manager"


def test_kinds_stay_apart(o2: Any, manager: Any, mock_dms: Any, run_tasks: Any, receiver: Receiver) -> None:
    inventory = o2.post("/o2ims-infrastructureInventory/v1/subscriptions", {"callback": receiver.url + "/inventory"})
    assert inventory.status_code == 201
    dms = subscribe(o2, receiver.url + "/dms")
    deploy(o2, manager, run_tasks)
    notified = set(Notification.objects.values_list("subscription__kind", flat=True))
    assert notified == {Subscription.Kind.DMS}
    assert json_of(o2.get("/o2ims-infrastructureInventory/v1/subscriptions"))[0]["callback"].endswith("/inventory")
    assert [s["subscriptionId"] for s in json_of(o2.get(SUBSCRIPTIONS))] == [dms["subscriptionId"]]


def test_subscriptions_crud(o2: Any, receiver: Receiver) -> None:
    callback = receiver.url + "/crud"
    created = subscribe(o2, callback, filter="(eq,objectType,NfDeployment)")
    item = f"{SUBSCRIPTIONS}/{created['subscriptionId']}"
    assert json_of(o2.get(item)) == created
    assert json_of(o2.get(f"{SUBSCRIPTIONS}?filter=(eq,callback,{callback})")) == [created]
    duplicate = o2.post(SUBSCRIPTIONS, {"callback": callback, "filter": "(eq,objectType,NfDeployment)"})
    assert duplicate.status_code == 409
    assert o2.delete(item).status_code == 204
    assert o2.get(item).status_code == 404
    assert o2.delete(item).status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "callback", "required"),
        ({"callback": OK_CALLBACK, "filter": "(eq,objectType,ResourceInfo)"}, "filter", "ResourceInfo"),
        ({"callback": OK_CALLBACK, "filter": "(eq,location,lab)"}, "filter", "location"),
        ({"callback": OK_CALLBACK, "filter": "(eq,status,notanumber)"}, "filter", "status"),
        ({"callback": OK_CALLBACK, "filter": "(eq,deploymentManagerId/a,1)"}, "filter", "sub-attributes"),
        ({"callback": "http://10.0.0.1/x"}, "callback", "callback"),
        ({"callback": OK_CALLBACK, "colour": "red"}, "colour", "colour"),
    ],
)
def test_bad_subscriptions(o2: Any, settings: Any, body: dict[str, Any], field: str, words: str) -> None:
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]
    response = o2.post(SUBSCRIPTIONS, body)
    assert response.status_code == 400, response.content
    problem = json_of(response)
    assert field in str(problem.get("additionalAttributes", {})) or field in problem["detail"], problem
    assert words in str(problem), problem
    assert not Subscription.objects.filter(kind=Subscription.Kind.DMS).exists()


def test_subscribing_needs_the_subscriber_role(anonymous_client: Any, make_api_token: Any, settings: Any) -> None:
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]

    def post(token: str) -> int:
        response = anonymous_client.post(
            SUBSCRIPTIONS,
            {"callback": OK_CALLBACK},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        return int(response.status_code)

    assert post(make_api_token("deployer")) == 403
    assert post(make_api_token("subscriber")) == 201


def test_version_discovery(o2: Any) -> None:
    assert json_of(o2.get("/o2dms/api_versions"))["uriPrefix"] == "/o2dms/v1"
    assert json_of(o2.get("/o2dms/v1/api_versions"))["apiVersions"] == [{"version": "1.0.0"}]
    assert json_of(o2.get("/netweave-dms-ext/v1/api_versions"))["uriPrefix"] == "/netweave-dms-ext/v1"


def test_list_query_count(o2: Any, receiver: Receiver, django_assert_max_num_queries: Any) -> None:
    for n in range(6):
        subscribe(o2, receiver.url + "/count", consumerSubscriptionId=str(n))
    with django_assert_max_num_queries(4):
        assert len(json_of(o2.get(SUBSCRIPTIONS))) == 6
