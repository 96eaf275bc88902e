"""The OpenStack config class, sample.yaml, and what a plugin object does before it reaches the backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from plugins.ims.openstack.config import OpenStackConfig
from plugins.ims.openstack.plugin import OpenStackIMSPlugin
from plugins.sdk.errors import InvalidRequest

BASE = {"authUrl": "https://keystone.example:5000/v3", "username": "o2", "password": "pw", "projectName": "o2ims"}


def errors(data: dict[str, Any], **context: Any) -> dict[str, Any]:
    serializer = OpenStackConfig(data=data, context=context)
    return {} if serializer.is_valid() else dict(serializer.errors)


def test_defaults_and_seed_keys() -> None:
    serializer = OpenStackConfig(data=BASE)
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    assert (data["domainName"], data["region"], data["verifyTls"], data["caBundle"]) == (
        "Default",
        "RegionOne",
        True,
        "",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**BASE, "password": ""}, "password"),
        ({**BASE, "projectName": ""}, "projectName"),
        ({**BASE, "authUrl": "not a url"}, "authUrl"),
        ({**BASE, "regoin": "x"}, "regoin"),
        ({**BASE, "verifyTls": False, "caBundle": "/etc/ca.pem"}, "caBundle"),
        ({"authUrl": BASE["authUrl"], "applicationCredentialId": "id"}, "applicationCredentialSecret"),
        ({**BASE, "bootTimeoutSeconds": 1}, "bootTimeoutSeconds"),
    ],
)
def test_bad_values_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors(data)


def test_secret_references_count_as_present() -> None:
    assert errors({**BASE, "password": ""}, secret_refs={"password": "os-password"}) == {}
    app = {"authUrl": BASE["authUrl"], "applicationCredentialId": "id"}
    assert errors(app, secret_refs={"applicationCredentialSecret": "os-app-secret"}) == {}


def test_sample_yaml_validates_and_documents_every_key() -> None:
    text = (Path(__file__).parents[1] / "sample.yaml").read_text()
    block = yaml.safe_load(text)["plugins"]["ims"]
    for entry in block:
        config = {k: ("x" if isinstance(v, str) and v.startswith("${") else v) for k, v in entry["config"].items()}
        assert errors(config) == {}, entry["name"]
    for key in OpenStackConfig().fields:
        assert f"{key}:" in text, f"sample.yaml does not document {key}"


def test_initialize_refuses_bad_config_without_echoing_the_password() -> None:
    plugin = OpenStackIMSPlugin("bad")
    with pytest.raises(InvalidRequest) as raised:
        plugin.initialize({**BASE, "password": "s3cret-value", "authUrl": "nope"})
    assert "s3cret-value" not in raised.value.detail
    assert raised.value.field == "authUrl"


def test_unknown_extension_keys_are_refused_before_any_call() -> None:
    from plugins.sdk.ims import ResourcePool

    plugin = OpenStackIMSPlugin("offline")
    plugin.initialize({**BASE, "authUrl": "http://127.0.0.1:9/v3"})  # nothing listens: no call may be made
    with pytest.raises(InvalidRequest) as raised:
        plugin.create_resource_pool(ResourcePool(native_id="", name="p", extensions={"colour": "blue"}))
    assert raised.value.field == "extensions.colour"
    with pytest.raises(InvalidRequest) as raised:
        plugin.create_resource_pool(ResourcePool(native_id="", name="p", extensions={"openstack.hosts": "h1"}))
    assert raised.value.field == "extensions.openstack.hosts"
    assert not plugin.health().healthy
    plugin.close()
