"""The AWS config class, sample.yaml, and the translation of botocore errors (no backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError, EndpointConnectionError

from plugins.ims.aws.config import AWSConfig
from plugins.ims.aws.errors import translate
from plugins.ims.aws.plugin import AWSIMSPlugin
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable, Conflict, InvalidRequest, NotFound

BASE = {"region": "eu-west-1"}
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def errors(data: dict[str, Any], **context: Any) -> dict[str, Any]:
    serializer = AWSConfig(data=data, context=context)
    return {} if serializer.is_valid() else dict(serializer.errors)


def test_defaults() -> None:
    serializer = AWSConfig(data=BASE)
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    assert (data["maxAttempts"], data["clusters"], data["includeUnmanagedInstances"]) == (10, [], True)
    assert data["roleSessionName"] == "netweave"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"region": "Europe"}, "region"),
        ({**BASE, "accessKeyId": "AKIA"}, "secretAccessKey"),
        ({**BASE, "secretAccessKey": SECRET}, "accessKeyId"),
        ({**BASE, "sessionToken": "t"}, "sessionToken"),
        ({**BASE, "roleArn": "arn:aws:s3:::bucket"}, "roleArn"),
        ({**BASE, "externalId": "x"}, "externalId"),
        ({**BASE, "clusters": ["bad name!"]}, "clusters"),
        ({**BASE, "maxAttempts": 0}, "maxAttempts"),
        ({**BASE, "endpointUrl": "not a url"}, "endpointUrl"),
        ({**BASE, "regoin": "x"}, "regoin"),
    ],
)
def test_bad_values_name_the_field(data: dict[str, Any], field: str) -> None:
    assert field in errors(data)


def test_a_secret_reference_counts_as_present() -> None:
    assert not errors({**BASE, "accessKeyId": "AKIA"}, secret_refs=frozenset({"secretAccessKey"}))


def test_invalid_config_message_does_not_echo_the_secret() -> None:
    with pytest.raises(InvalidRequest) as raised:
        AWSIMSPlugin("x").initialize({"region": SECRET, "secretAccessKey": SECRET})
    assert SECRET not in raised.value.detail


def test_sample_yaml_is_a_valid_config() -> None:
    sample = yaml.safe_load((Path(__file__).parents[1] / "sample.yaml").read_text())
    block = sample["plugins"]["ims"][0]
    assert block["type"] == "aws"
    config = {**block["config"], "secretAccessKey": "from-a-secret"}
    assert not errors(config)


def test_clients_use_adaptive_retries_and_the_endpoint_override() -> None:
    plugin = AWSIMSPlugin("x")
    plugin.initialize({**BASE, "endpointUrl": "http://127.0.0.1:9", "maxAttempts": 7})
    try:
        client = plugin._client("eks")
        assert client.meta.endpoint_url == "http://127.0.0.1:9"
        assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 7}
    finally:
        plugin.close()


def _client_error(code: str, status: int, message: str = "boom") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Describe"
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("ResourceNotFoundException", 404, NotFound),
        ("InvalidInstanceID.NotFound", 400, NotFound),
        ("UnrecognizedClientException", 403, AuthenticationFailed),
        ("AuthFailure", 401, AuthenticationFailed),
        ("ThrottlingException", 400, BackendUnavailable),
        ("RequestLimitExceeded", 503, BackendUnavailable),
        ("ResourceInUseException", 409, Conflict),
        ("InvalidParameterException", 400, InvalidRequest),
        ("InternalFailure", 500, BackendUnavailable),
    ],
)
def test_client_errors_become_plugin_errors(code: str, status: int, expected: type) -> None:
    assert isinstance(translate(_client_error(code, status), "listing"), expected)


def test_throttling_past_the_retry_budget_says_so() -> None:
    error = translate(_client_error("Throttling", 400), "listing EKS clusters")
    assert isinstance(error, BackendUnavailable)
    assert "throttling" in error.detail


def test_messages_never_carry_a_configured_credential() -> None:
    leaky = _client_error("InvalidParameterException", 400, f"bad key {SECRET}")
    assert SECRET not in translate(leaky, "x", hidden=[SECRET]).detail
    unreachable = translate(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "listing", hidden=[SECRET])
    assert isinstance(unreachable, BackendUnavailable)
