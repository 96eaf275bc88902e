"""The security audit log: every write and every denied request (API and admin), and every admin login.

Rows are written by AuditMiddleware after the response is known, and by the login signal receivers below.
They name the identity, its roles and how it authenticated, the request id, the source address and the
outcome; never a credential (the admin's login form data is not recorded, only the username tried).
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from netweave.models import AuditEvent
from netweave.security.network import client_address
from netweave.security.policy import WRITE_METHODS
from netweave.security.principals import Principal

logger = logging.getLogger(__name__)

_OUTCOME_BY_STATUS = {
    401: AuditEvent.Outcome.UNAUTHENTICATED,
    403: AuditEvent.Outcome.FORBIDDEN,
    413: AuditEvent.Outcome.REJECTED,
    429: AuditEvent.Outcome.THROTTLED,
}
DENIED_STATUSES = frozenset(_OUTCOME_BY_STATUS)


def _who(request: HttpRequest) -> dict[str, str]:
    user = getattr(request, "user", None)
    if isinstance(user, Principal):
        return {"identity": user.identity, "auth_method": user.method, "roles": user.role_names}
    if user is not None and getattr(user, "is_authenticated", False):
        roles = "superuser" if user.is_superuser else ("staff" if user.is_staff else "")
        return {"identity": f"user:{user.get_username()}", "auth_method": "session", "roles": roles}
    return {"identity": "", "auth_method": "", "roles": ""}


def record(
    request: HttpRequest | None, outcome: str, *, status: int | None = None, detail: str = "", **who: str
) -> None:
    """Append one audit row. A failure to write it is logged, never turned into a failed request."""
    fields: dict[str, Any] = {"outcome": outcome, "status": status, "detail": detail[:500]}
    if request is not None:
        fields.update(
            request_id=getattr(request, "request_id", "")[:128],
            source_address=client_address(request)[:64],
            method=(request.method or "")[:10],
            path=request.path[:500],
        )
        fields.update(_who(request))
    fields.update(who)
    # What a caller sent can hold a NUL character or be longer than the column: keep the record, marked/cut.
    for name, value in list(fields.items()):
        if isinstance(value, str):
            limit = getattr(AuditEvent._meta.get_field(name), "max_length", None) or len(value)
            fields[name] = value.replace("\x00", "\\x00")[:limit]
    try:
        AuditEvent.objects.create(**fields)
    except DatabaseError:
        logger.exception("Cannot write the audit record (%s %s)", outcome, fields.get("path", ""))


def should_record(request: HttpRequest, response: HttpResponse) -> bool:
    return request.method in WRITE_METHODS or response.status_code in DENIED_STATUSES


def record_response(request: HttpRequest, response: HttpResponse) -> None:
    status = response.status_code
    outcome = _OUTCOME_BY_STATUS.get(status) or (
        AuditEvent.Outcome.ALLOWED if status < 400 else AuditEvent.Outcome.FAILED
    )
    data = getattr(response, "data", None)
    detail = str(data.get("detail", "")) if isinstance(data, dict) and status >= 400 else ""
    record(request, outcome, status=status, detail=detail)


@receiver(user_logged_in, dispatch_uid="netweave-audit-login")
def _login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record(request, AuditEvent.Outcome.LOGIN, identity=f"user:{user.get_username()}", auth_method="password")


@receiver(user_login_failed, dispatch_uid="netweave-audit-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    record(request, AuditEvent.Outcome.LOGIN_FAILED, identity=f"user:{username}", auth_method="password")


def connect_lockout_signal() -> None:
    """django-axes announces lockouts; record them too."""
    from axes.signals import user_locked_out

    def _locked_out(sender: Any, request: HttpRequest | None, username: str, ip_address: str, **kwargs: Any) -> None:
        record(request, AuditEvent.Outcome.LOCKED_OUT, identity=f"user:{username}", auth_method="password")

    user_locked_out.connect(_locked_out, dispatch_uid="netweave-audit-locked-out", weak=False)
