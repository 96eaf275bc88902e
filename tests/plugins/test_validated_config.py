"""Plugin.validated_config: the check every plugin's initialize() starts with, naming fields by their paths."""

from __future__ import annotations

import pytest

from plugins.sdk.errors import InvalidRequest
from tests.plugins.conftest import FakeIMSPlugin


def test_valid_config_comes_back_with_defaults() -> None:
    plugin = FakeIMSPlugin("edge-1")
    assert plugin.validated_config({"endpoint": "https://x.example", "password": "pw"}) == {
        "endpoint": "https://x.example",
        "region": "r1",
        "retries": 3,
        "password": "pw",
    }


def test_every_problem_is_named_and_the_first_is_the_field() -> None:
    plugin = FakeIMSPlugin("edge-1")
    with pytest.raises(InvalidRequest) as raised:
        plugin.validated_config({"retries": -1, "password": "pw"})
    assert raised.value.field == "endpoint"
    assert raised.value.status == 400
    assert raised.value.detail == (
        "Plugin instance 'edge-1' (ims.fake) has invalid config: config.endpoint: This field is required.; "
        "config.retries: Ensure this value is greater than or equal to 0."
    )


def test_credential_values_never_appear() -> None:
    plugin = FakeIMSPlugin("edge-1")
    with pytest.raises(InvalidRequest) as raised:
        plugin.validated_config({"endpoint": "https://x.example", "password": "pw", "token": "revoked-abc123"})
    assert raised.value.field == "token"
    assert "revoked-abc123" not in raised.value.detail
    assert "config.token: token ******** is revoked" in raised.value.detail
