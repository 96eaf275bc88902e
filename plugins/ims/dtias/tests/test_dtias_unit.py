"""The DTIAS config class, sample.yaml, the mapping and input checks made before any call (no server needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from plugins.ims.dtias import mapping
from plugins.ims.dtias.config import INSECURE_WARNING, DTIASConfig
from plugins.ims.dtias.plugin import DTIASIMSPlugin
from plugins.sdk.errors import InvalidRequest, NotSupported
from plugins.sdk.ims import Resource, ResourcePool
from plugins.testing.ims import check_o2_fields

BASE = {"endpoint": "https://dtias.example", "tenant": "ocloud", "clientId": "nw", "username": "u", "password": "pw"}
SERVER = {
    "Id": "srv-1",
    "Name": "edge-1",
    "GlobalAssetId": "TAG1",
    "ResourceProfileID": "xr8620t-du",
    "SiteId": "dallas",
    "Res": {"Manufacturer": "Dell Inc.", "Model": "PowerEdge XR8620t", "Processor": {"Cores": 32}, "MemoryGiB": 256},
    "provisioningState": "AVAILABLE",
}


def errors(data: dict[str, Any]) -> dict[str, Any]:
    serializer = DTIASConfig(data=data)
    return {} if serializer.is_valid() else dict(serializer.errors)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**BASE, "password": ""}, "password"),
        ({**BASE, "tenant": "a/b"}, "tenant"),
        ({**BASE, "apiKey": "x"}, "apiKey"),
        ({**BASE, "verifyTls": False, "caBundle": "/etc/ssl/certs/ca-certificates.crt"}, "caBundle"),
        ({**BASE, "pageSize": 0}, "pageSize"),
    ],
)
def test_bad_values_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors(data)


def test_sample_yaml_validates_and_documents_every_key() -> None:
    text = (Path(__file__).parents[1] / "sample.yaml").read_text()
    for entry in yaml.safe_load(text)["plugins"]["ims"]:
        config = {k: ("x" if isinstance(v, str) and v.startswith("${") else v) for k, v in entry["config"].items()}
        assert errors(config) == {}, entry["name"]
    for key in DTIASConfig().fields:
        assert f"{key}:" in text, f"sample.yaml does not document {key}"


def test_verify_tls_off_is_an_admin_warning() -> None:
    assert DTIASIMSPlugin.config_warnings(BASE) == []
    assert DTIASIMSPlugin.config_warnings({**BASE, "verifyTls": False}) == [INSECURE_WARNING]


def test_mapping_gives_the_seed_extensions() -> None:
    group = {
        "id": "rg-1",
        "name": "DU pool",
        "resourceTypeId": "ResourceGroup~2.1.1",
        "state": "ACTIVE",
        "resourceSelectors": {"du": {"ResourceProfileId": "xr8620t-du", "numResources": 1, "resources": ["srv-1"]}},
    }
    pool = mapping.resource_pool_from_group(group, {"srv-1": SERVER})
    assert pool.extensions["dtias.provisioningState"] == "ACTIVE"
    assert pool.extensions["dtias.bareMetalCount"] == 1
    assert pool.extensions["dtias.datacenter"] == "dallas"
    resource = mapping.resource_from_server(SERVER, "rg-1")
    assert resource.resource_type_id == "dtias-server-xr8620t-du"
    assert resource.extensions["dtias.memoryGB"] == 256
    rtype = mapping.resource_type_from_server(SERVER)
    assert (rtype.vendor, rtype.model) == ("Dell Inc.", "PowerEdge XR8620t")
    assert not check_o2_fields(pool) + check_o2_fields(resource) + check_o2_fields(rtype)


def test_bad_pool_requests_and_servers_are_refused_before_any_call() -> None:
    plugin = DTIASIMSPlugin("offline")
    plugin.initialize({**BASE, "endpoint": "http://127.0.0.1:9"})  # nothing listens: no call may be made
    with pytest.raises(InvalidRequest) as raised:
        plugin.create_resource_pool(ResourcePool(native_id="", name="p"))
    assert raised.value.field == "extensions.dtias.resourceSelectors"
    with pytest.raises(InvalidRequest) as raised:
        plugin.create_resource_pool(ResourcePool(native_id="", name="p", global_location_id="geo:1,2"))
    assert raised.value.field == "global_location_id"
    with pytest.raises(NotSupported):
        plugin.create_resource(Resource(native_id="", resource_type_id="t", resource_pool_id="p"))
    status = plugin.health()
    assert not status.healthy
    assert status.message.startswith("unreachable: DTIAS is unreachable")
    plugin.close()
