"""The vSphere config class, sample.yaml, the admin warning for insecureSkipVerify, and input checks that happen
before any call to vCenter."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import certifi
import pytest
import yaml

from plugins.ims.vsphere.client import translate
from plugins.ims.vsphere.config import INSECURE_WARNING, VSphereConfig
from plugins.ims.vsphere.plugin import VSphereIMSPlugin
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, InvalidRequest
from plugins.sdk.ims import Resource, ResourcePool

BASE = {"vcenterUrl": "https://vcenter.example:443/sdk", "username": "o2", "password": "pw"}


def errors(data: dict[str, Any], **context: Any) -> dict[str, Any]:
    serializer = VSphereConfig(data=data, context=context)
    return {} if serializer.is_valid() else dict(serializer.errors)


def test_defaults() -> None:
    serializer = VSphereConfig(data=BASE)
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    assert (data["insecureSkipVerify"], data["caBundle"], data["datacenter"]) == (False, "", "")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**BASE, "password": ""}, "password"),
        ({**BASE, "vcenterUrl": "not a url"}, "vcenterUrl"),
        ({**BASE, "datacentre": "x"}, "datacentre"),
        ({**BASE, "insecureSkipVerify": True, "caBundle": certifi.where()}, "caBundle"),
        ({**BASE, "caBundle": "/nonexistent/ca.pem"}, "caBundle"),
        ({**BASE, "taskTimeoutSeconds": 1}, "taskTimeoutSeconds"),
    ],
)
def test_bad_values_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors(data)


def test_sample_yaml_validates_and_documents_every_key() -> None:
    text = (Path(__file__).parents[1] / "sample.yaml").read_text()
    for entry in yaml.safe_load(text)["plugins"]["ims"]:
        config = {k: ("x" if isinstance(v, str) and v.startswith("${") else v) for k, v in entry["config"].items()}
        assert errors(config) == {}, entry["name"]
    for key in VSphereConfig().fields:
        assert f"{key}:" in text, f"sample.yaml does not document {key}"


def test_insecure_skip_verify_is_a_warning_for_the_admin() -> None:
    assert VSphereIMSPlugin.config_warnings(BASE) == []
    assert VSphereIMSPlugin.config_warnings({**BASE, "insecureSkipVerify": True}) == [INSECURE_WARNING]


def test_initialize_refuses_bad_config_without_echoing_the_password() -> None:
    plugin = VSphereIMSPlugin("bad")
    with pytest.raises(InvalidRequest) as raised:
        plugin.initialize({**BASE, "password": "s3cret-value", "vcenterUrl": "nope"})
    assert "s3cret-value" not in raised.value.detail
    assert raised.value.field == "vcenterUrl"


def test_writes_with_bad_input_are_refused_before_any_call() -> None:
    plugin = VSphereIMSPlugin("offline")
    plugin.initialize({**BASE, "vcenterUrl": "https://127.0.0.1:9/sdk"})  # nothing listens: no call may be made
    with pytest.raises(InvalidRequest) as raised:
        plugin.create_resource_pool(ResourcePool(native_id="", name="p", extensions={"colour": "blue"}))
    assert raised.value.field == "extensions.colour"
    with pytest.raises(InvalidRequest) as raised:
        plugin.create_resource_pool(ResourcePool(native_id="x", name="p"))
    assert raised.value.field == "native_id"
    with pytest.raises(InvalidRequest) as raised:
        plugin.create_resource(
            Resource(native_id="", resource_type_id="t", resource_pool_id="p", extensions={"vsphere.powerOn": "yes"})
        )
    assert raised.value.field == "extensions.vsphere.powerOn"
    status = plugin.health()
    assert not status.healthy
    assert status.message.startswith("unreachable: vCenter is unreachable")
    plugin.close()


def test_faults_become_sdk_errors_without_credentials() -> None:
    from pyVmomi import vim

    assert isinstance(translate(vim.fault.InvalidLogin(), "logging in"), AuthenticationFailed)
    unverified = translate(
        ssl.SSLCertVerificationError(
            1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
        ),
        "checking health",
    )
    assert isinstance(unverified, BackendUnavailable)
    assert unverified.detail == (
        "the TLS certificate of vCenter could not be verified while checking health (self-signed certificate): "
        "set caBundle to the CA that signed it"
    )
    assert "unreachable" in translate(ConnectionRefusedError(111, "refused"), "listing").detail
