"""The OpenStack config class, sample.yaml, and what a plugin object does before it reaches the backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import certifi
import pytest
import yaml
from keystoneauth1 import exceptions as ksa

from plugins.ims.openstack.config import OpenStackConfig
from plugins.ims.openstack.errors import translate
from plugins.ims.openstack.plugin import OpenStackIMSPlugin
from plugins.sdk.errors import BackendUnavailable, InvalidRequest

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


KEY_ONLY = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "Cannot read"),  # no file at all
        ("", "holds no PEM certificate"),
        ("just some text\n", "holds no PEM certificate"),
        (KEY_ONLY, "holds no PEM certificate"),  # a key where the CA certificate should be
    ],
)
def test_ca_bundle_must_be_a_readable_pem_file(tmp_path: Path, content: str | None, expected: str) -> None:
    bundle = tmp_path / "ca.pem"
    if content is not None:
        bundle.write_text(content)
    assert expected in " ".join(str(m) for m in errors({**BASE, "caBundle": str(bundle)})["caBundle"])
    plugin = OpenStackIMSPlugin("bad-ca")
    with pytest.raises(InvalidRequest) as raised:
        plugin.initialize({**BASE, "caBundle": str(bundle)})
    assert raised.value.field == "caBundle"
    assert str(bundle) in raised.value.detail


def test_ca_bundle_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    assert "caBundle" in errors({**BASE, "caBundle": str(tmp_path)})


def test_a_pem_ca_bundle_is_accepted_and_handed_to_keystoneauth() -> None:
    bundle = certifi.where()
    serializer = OpenStackConfig(data={**BASE, "caBundle": bundle})
    assert serializer.is_valid(), serializer.errors
    plugin = OpenStackIMSPlugin("good-ca")
    plugin.initialize({**BASE, "caBundle": bundle})
    assert plugin.conn.session.verify == bundle
    plugin.close()


def test_an_unverified_certificate_is_reported_as_such() -> None:
    failure = ksa.SSLError(
        "SSL exception connecting to https://127.0.0.1:16443/v3/auth/tokens: HTTPSConnectionPool(host='127.0.0.1', "
        "port=16443): Max retries exceeded with url: /v3/auth/tokens (Caused by SSLError(SSLCertVerificationError(1, "
        "'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain "
        "(_ssl.c:1006)')))"
    )
    translated = translate(failure, "checking health")
    assert isinstance(translated, BackendUnavailable)
    assert translated.detail == (
        "the TLS certificate of OpenStack could not be verified while checking health "
        "(self-signed certificate in certificate chain): set caBundle to the CA that signed it"
    )
    other = translate(ksa.SSLError("SSL exception connecting to https://x: wrong version number"), "listing flavors")
    assert other.detail == "the TLS handshake with OpenStack failed while listing flavors"
