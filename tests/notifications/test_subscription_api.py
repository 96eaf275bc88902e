"""The O2ims subscription API (O2-REFERENCE.md §5): every response validated against the OpenAPI document."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Subscription
from inventory.notifications import callbacks
from inventory.notifications.receiver import Receiver
from tests.notifications.conftest import SUBSCRIPTIONS, subscribe
from tests.o2client import O2Client, json_of

pytestmark = pytest.mark.django_db
CALLBACK = "http://127.0.0.1:9/notify"


def test_create_returns_201_with_location_and_the_object(o2: O2Client, allow_loopback: None) -> None:
    response = o2.post(
        SUBSCRIPTIONS,
        {"callback": CALLBACK, "consumerSubscriptionId": "smo-1", "filter": "(eq,objectType,ResourceInfo)"},
    )
    assert response.status_code == 201
    body = json_of(response)
    assert set(body) == {"subscriptionId", "consumerSubscriptionId", "filter", "callback"}
    assert body["consumerSubscriptionId"] == "smo-1"
    assert body["filter"] == "(eq,objectType,ResourceInfo)"
    assert response["Location"] == f"{SUBSCRIPTIONS}/{body['subscriptionId']}"
    assert json_of(o2.get(response["Location"])) == body


def test_list_get_one_and_delete(o2: O2Client, allow_loopback: None) -> None:
    first = subscribe(o2, CALLBACK, consumerSubscriptionId="a")
    second = subscribe(o2, CALLBACK, consumerSubscriptionId="b")
    listed = json_of(o2.get(SUBSCRIPTIONS))
    assert {s["subscriptionId"] for s in listed} == {first["subscriptionId"], second["subscriptionId"]}

    filtered = json_of(o2.get(f"{SUBSCRIPTIONS}?filter=(eq,consumerSubscriptionId,b)"))
    assert [s["subscriptionId"] for s in filtered] == [second["subscriptionId"]]
    narrow = json_of(o2.get(f"{SUBSCRIPTIONS}?exclude_fields=filter,callback"))
    assert narrow[0].keys() == {"subscriptionId", "consumerSubscriptionId"}

    assert o2.delete(f"{SUBSCRIPTIONS}/{first['subscriptionId']}").status_code == 204
    assert o2.get(f"{SUBSCRIPTIONS}/{first['subscriptionId']}").status_code == 404
    assert o2.delete(f"{SUBSCRIPTIONS}/{first['subscriptionId']}").status_code == 404
    assert o2.get(f"{SUBSCRIPTIONS}/not-a-uuid").status_code == 404


def test_list_uses_one_query_whatever_the_page_size(o2: O2Client, allow_loopback: None, settings: Any) -> None:
    for n in range(6):
        subscribe(o2, CALLBACK, consumerSubscriptionId=str(n))
    counts = []
    for size in (2, 5):
        settings.NETWEAVE_PAGE_SIZE = size
        with CaptureQueriesContext(connection) as queries:
            response = o2.get(SUBSCRIPTIONS)
        assert len(json_of(response)) == size
        assert 'rel="next"' in response["Link"]
        counts.append([q["sql"] for q in queries.captured_queries if "inventory_" in q["sql"]])
    assert [len(c) for c in counts] == [1, 1]


def test_duplicate_is_409(o2: O2Client, allow_loopback: None) -> None:
    subscribe(o2, CALLBACK, consumerSubscriptionId="x", filter="(eq,objectType,CloudInfo)")
    response = o2.post(
        SUBSCRIPTIONS, {"callback": CALLBACK, "consumerSubscriptionId": "x", "filter": "(eq,objectType,CloudInfo)"}
    )
    assert response.status_code == 409
    # A different consumerSubscriptionId (or none) is a different subscription.
    subscribe(o2, CALLBACK, filter="(eq,objectType,CloudInfo)")
    assert Subscription.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "callback"),
        ({"callback": CALLBACK, "colour": "red"}, "colour"),
        ({"callback": CALLBACK, "filter": "(eq,objectType"}, "filter"),
        ({"callback": CALLBACK, "filter": "(eq,nosuchattribute,1)"}, "filter"),
        ({"callback": CALLBACK, "filter": "(eq,objectType,Nonsense)"}, "filter"),
        ({"callback": CALLBACK, "filter": "(eq,resourcePoolId,not-a-uuid)"}, "filter"),
        ({"callback": CALLBACK, "filter": "(eq,elements,x)"}, "filter"),
        ({"callback": "not a url"}, "callback"),
        ({"callback": 12}, "callback"),
        ({"callback": CALLBACK, "consumerSubscriptionId": ["a"]}, "consumerSubscriptionId"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    o2: O2Client, allow_loopback: None, body: dict[str, Any], field: str
) -> None:
    response = o2.post(SUBSCRIPTIONS, body)
    assert response.status_code == 400, response.content
    problem = json_of(response)
    assert problem["additionalAttributes"]["field"] == field
    assert Subscription.objects.count() == 0


def test_malformed_json_is_400(o2: O2Client) -> None:
    response = o2.post(SUBSCRIPTIONS, b"{not json")
    assert response.status_code == 400


def test_other_methods_are_405(o2: O2Client, allow_loopback: None) -> None:
    assert o2.put(SUBSCRIPTIONS, {}).status_code == 405
    created = subscribe(o2, CALLBACK)
    response = o2.patch(f"{SUBSCRIPTIONS}/{created['subscriptionId']}", {"callback": CALLBACK})
    assert response.status_code == 405
    assert "DELETE" in response["Allow"]


# ------------------------------------------------------------------------------------------------- SSRF


@pytest.mark.parametrize(
    ("callback", "reason"),
    [
        ("http://example.com/n", "scheme http is not allowed"),
        ("https://127.0.0.1/n", "loopback"),
        ("https://[::1]/n", "loopback"),
        ("https://localhost/n", "loopback"),  # a name that resolves to loopback
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.1.2.3/n", "private"),
        ("https://192.168.0.10/n", "private"),
        ("https://172.16.5.4/n", "private"),
        ("https://100.64.0.1/n", "private"),
        ("https://[fd00:ec2::254]/n", "private"),
        ("https://user:pw@example.com/n", "credentials"),
        ("ftp://example.com/n", "http(s)"),
    ],
)
def test_unsafe_callbacks_are_refused(o2: O2Client, callback: str, reason: str) -> None:
    response = o2.post(SUBSCRIPTIONS, {"callback": callback})
    assert response.status_code == 400
    problem = json_of(response)
    assert problem["additionalAttributes"]["field"] == "callback"
    assert reason in problem["detail"]


def test_a_name_resolving_to_a_private_address_is_refused(o2: O2Client) -> None:
    callbacks.set_resolver(lambda host, port: ["10.20.30.40"])
    try:
        response = o2.post(SUBSCRIPTIONS, {"callback": "https://smo.internal.example/n"})
    finally:
        callbacks.set_resolver(None)
    assert response.status_code == 400
    assert "10.20.30.40" in json_of(response)["detail"]


def test_public_https_callbacks_are_accepted(o2: O2Client) -> None:
    callbacks.set_resolver(lambda host, port: ["93.184.215.14"])
    try:
        body = subscribe(o2, "https://smo.example.com/notify")
    finally:
        callbacks.set_resolver(None)
    assert uuid.UUID(body["subscriptionId"])


def test_allow_listed_scheme_still_refuses_private_addresses(o2: O2Client, settings: Any) -> None:
    settings.NETWEAVE_CALLBACK_ALLOWED_SCHEMES = ["http"]
    assert o2.post(SUBSCRIPTIONS, {"callback": "http://127.0.0.1:9/n"}).status_code == 400
    settings.NETWEAVE_CALLBACK_ALLOWED_HOSTS = ["127.0.0.1"]
    assert o2.post(SUBSCRIPTIONS, {"callback": "http://127.0.0.1:9/n"}).status_code == 201


def test_reachability_check_at_subscribe_time(o2: O2Client, receiver: Receiver, settings: Any) -> None:
    """With NETWEAVE_CALLBACK_CHECK_ON_SUBSCRIBE, each kind of subscription GETs its callback first: 204 lets the
    subscription be made, anything else is 400 naming `callback` and stores nothing."""
    settings.NETWEAVE_CALLBACK_CHECK_ON_SUBSCRIBE = True
    created = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/inventory"})
    assert created.status_code == 201, created.content
    alarms = o2.post("/o2ims-infrastructureMonitoring/v1/alarmSubscriptions", {"callback": receiver.url + "/alarms"})
    assert alarms.status_code == 201, alarms.content
    dms = o2.post("/netweave-dms-ext/v1/subscriptions", {"callback": receiver.url + "/dms"})
    assert dms.status_code == 201, dms.content
    assert receiver.probes == ["/inventory", "/alarms", "/dms"]

    receiver.fail_with = 404
    refused = o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/gone"})
    assert refused.status_code == 400
    problem = json_of(refused)
    assert problem["additionalAttributes"] == {"field": "callback"}
    assert "HTTP 404" in problem["detail"]
    unreachable = o2.post(SUBSCRIPTIONS, {"callback": "http://127.0.0.1:9/nobody-listens"})
    assert unreachable.status_code == 400
    assert "reachability check" in json_of(unreachable)["detail"]
    assert Subscription.objects.count() == 3
    assert receiver.received == []  # a probe is not a notification


def test_no_reachability_check_by_default(o2: O2Client, receiver: Receiver) -> None:
    assert o2.post(SUBSCRIPTIONS, {"callback": receiver.url + "/x"}).status_code == 201
    assert receiver.probes == []
