"""netweave's own tables: API tokens (hashed at rest) and the security audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A netweave API token. The caller holds `nwt_<key>.<secret>`; only the key (to find the row) and an
    HMAC-SHA256 of the secret under a server-side pepper (NETWEAVE_TOKEN_PEPPER) are stored, so a copy of the
    database does not yield usable tokens. The full token is shown once, when it is created."""

    name = models.CharField(max_length=100, help_text="What the token is for (e.g. the SMO that holds it).")
    key = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    roles = models.JSONField(default=list, help_text="Roles the token holds.")
    write_enabled = models.BooleanField(
        default=False, help_text="Unless set, the token can only read, whatever its roles."
    )
    allowed_networks = models.JSONField(
        default=list, blank=True, help_text="Source addresses or CIDRs the token may be used from; empty: any."
    )
    expires = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text="The person responsible for the token (recorded in the change log).",
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} (nwt_{self.key})"

    @property
    def is_expired(self) -> bool:
        return self.expires is not None and self.expires <= timezone.now()


class AuditEvent(models.Model):
    """One security-relevant event: an API or admin write, a denied request, a login. Append-only."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed"
        FAILED = "failed"  # allowed, but the operation answered an error
        UNAUTHENTICATED = "unauthenticated"
        FORBIDDEN = "forbidden"
        THROTTLED = "throttled"
        REJECTED = "rejected"  # refused before authentication (e.g. body too large)
        LOGIN = "login"
        LOGIN_FAILED = "login-failed"
        LOCKED_OUT = "locked-out"

    time = models.DateTimeField(default=timezone.now, db_index=True)
    identity = models.CharField(max_length=300, blank=True)
    auth_method = models.CharField(max_length=20, blank=True)
    roles = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=128, blank=True, db_index=True)
    source_address = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=500, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, db_index=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["identity", "time"])]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.outcome} {self.method} {self.path}"


class Heartbeat(models.Model):
    """The last sign of life of a background process (netweave.heartbeat): a Celery worker that ran the heartbeat
    task, or the beat scheduler. Readiness and the metrics say "degraded" when none arrived within the window."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=10)
    seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} ({self.seen:%Y-%m-%d %H:%M:%S})"
