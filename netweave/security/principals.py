"""The authenticated caller as the policy sees it, whatever the credential was.

DRF puts this object in `request.user` (and Django's request too), so views that only ask
`user.is_authenticated` and `user.pk` keep working. `grants` holds roles; a tenant scope would be added to a
grant here (docs/decisions/0006-authorization.md) without changing any view.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netweave.security.roles import Role


@dataclass(frozen=True)
class Principal:
    identity: str  # "token:<key id>", "jwt:<issuer>#<subject>", "cert:<subject DN>", "anonymous"
    method: str  # token, jwt, mtls, anonymous
    roles: frozenset[Role] = field(default_factory=frozenset)
    write_enabled: bool = True  # an API token may be read-only whatever its roles
    pk: int | None = None  # the Django user behind the credential, if any (for the change log)

    is_authenticated = True
    is_anonymous = False
    is_active = True

    @property
    def role_names(self) -> str:
        return ",".join(sorted(role.value for role in self.roles))

    def __str__(self) -> str:
        return self.identity


def actor_of(user: object, auth: object) -> str:
    """Who made an API request, for the change log: the API token's name (the service account or person it was
    issued to) with its key id, else the credential's identity (JWT subject, certificate subject)."""
    from netweave.models import ApiToken

    if isinstance(auth, ApiToken):
        return f"token {auth.name} (nwt_{auth.key})"
    return str(user) if user is not None else ""
