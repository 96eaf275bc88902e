"""OIDC bearer JWTs against a real JWKS endpoint on loopback, with self-made keys."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest

from tests.o2client import O2Client, json_of
from tests.security.conftest import JwksServer, claims, ec_key, rsa_key

OCLOUD = "/o2ims-infrastructureInventory/v1"
POOLS_EXT = "/netweave-ims-ext/v1/resourcePools"


@pytest.fixture
def anon(anonymous_client: Any, db: None) -> O2Client:
    return O2Client(anonymous_client)


@pytest.fixture
def key(oidc: JwksServer) -> Any:
    signing = rsa_key("key-1")
    oidc.keys = [signing.jwk()]
    return signing


def get(anon: O2Client, token: str, path: str = OCLOUD) -> Any:
    return anon.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def rejected(anon: O2Client, token: str) -> str:
    response = get(anon, token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    return str(json_of(response)["detail"])


def test_valid_token(anon: O2Client, key: Any) -> None:
    assert get(anon, key.sign(claims())).status_code == 200


def test_expired_token_says_so(anon: O2Client, key: Any) -> None:
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    assert "expired" in rejected(anon, key.sign(claims(exp=past, iat=past - datetime.timedelta(minutes=5))))


def test_clock_skew_within_leeway_is_accepted(anon: O2Client, key: Any) -> None:
    just_expired = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=10)
    assert get(anon, key.sign(claims(exp=just_expired))).status_code == 200


def test_wrong_audience(anon: O2Client, key: Any) -> None:
    assert "audience" in rejected(anon, key.sign(claims(aud="another-service")))


def test_wrong_issuer(anon: O2Client, key: Any) -> None:
    assert "issuer" in rejected(anon, key.sign(claims(iss="https://evil.example.test")))


def test_missing_expiry(anon: O2Client, key: Any) -> None:
    assert "'exp'" in rejected(anon, key.sign(claims(exp=None)))


def test_bad_signature(anon: O2Client, key: Any) -> None:
    impostor = rsa_key("key-1")  # same key id, different key
    assert "signature" in rejected(anon, impostor.sign(claims()))


def test_tampered_payload(anon: O2Client, key: Any) -> None:
    header, _, signature = key.sign(claims()).split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims(roles=["admin"]), default=str).encode()).rstrip(b"=")
    assert rejected(anon, f"{header}.{payload.decode()}.{signature}")


def test_alg_none_is_refused(anon: O2Client, key: Any) -> None:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, default=int).encode()).rstrip(b"=").decode()

    body = {k: (int(v.timestamp()) if isinstance(v, datetime.datetime) else v) for k, v in claims().items()}
    unsigned = f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'key-1'})}.{part(body)}."
    assert "algorithm" in rejected(anon, unsigned)


def test_hmac_with_the_public_key_is_refused(anon: O2Client, key: Any) -> None:
    import hashlib
    import hmac

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    body = {k: (int(v.timestamp()) if isinstance(v, datetime.datetime) else v) for k, v in claims().items()}
    signing_input = f"{part({'alg': 'HS256', 'typ': 'JWT', 'kid': 'key-1'})}.{part(body)}"
    mac = hmac.new(json.dumps(key.jwk()).encode(), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert "algorithm" in rejected(anon, forged)


def test_rotated_key_is_fetched_without_restart(anon: O2Client, oidc: JwksServer, key: Any) -> None:
    assert get(anon, key.sign(claims())).status_code == 200
    fetched = oidc.fetches
    rotated = ec_key("key-2")
    oidc.keys = [rotated.jwk()]  # the provider rotates: the old key is gone, a new one appears
    assert get(anon, rotated.sign(claims())).status_code == 200
    assert oidc.fetches == fetched + 1
    assert "not in the identity provider's key set" in rejected(anon, key.sign(claims()))


def test_unknown_key_ids_do_not_flood_the_provider(anon: O2Client, oidc: JwksServer, key: Any, settings: Any) -> None:
    settings.NETWEAVE_OIDC_JWKS_URL = oidc.url + "?rate-limited"  # a fresh cache with the production interval
    settings.NETWEAVE_OIDC_JWKS_MIN_REFRESH = 30
    assert get(anon, key.sign(claims())).status_code == 200
    fetched = oidc.fetches
    for index in range(5):
        rejected(anon, rsa_key(f"made-up-{index}").sign(claims()))
    assert oidc.fetches == fetched


def test_roles_come_from_claims_through_the_group_map(anon: O2Client, key: Any, settings: Any) -> None:
    settings.NETWEAVE_OIDC_ROLES_CLAIMS = ["realm_access.roles"]
    settings.NETWEAVE_OIDC_ROLE_MAP = {"o2-provisioners": "provisioner"}
    no_role = key.sign(claims(roles=None, realm_access={"roles": ["unrelated"]}))
    assert get(anon, no_role).status_code == 403
    reader = key.sign(claims(roles=["provisioner"], realm_access={"roles": ["reader"]}))  # `roles` is not read
    response = anon.post(POOLS_EXT, {}, HTTP_AUTHORIZATION=f"Bearer {reader}")
    assert response.status_code == 403
    assert "provisioner" in json_of(response)["detail"]
    provisioner = key.sign(claims(realm_access={"roles": ["o2-provisioners"]}))
    response = anon.post(POOLS_EXT, {}, HTTP_AUTHORIZATION=f"Bearer {provisioner}")
    assert response.status_code == 400  # past authorization: the empty body is refused
