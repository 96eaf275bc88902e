"""netweave API tokens end to end through the O2 API: hashed at rest, expiry, read-only, source networks, 401."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from netweave.models import ApiToken
from tests.o2client import O2Client, json_of

OCLOUD = "/o2ims-infrastructureInventory/v1"
POOLS_EXT = "/netweave-ims-ext/v1/resourcePools"


@pytest.fixture
def anon(anonymous_client: Any, db: None) -> O2Client:
    return O2Client(anonymous_client)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_no_credential_is_401_problem_with_bearer_challenge(anon: O2Client, db: None) -> None:
    response = anon.get(OCLOUD)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "credentials were not provided" in json_of(response)["detail"]


def test_api_versions_and_openapi_are_public(anon: O2Client, anonymous_client: Any, db: None) -> None:
    assert anon.get("/o2ims-infrastructureInventory/api_versions").status_code == 200
    assert anonymous_client.get("/api/schema/").status_code == 200


def test_valid_token_reads(anon: O2Client, make_api_token: Any) -> None:
    response = anon.get(OCLOUD, **bearer(make_api_token("reader")))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Bearer nwt_aaaaaaaaaaaa.not-the-secret", "not valid"),
        ("Bearer nwt_short", "not valid"),
        ("Basic YWRtaW46YWRtaW4=", "Only the Bearer"),
        ("Bearer ", "carries no token"),
        ("Bearer abc.def.ghi", "OIDC is not configured"),
    ],
)
def test_bad_credentials_are_401(anon: O2Client, db: None, header: str, detail: str) -> None:
    response = anon.get(OCLOUD, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert detail in json_of(response)["detail"]


def test_wrong_secret_for_a_real_key_is_401(anon: O2Client, make_api_token: Any) -> None:
    key = make_api_token("reader").split(".")[0]
    assert anon.get(OCLOUD, **bearer(f"{key}.guessed")).status_code == 401


def test_expired_token_says_it_expired(anon: O2Client, make_api_token: Any) -> None:
    token = make_api_token("reader", expires=timezone.now() - datetime.timedelta(seconds=1))
    response = anon.get(OCLOUD, **bearer(token))
    assert response.status_code == 401
    assert "expired" in json_of(response)["detail"]


def test_secret_is_hashed_at_rest(make_api_token: Any) -> None:
    token = make_api_token("admin")
    key, secret = token.removeprefix("nwt_").split(".")
    row = ApiToken.objects.get(key=key)
    stored = " ".join(str(v) for v in ApiToken.objects.filter(pk=row.pk).values().first().values())
    assert secret not in stored
    assert len(row.secret_hash) == 64


def test_read_only_token_cannot_write_whatever_its_roles(anon: O2Client, make_api_token: Any) -> None:
    token = make_api_token("admin", write=False)
    response = anon.post(POOLS_EXT, {"name": "p"}, **bearer(token))
    assert response.status_code == 403
    assert "read-only" in json_of(response)["detail"]


def test_token_limited_to_source_networks(anon: O2Client, make_api_token: Any) -> None:
    token = make_api_token("reader", networks=("10.0.0.0/8",))
    assert anon.get(OCLOUD, **bearer(token)).status_code == 403  # the test client is 127.0.0.1
    assert anon.get(OCLOUD, REMOTE_ADDR="10.1.2.3", **bearer(token)).status_code == 200


def test_forwarded_for_counts_only_from_a_trusted_proxy(anon: O2Client, make_api_token: Any, settings: Any) -> None:
    token = make_api_token("reader", networks=("10.0.0.0/8",))
    spoofed = {"HTTP_X_FORWARDED_FOR": "10.1.2.3", **bearer(token)}
    assert anon.get(OCLOUD, **spoofed).status_code == 403
    settings.NETWEAVE_TRUSTED_PROXIES = ["127.0.0.1"]
    assert anon.get(OCLOUD, **spoofed).status_code == 200


def test_token_admin_shows_the_secret_once(admin_client: Any) -> None:
    response = admin_client.post(
        "/admin/netweave/apitoken/add/",
        {"name": "smo-east", "roles": ["reader", "subscriber"], "write_enabled": "on", "allowed_networks": ""},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    token = ApiToken.objects.get(name="smo-east")
    shown = page.split(f"nwt_{token.key}.", 1)[1].split(" ", 1)[0]
    assert len(shown) > 20
    assert token.roles == ["reader", "subscriber"]
    later = admin_client.get(f"/admin/netweave/apitoken/{token.pk}/change/").content.decode()
    assert shown not in later
    assert token.secret_hash not in later


def test_token_admin_rejects_bad_networks(admin_client: Any) -> None:
    response = admin_client.post(
        "/admin/netweave/apitoken/add/", {"name": "x", "roles": ["reader"], "allowed_networks": "10.0.0.0/33"}
    )
    assert response.status_code == 200
    assert "is not an IP address or network" in response.content.decode()
    assert not ApiToken.objects.filter(name="x").exists()


def test_token_command_prints_a_working_token(anon: O2Client, db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("netweave_api_token", "bootstrap", stdout=out)
    token = out.getvalue().split(": ", 1)[1].split()[0]
    assert anon.get(OCLOUD, **bearer(token)).status_code == 200
    again = StringIO()
    call_command("netweave_api_token", "bootstrap", stdout=again)
    assert token not in again.getvalue()


def test_auth_switch_off_gives_anonymous_the_configured_roles(anon: O2Client, settings: Any) -> None:
    settings.NETWEAVE_AUTH_REQUIRED = False
    settings.NETWEAVE_ANONYMOUS_ROLES = ["reader"]
    assert anon.get(OCLOUD).status_code == 200
    response = anon.post(POOLS_EXT, {})
    assert response.status_code == 403
    assert "provisioner" in json_of(response)["detail"]


def test_plain_django_views_follow_the_same_policy(anonymous_client: Any, make_api_token: Any) -> None:
    """/metrics is not a DRF view; the middleware applies the policy to it all the same."""
    assert anonymous_client.get("/metrics").status_code == 401
    assert anonymous_client.get("/metrics", HTTP_AUTHORIZATION="Bearer nwt_aaaaaaaaaaaa.bad").status_code == 401
    reader = anonymous_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {make_api_token('reader')}")
    assert reader.status_code == 200
