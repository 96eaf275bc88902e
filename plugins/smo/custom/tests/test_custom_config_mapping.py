"""The custom SMO plugin without a backend: config validation names the field at fault, templates run in the
sandbox, inventories split into batches."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.sdk.errors import InvalidRequest, NotSupported
from plugins.sdk.smo import InfrastructureInventory, RemovedObject
from plugins.smo.custom import mapping
from plugins.smo.custom.plugin import CustomSMOPlugin

BASE: dict[str, Any] = {"baseUrl": "http://127.0.0.1:9", "operations": {"syncInventory": {"path": "/inv"}}}


def plugin(**config: Any) -> CustomSMOPlugin:
    p = CustomSMOPlugin("c1")
    p.initialize({**BASE, **config})
    return p


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"auth": {"type": "hmac"}}, "hmacSecret"),
        ({"auth": {"type": "basic", "username": "u"}}, "password"),
        ({"auth": {"type": "oauth2", "tokenUrl": "http://x/t"}, "clientSecret": "s"}, "auth.clientId"),
        ({"auth": {"type": "oauth2", "clientSecret": "s"}}, "auth.clientSecret"),
        ({"operations": {"syncInventory": {"path": "/x/{{ oops"}}}, "operations.syncInventory.path"),
        ({"operations": {"bogus": {"path": "/x"}}}, "operations.bogus"),
        ({"baseUrl": "ftp://x"}, "baseUrl"),
        ({"batchSize": 0}, "batchSize"),
    ],
)
def test_config_errors_name_the_field(config: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        plugin(**config)
    assert caught.value.field == field


def test_secret_values_never_in_config_errors() -> None:
    with pytest.raises(InvalidRequest) as caught:
        plugin(auth={"type": "hmac"}, hmacSecret="s3cr3t-value", batchSize=-1)
    assert "s3cr3t-value" not in caught.value.detail


def test_capabilities_follow_the_operations() -> None:
    p = plugin()
    assert {c.value for c in p.capabilities()} == {"inventory-sync"}
    assert not p.publishes_events()
    with pytest.raises(NotSupported):
        p.list_service_models()


def test_templates_are_sandboxed() -> None:
    p = plugin(operations={"syncInventory": {"path": "/inv", "template": "{{ oCloud.__class__.__mro__ }}"}})
    with pytest.raises(InvalidRequest) as caught:
        p.render_northbound("ResourcePoolInfo", {"resourcePoolId": "p1"})
    assert "template failed" in caught.value.detail
    p = plugin(operations={"syncInventory": {"path": "/inv", "template": "{{ undefined_name }}"}})
    with pytest.raises(InvalidRequest):
        p.render_northbound("ResourcePoolInfo", {"resourcePoolId": "p1"})


def test_template_rendering() -> None:
    template = "{% for o in objects %}{{ o.objectId }}={{ o.state.name | json }};{% endfor %}"
    p = plugin(operations={"syncInventory": {"path": "/inv", "template": template}})
    assert p.render_northbound("ResourcePoolInfo", {"resourcePoolId": "p1", "name": "edge"}) == 'p1="edge";'


def test_inventory_batches() -> None:
    pools = [{"resourcePoolId": f"p{i}"} for i in range(5)]
    inventory = InfrastructureInventory(
        ocloud={"oCloudId": "o"}, resource_pools=pools, complete=False, removed=[RemovedObject("ResourceInfo", "r1")]
    )
    bodies = list(mapping.inventory_batches(inventory, 2))
    assert [len(b["objects"]) + len(b["removed"]) for b in bodies] == [2, 2, 2]
    assert bodies[-1]["removed"] == [{"objectType": "ResourceInfo", "objectId": "r1"}]
    assert [b["batch"] for b in bodies] == [1, 2, 3]
    assert {b["batches"] for b in bodies} == {3}
    [empty] = mapping.inventory_batches(InfrastructureInventory(ocloud={}, complete=True), 10)
    assert empty["objects"] == []


def test_pick() -> None:
    assert mapping.pick({"a": {"b": [1, {"c": "x"}]}}, "a.b.1.c") == "x"
    assert mapping.pick({"a": 1}, "a.b") is None
