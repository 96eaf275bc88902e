"""The authorization policy: one declarative table from (route, method, query parameters) to the role needed.

Every URL pattern Django can resolve must match a rule here; a route without one is denied to everybody and
fails the authorization matrix test (tests/security/test_authorization_matrix.py), so an endpoint added later
cannot slip through unprotected. Rules match the route *pattern* (as `resolver_match.route` spells it, e.g.
`o2ims-infrastructureInventory/v1/resourcePools/<str:resourcePoolId>`) with shell-style wildcards; the first
matching rule wins, so specific rules come before broad ones.

The table names requirements only. Who holds which role is authentication's business (principals.py), and how
a requirement is met is `roles.satisfies`; a tenant scope would be added to the requirement and the grant, not
to the views (docs/decisions/0006-authorization.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from fnmatch import fnmatchcase

from netweave.security.roles import Role

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ALL_METHODS = READ_METHODS | WRITE_METHODS


class Access(Enum):
    """Requirements that are not a role."""

    PUBLIC = "public"  # no credential needed
    DENY = "deny"  # nobody, not even admin (the method is not part of this API)
    NOT_API = "not-api"  # not an API route: its own authentication applies (the admin's login)


Requirement = Role | Access


@dataclass(frozen=True)
class Rule:
    pattern: str
    read: Requirement
    write: Requirement = Access.DENY
    methods: Mapping[str, Requirement] = field(default_factory=dict)  # per-method overrides
    query: Mapping[str, Role] = field(default_factory=dict)  # query parameters that need a (stronger) role

    def matches(self, route: str) -> bool:
        return fnmatchcase(route, self.pattern)

    def requirement(self, method: str, query_params: Mapping[str, object]) -> Requirement:
        method = method.upper()
        if method in self.methods:
            required = self.methods[method]
        elif method in READ_METHODS:
            required = self.read
        else:
            required = self.write
        if isinstance(required, Role):
            for name, role in self.query.items():
                if name in query_params and required is Role.READER:
                    required = role
        return required


IMS = "o2ims-infrastructureInventory"
MON = "o2ims-infrastructureMonitoring"
PROV = "o2ims-infrastructureProvisioning"
PERF = "o2ims-infrastructurePerformance"

RULES: tuple[Rule, ...] = (
    # Not the O2 APIs: the admin has its own login; the OpenAPI document and its viewer are public.
    Rule("admin/*", read=Access.NOT_API, write=Access.NOT_API),
    Rule("api/schema/", read=Access.PUBLIC),
    Rule("api/docs/", read=Access.PUBLIC),
    Rule("health*", read=Access.PUBLIC),
    # Prometheus scrapes with a reader credential (docs/security.md).
    Rule("metrics", read=Role.READER),
    # Version discovery is public so that a client can find the API before it has a credential.
    Rule("*/api_versions", read=Access.PUBLIC),
    # O2ims inventory: deployment-manager profile data is a credential (O2-REFERENCE.md §2).
    Rule(f"{IMS}/v*/deploymentManagers/<*>", read=Role.READER, query={"profile": Role.DEPLOYER}),
    Rule(f"{IMS}/v*/subscriptions*", read=Role.READER, write=Role.SUBSCRIBER),
    Rule(f"{IMS}*", read=Role.READER),
    # O2ims monitoring: alarm subscriptions are a subscriber's; alarms and their configuration a maintainer's.
    Rule(f"{MON}/v*/alarmSubscriptions*", read=Role.READER, write=Role.SUBSCRIBER),
    Rule(f"{MON}*", read=Role.READER, write=Role.MAINTAINER),
    # Provisioning and performance jobs change the infrastructure.
    Rule(f"{PROV}*", read=Role.READER, write=Role.PROVISIONER),
    Rule(f"{PERF}*", read=Role.READER, write=Role.PROVISIONER),
    # O2dms (and netweave's documented DMS extensions).
    Rule("o2dms*", read=Role.READER, write=Role.DEPLOYER),
    Rule("netweave-dms-ext/v*/subscriptions*", read=Role.READER, write=Role.SUBSCRIBER),
    Rule("netweave-dms-ext*", read=Role.READER, write=Role.DEPLOYER),
    # netweave's IMS write extension.
    Rule("netweave-ims-ext*", read=Role.READER, write=Role.PROVISIONER),
    # netweave's observability extension: Alertmanager posts its webhook with a maintainer's API token.
    Rule("netweave-obs-ext*", read=Role.READER, write=Role.MAINTAINER),
    # netweave's admin extension: secrets (names and where they live) are the admin's alone; the routing
    # simulator (a GET) is a read; everything else is read by readers and changed by admins.
    Rule("netweave-admin-ext/v*/secrets*", read=Role.ADMIN, write=Role.ADMIN),
    Rule("netweave-admin-ext*", read=Role.READER, write=Role.ADMIN),
    # netweave's SMO North API: starting workflows, registering service models and applying policies orchestrate
    # deployments, so they need the deployer role (docs/smo.md).
    Rule("netweave-smo-ext*", read=Role.READER, write=Role.DEPLOYER),
)


def rule_for(route: str) -> Rule | None:
    """The first rule matching the route pattern, or None (the route is then denied to everybody)."""
    route = route.lstrip("^").rstrip("$")
    for rule in RULES:
        if rule.matches(route):
            return rule
    return None


def requirement_for(route: str | None, method: str, query_params: Mapping[str, object]) -> Requirement:
    """What a request needs. An unresolved route (None) or one without a rule is denied."""
    if route is None:
        return Access.DENY
    rule = rule_for(route)
    if rule is None:
        return Access.DENY
    return rule.requirement(method, query_params)
