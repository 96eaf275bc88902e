"""The Azure config class (a client secret or a multi-line certificate PEM), sample.yaml, mapping helpers and
error translation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.core import exceptions as aze

from plugins.ims.azure import mapping
from plugins.ims.azure.config import AzureConfig
from plugins.ims.azure.errors import translate
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, Conflict, InvalidRequest, NotFound

UUID = "00000000-0000-0000-0000-000000000000"
BASE = {"subscriptionId": UUID, "tenantId": UUID, "clientId": UUID}
PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIsecret\n-----END PRIVATE KEY-----\n"
    "-----BEGIN CERTIFICATE-----\nMIIcert\n-----END CERTIFICATE-----\n"
)


def errors(data: dict[str, Any], **context: Any) -> dict[str, Any]:
    serializer = AzureConfig(data=data, context=context)
    return {} if serializer.is_valid() else dict(serializer.errors)


def test_a_multi_line_certificate_is_kept_verbatim_in_a_textarea() -> None:
    serializer = AzureConfig(data={**BASE, "clientCertificate": PEM})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["clientCertificate"] == PEM
    assert serializer.fields["clientCertificate"].style["base_template"] == "textarea.html"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**BASE, "subscriptionId": "nope", "clientSecret": "s"}, "subscriptionId"),
        ({**BASE, "clientId": "nope", "clientSecret": "s"}, "clientId"),
        (BASE, "clientSecret"),
        ({**BASE, "clientSecret": "s", "clientCertificate": PEM}, "clientCertificate"),
        ({**BASE, "clientCertificate": "-----BEGIN CERTIFICATE-----\nx"}, "clientCertificate"),
        ({**BASE, "clientSecret": "s", "armEndpoint": "http://127.0.0.1:1"}, "armEndpoint"),
        ({**BASE, "clientSecret": "s", "authorityHost": "http://login"}, "authorityHost"),
        ({**BASE, "clientSecret": "s", "clusters": ["bad name"]}, "clusters"),
        ({**BASE, "clientSecret": "s", "caBundle": "/nonexistent.pem"}, "caBundle"),
        ({**BASE, "clientSecret": "s", "retryTotal": 11}, "retryTotal"),
    ],
)
def test_bad_values_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors(data)


def test_a_credential_given_as_a_secret_reference_counts() -> None:
    assert not errors(BASE, secret_refs={"clientSecret": "aks-secret"})


def test_a_bad_certificate_message_never_quotes_it() -> None:
    assert "MIIsecret" not in str(errors({**BASE, "clientCertificate": PEM.split("-----BEGIN CERTIFICATE")[0]}))


def test_sample_yaml_is_a_valid_config() -> None:
    block = yaml.safe_load((Path(__file__).parents[1] / "sample.yaml").read_text())["plugins"]["ims"][0]
    assert block["type"] == "azure"
    assert not errors({**block["config"], "clientSecret": "s3cr3t"})


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, NotFound),
        (401, AuthenticationFailed),
        (403, AuthenticationFailed),
        (409, Conflict),
        (400, InvalidRequest),
        (429, BackendUnavailable),
        (503, BackendUnavailable),
    ],
)
def test_arm_errors_become_plugin_errors(status: int, expected: type) -> None:
    exc = aze.HttpResponseError(message="boom s3cr3t")
    exc.status_code = status
    translated = translate(exc, "listing", hidden=["s3cr3t"])
    assert isinstance(translated, expected)
    assert "s3cr3t" not in str(translated)


def test_transport_and_credential_errors() -> None:
    assert isinstance(translate(aze.ServiceRequestError("refused"), "listing"), BackendUnavailable)
    assert isinstance(translate(aze.ClientAuthenticationError("AADSTS7000215"), "listing"), AuthenticationFailed)


def test_ids_and_sites() -> None:
    assert mapping.split_pool_id("rg/aks/cu") == ("rg", "aks", "cu")
    assert mapping.split_pool_id("rg/cu") is None
    assert mapping.group_of("/subscriptions/s/resourcegroups/MC_rg/providers/x") == "MC_rg"
    assert mapping.site_id("westeurope", "2") == "westeurope-2"
