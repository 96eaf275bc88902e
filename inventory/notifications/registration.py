"""The O-Cloud registers itself with the SMO at start-up (O2-REFERENCE.md §5), when configured.

NETWEAVE_SMO_REGISTRATION_URL names the SMO's registration URL; the worker queues `inventory.register_ocloud`
when it starts, and the task retries with backoff until the SMO accepts. Authentication is the SMO endpoint's
whose base URL the registration URL starts with. The outcome is kept in SmoRegistration (admin).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from inventory.models import SmoEndpoint, SmoRegistration
from inventory.notifications import auth, deadline, sender
from netweave.o2.urls import public_url
from plugins.secrets import SecretError


@dataclass
class Result:
    message: str
    retry: bool = False
    attempts: int = 0


def registration_body() -> dict[str, str]:
    conf = settings.NETWEAVE_OCLOUD
    return {
        "globalCloudId": conf["globalCloudId"],
        "oCloudId": conf["oCloudId"],
        "IMS_EP": public_url("/o2ims-infrastructureInventory/v1"),
    }


def _endpoint(url: str) -> SmoEndpoint | None:
    matching = [e for e in SmoEndpoint.objects.exclude(base_url="") if url.startswith(e.base_url)]
    return max(matching, key=lambda e: len(e.base_url), default=None)


def _post(url: str) -> str | None:
    """POST the registration; None on success, else the error."""
    body = orjson.dumps(registration_body())
    endpoint = _endpoint(url)
    try:
        # The whole exchange, like a delivery attempt. The URL is the operator's: no callback check.
        with deadline.bounded(auth.attempt_seconds()), sender.Connections() as connections:
            headers = auth.request_headers(endpoint, body)
            answer = connections.request("POST", sender.Target.of(url), headers, body, auth.tls_context(endpoint))
    except (auth.AuthError, SecretError) as exc:
        return f"authentication: {exc}"
    except sender.SendError as exc:
        return str(exc)
    if 200 <= answer.status < 300:
        return None
    return f"HTTP {answer.status}: {answer.text()}"


def register() -> Result:
    url = str(getattr(settings, "NETWEAVE_SMO_REGISTRATION_URL", "") or "")
    if not url:
        return Result("registration disabled (NETWEAVE_SMO_REGISTRATION_URL is empty)")
    row, _ = SmoRegistration.objects.get_or_create(url=url)
    SmoRegistration.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_attempt=timezone.now())
    row.refresh_from_db()
    error = _post(url)
    if error is None:
        SmoRegistration.objects.filter(pk=row.pk).update(registered=timezone.now(), last_error="")
        return Result(f"registered with {url}", attempts=row.attempts)
    SmoRegistration.objects.filter(pk=row.pk).update(last_error=error[:2000])
    return Result(f"registration failed: {error}", retry=True, attempts=row.attempts)
