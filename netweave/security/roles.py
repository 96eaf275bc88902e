"""The roles a caller can hold, and what holding one implies.

Roles are flat names, modelled on what production O2ims deployments use. Every role can read (a subscriber
must see its subscriptions, a deployer the deployment managers it deploys to); `admin` satisfies every
requirement; only `deployer` (and `admin`) may read deployment-manager profile data, which is a credential.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    READER = "reader"  # every GET, except deployment-manager profile data
    SUBSCRIBER = "subscriber"  # create and delete subscriptions (inventory and alarm)
    MAINTAINER = "maintainer"  # acknowledge and clear alarms, change the alarm service configuration
    PROVISIONER = "provisioner"  # IMS writes: netweave's IMS write extension, provisioning requests
    DEPLOYER = "deployer"  # O2dms operations and deployment-manager profile data
    ADMIN = "admin"  # everything


ROLE_CHOICES = [(role.value, role.value) for role in Role]


def parse_roles(names: Iterable[str]) -> frozenset[Role]:
    """The known roles among `names`; unknown names are ignored (an IdP may send unrelated groups)."""
    known = {role.value for role in Role}
    return frozenset(Role(name) for name in names if name in known)


def satisfies(held: Iterable[Role], required: Role) -> bool:
    """Whether holding `held` meets the `required` role."""
    held_set = set(held)
    if Role.ADMIN in held_set or required in held_set:
        return True
    return required is Role.READER and bool(held_set)
