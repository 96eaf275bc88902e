"""The audit log: every write and every denial, with identity, role, request id, source address and outcome;
every admin login; read-only in the admin."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from netweave.models import AuditEvent
from tests.o2client import O2Client

OCLOUD = "/o2ims-infrastructureInventory/v1"
POOLS_EXT = "/netweave-ims-ext/v1/resourcePools"


@pytest.fixture
def anon(anonymous_client: Any, db: None) -> O2Client:
    return O2Client(anonymous_client)


def test_write_is_recorded_with_who_and_where(anon: O2Client, make_api_token: Any) -> None:
    token = make_api_token("provisioner")
    response = anon.post(POOLS_EXT, {}, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_REQUEST_ID="req-audit-1")
    assert response.status_code == 400
    event = AuditEvent.objects.get(request_id="req-audit-1")
    key = token.removeprefix("nwt_").split(".")[0]
    assert (event.identity, event.auth_method, event.roles) == (f"token:{key}", "token", "provisioner")
    assert (event.method, event.path, event.status, event.outcome) == ("POST", POOLS_EXT, 400, "failed")
    assert event.source_address == "127.0.0.1"
    assert token.split(".")[1] not in str(AuditEvent.objects.filter(pk=event.pk).values().first())


def test_denials_are_recorded_and_reads_are_not(anon: O2Client, make_api_token: Any) -> None:
    reader = make_api_token("reader")
    assert anon.get(OCLOUD, HTTP_AUTHORIZATION=f"Bearer {reader}").status_code == 200
    assert anon.get(OCLOUD).status_code == 401
    assert anon.post(POOLS_EXT, {}, HTTP_AUTHORIZATION=f"Bearer {reader}").status_code == 403
    assert (
        anon.get(OCLOUD, HTTP_AUTHORIZATION="Bearer nwt_aaaaaaaaaaaa.bad", REMOTE_ADDR="192.0.2.9").status_code == 401
    )
    outcomes = list(AuditEvent.objects.order_by("id").values_list("outcome", "status", "source_address", "detail"))
    assert [o[:3] for o in outcomes] == [
        ("unauthenticated", 401, "127.0.0.1"),
        ("forbidden", 403, "127.0.0.1"),
        ("unauthenticated", 401, "192.0.2.9"),
    ]
    assert "provisioner" in outcomes[1][3]


def test_admin_logins_are_recorded_and_repeated_failures_lock_out(client: Any, settings: Any) -> None:
    get_user_model().objects.create_superuser("ops", "", "correct horse battery")
    assert client.post("/admin/login/", {"username": "ops", "password": "correct horse battery"}).status_code == 302
    assert AuditEvent.objects.filter(outcome="login", identity="user:ops").exists()
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "ops", "password": "wrong"})
    assert (
        AuditEvent.objects.filter(outcome="login-failed", identity="user:ops").count()
        >= settings.AXES_FAILURE_LIMIT - 1
    )
    locked = client.post("/admin/login/", {"username": "ops", "password": "correct horse battery"})
    assert locked.status_code in (403, 429)
    assert AuditEvent.objects.filter(outcome="locked-out", identity="user:ops").exists()
    assert "wrong" not in str(list(AuditEvent.objects.values()))


def test_audit_log_is_browsable_and_read_only(admin_client: Any, anon: O2Client) -> None:
    anon.get(OCLOUD)
    event = AuditEvent.objects.get(outcome="unauthenticated")
    listing = admin_client.get("/admin/netweave/auditevent/")
    assert listing.status_code == 200
    assert OCLOUD in listing.content.decode()
    assert admin_client.get("/admin/netweave/auditevent/add/").status_code == 403
    detail = admin_client.post(f"/admin/netweave/auditevent/{event.pk}/change/", {"outcome": "allowed"})
    assert detail.status_code == 403
    assert admin_client.post(f"/admin/netweave/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).outcome == "unauthenticated"


def test_session_and_csrf_cookies_are_hardened(settings: Any) -> None:
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == settings.CSRF_COOKIE_SAMESITE == "Strict"
    assert settings.X_FRAME_OPTIONS == "DENY"


def test_login_cookie_flags_on_the_wire(client: Any) -> None:
    get_user_model().objects.create_superuser("ops2", "", "correct horse battery")
    response = client.post("/admin/login/", {"username": "ops2", "password": "correct horse battery"})
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
