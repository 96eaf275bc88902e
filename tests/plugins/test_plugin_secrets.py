"""Secrets: env, file and encrypted providers; keys, derivation, rotation; values never in messages."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from plugins import secrets
from plugins.models import Secret

VALUE = "s3cr3t-Value!"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


@pytest.mark.django_db
def test_encrypted_round_trip_and_ciphertext_hides_value() -> None:
    with override_settings(NETWEAVE_SECRETS_KEYS=[KEY_A]):
        secret = secrets.set_secret_value(
            Secret(name="db-password", provider=Secret.Provider.ENV, reference="X"), VALUE
        )
        secret.refresh_from_db()
        assert secret.provider == Secret.Provider.ENCRYPTED
        assert secret.reference == ""
        assert VALUE not in secret.ciphertext
        assert secrets.resolve(secret) == VALUE
        assert Fernet(KEY_A.encode()).decrypt(secret.ciphertext.encode()).decode() == VALUE


def test_env_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = Secret(name="os-password", provider=Secret.Provider.ENV, reference="NW_TEST_OS_PASSWORD")
    monkeypatch.setenv("NW_TEST_OS_PASSWORD", VALUE)
    assert secrets.resolve(secret) == VALUE
    monkeypatch.delenv("NW_TEST_OS_PASSWORD")
    with pytest.raises(secrets.SecretError) as raised:
        secrets.resolve(secret)
    assert str(raised.value) == "Secret 'os-password': environment variable NW_TEST_OS_PASSWORD is not set"


def test_file_provider_strips_one_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text(VALUE + "\n", encoding="utf-8")
    secret = Secret(name="token", provider=Secret.Provider.FILE, reference=str(path))
    assert secrets.resolve(secret) == VALUE
    path.write_text(f"  {VALUE} \n\n", encoding="utf-8")
    assert secrets.resolve(secret) == f"  {VALUE} \n"
    missing = Secret(name="gone", provider=Secret.Provider.FILE, reference=str(tmp_path / "nope"))
    with pytest.raises(secrets.SecretError, match=r"Secret 'gone': cannot read file .*nope: No such file"):
        secrets.resolve(missing)


def test_empty_references_and_missing_ciphertext() -> None:
    with pytest.raises(secrets.SecretError, match="no environment variable name"):
        secrets.resolve(Secret(name="a", provider=Secret.Provider.ENV, reference=""))
    with pytest.raises(secrets.SecretError, match="no file path"):
        secrets.resolve(Secret(name="b", provider=Secret.Provider.FILE, reference=" "))
    with pytest.raises(secrets.SecretError, match="no value has been stored"):
        secrets.resolve(Secret(name="c", provider=Secret.Provider.ENCRYPTED))


def test_derived_key_warns_once(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(secrets, "_warned_derived_key", False)
    monkeypatch.setattr(secrets, "_fernet_cache", None)
    with override_settings(NETWEAVE_SECRETS_KEYS=[], SECRET_KEY="k1-for-tests"), caplog.at_level(logging.WARNING):
        token = secrets.encrypt(VALUE)
        assert secrets.decrypt(token) == VALUE
        secrets.encrypt("again")
    warnings = [r for r in caplog.records if "NETWEAVE_SECRETS_KEYS" in r.getMessage()]
    assert len(warnings) == 1
    assert "Set NETWEAVE_SECRETS_KEYS" in warnings[0].getMessage()
    # The derived key is a function of SECRET_KEY: another SECRET_KEY cannot read the value.
    with override_settings(NETWEAVE_SECRETS_KEYS=[], SECRET_KEY="another-key"):
        with pytest.raises(secrets.SecretError) as raised:
            secrets.decrypt(token, owner="x")
        assert VALUE not in str(raised.value)


def test_invalid_key_is_a_configuration_error_without_the_key() -> None:
    with (
        override_settings(NETWEAVE_SECRETS_KEYS=[KEY_A, "not-a-fernet-key"]),
        pytest.raises(ImproperlyConfigured, match=r"NETWEAVE_SECRETS_KEYS\[1\] is not a valid Fernet key") as raised,
    ):
        secrets.encrypt(VALUE)
    assert "not-a-fernet-key" not in str(raised.value)


@pytest.mark.django_db
def test_rotate_all_reencrypts_with_the_first_key() -> None:
    with override_settings(NETWEAVE_SECRETS_KEYS=[KEY_A]):
        one = secrets.set_secret_value(Secret(name="one"), "first")
        two = secrets.set_secret_value(Secret(name="two"), "second")
        Secret.objects.create(name="env-one", provider=Secret.Provider.ENV, reference="X")
    with override_settings(NETWEAVE_SECRETS_KEYS=[KEY_B, KEY_A]):
        assert secrets.rotate_all() == 2
    with override_settings(NETWEAVE_SECRETS_KEYS=[KEY_B]):  # the old key can now be dropped
        one.refresh_from_db()
        two.refresh_from_db()
        assert secrets.resolve(one) == "first"
        assert secrets.resolve(two) == "second"


@pytest.mark.django_db
def test_undecryptable_value_names_the_secret_only() -> None:
    with override_settings(NETWEAVE_SECRETS_KEYS=[KEY_A]):
        secret = secrets.set_secret_value(Secret(name="orphan"), VALUE)
    with override_settings(NETWEAVE_SECRETS_KEYS=[KEY_B]):
        with pytest.raises(
            secrets.SecretError, match="Secret 'orphan': the stored value cannot be decrypted"
        ) as raised:
            secrets.resolve(secret)
        assert VALUE not in str(raised.value)
        with pytest.raises(secrets.SecretError, match="nothing was rotated"):
            secrets.rotate_all()


def test_secret_names_are_valid_slugs() -> None:
    assert secrets.secret_name_for("openstack-nfv", "password") == "openstack-nfv-password"
    assert secrets.secret_name_for("dtias-edge", "apiKey") == "dtias-edge-apikey"
    long_name = secrets.secret_name_for("a" * 60, "authToken")
    assert len(long_name) <= 63
    assert long_name != secrets.secret_name_for("a" * 60, "authTokens")
