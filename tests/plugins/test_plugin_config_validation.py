"""Config blocks: validated by the type's serializer, credentials as secretRefs, resolved only at initialize."""

from __future__ import annotations

import re
from typing import Any

import pytest

from plugins import secrets
from plugins.models import PluginInstance, Secret
from plugins.secrets import ConfigError, resolve_config, validate_config

REF = {"secretRef": "fake-password"}


@pytest.mark.django_db
def test_secret_ref_counts_as_a_present_value(fake_types: Any) -> None:
    Secret.objects.create(name="fake-password", provider=Secret.Provider.ENV, reference="FAKE_PW")
    result = validate_config(fake_types.ims, {"endpoint": "https://x.example", "password": REF}, instance_name="a")
    assert result == {"endpoint": "https://x.example", "region": "r1", "retries": 3, "password": REF}


@pytest.mark.django_db
def test_every_problem_is_reported_with_its_key(fake_types: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        validate_config(
            fake_types.ims,
            {"retries": -1, "pasword": "typo", "region": {"secretRef": "x"}, "token": {"secretRef": "absent"}},
            instance_name="edge-1",
        )
    errors = raised.value.errors
    assert errors["endpoint"] == ["This field is required."]
    assert errors["password"] == ["This field is required."]
    assert errors["retries"] == ["Ensure this value is greater than or equal to 0."]
    assert errors["pasword"][0].startswith("Unknown key for plugin type ims.fake. Known keys: endpoint, region")
    assert errors["region"] == ["A secretRef is only allowed for credential fields of this plugin type."]
    assert errors["token"] == ["Secret 'absent' does not exist."]
    text = str(raised.value)
    assert text.startswith("Plugin instance 'edge-1' (ims.fake) has invalid config: ")
    assert "config.endpoint: This field is required." in text


def test_malformed_refs_and_non_mapping_config(fake_types: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        validate_config(
            fake_types.ims, {"endpoint": "https://x.example", "password": {"secretRef": "a", "x": 1}}, check_refs=False
        )
    assert raised.value.errors == {
        "password": ["A secret reference must be {secretRef: <secret name>} and nothing else."]
    }
    with pytest.raises(ConfigError, match="config: Must be a mapping of keys to values, not list"):
        validate_config(fake_types.ims, ["a"], instance_name="x")  # type: ignore[arg-type]


def test_literal_credentials_are_validated_but_never_echoed(fake_types: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        validate_config(
            fake_types.ims,
            {"endpoint": "https://x.example", "password": "pw", "token": "revoked-abc123"},
            instance_name="x",
            check_refs=False,
        )
    assert raised.value.errors == {"token": ["token ******** is revoked"]}
    assert "revoked-abc123" not in str(raised.value)
    with pytest.raises(ConfigError, match="store it as a Secret"):
        validate_config(fake_types.ims, {"endpoint": "https://x.example", "password": "pw"}, require_refs=True)


@pytest.mark.django_db
def test_resolve_config_fills_in_secret_values(fake_types: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    Secret.objects.create(name="fake-password", provider=Secret.Provider.ENV, reference="FAKE_PW")
    token = secrets.set_secret_value(Secret(name="fake-token"), "tok-1")
    instance = PluginInstance.objects.create(
        name="fake",
        category="ims",
        plugin_type="fake",
        config={"endpoint": "https://x.example", "password": REF, "token": {"secretRef": token.name}},
    )
    monkeypatch.setenv("FAKE_PW", "pw-from-env")
    assert resolve_config(instance) == {
        "endpoint": "https://x.example",
        "region": "r1",
        "retries": 3,
        "password": "pw-from-env",
        "token": "tok-1",
    }
    monkeypatch.delenv("FAKE_PW")
    with pytest.raises(secrets.SecretError, match="environment variable FAKE_PW is not set"):
        resolve_config(instance)


@pytest.mark.django_db
def test_resolve_config_rejects_plain_credentials_and_missing_secrets(fake_types: Any) -> None:
    plain = PluginInstance(
        name="p", category="ims", plugin_type="fake", config={"endpoint": "https://x.example", "password": "pw"}
    )
    with pytest.raises(ConfigError, match=re.escape("config.password: This is a credential")):
        resolve_config(plain)
    dangling = PluginInstance(
        name="d", category="ims", plugin_type="fake", config={"endpoint": "https://x.example", "password": REF}
    )
    with pytest.raises(ConfigError, match=re.escape("config.password: Secret 'fake-password' does not exist.")):
        resolve_config(dangling)


@pytest.mark.django_db
def test_resolved_value_failing_validation_is_redacted(fake_types: Any) -> None:
    secrets.set_secret_value(Secret(name="bad-token"), "revoked-zzz")
    instance = PluginInstance(
        name="r",
        category="ims",
        plugin_type="fake",
        config={
            "endpoint": "https://x.example",
            "password": {"secretRef": "bad-token"},
            "token": {"secretRef": "bad-token"},
        },
    )
    with pytest.raises(ConfigError) as raised:
        resolve_config(instance)
    assert "revoked-zzz" not in str(raised.value)
    assert raised.value.errors == {"token": ["token ******** is revoked"]}
