"""Deterministic O2 identifiers.

An object's UUID is uuid5 of (plugin instance id, kind, native id): the same backend object gets the same
O2 id on every sync, after restarts and after the configuration is re-imported (instances keep their id
when re-imported by name). SMOs can therefore keep references across netweave's lifetime.
"""

from __future__ import annotations

import hashlib
import uuid

NETWEAVE_NAMESPACE = uuid.UUID("6f3b5e0a-3c1d-5b8e-9a4f-2d7c1e0b9a11")

DEPLOYMENT_MANAGER = "deploymentManager"
RESOURCE_POOL = "resourcePool"
RESOURCE_TYPE = "resourceType"
RESOURCE = "resource"
LOCATION = "location"
O_CLOUD_SITE = "oCloudSite"
ALARM_DICTIONARY = "alarmDictionary"  # made from a resource type's embedded dictionary: native id = the type's


_NAMESPACE_BYTES = NETWEAVE_NAMESPACE.bytes
# uuid5 layout: SHA-1 of namespace + name, version 5 in bits 76-79, RFC 4122 variant in bits 62-63.
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (5 << 76) | (0x8000 << 48)


def object_uuid(instance_id: uuid.UUID | str, kind: str, native_id: str) -> uuid.UUID:
    """uuid5(NETWEAVE_NAMESPACE, "<instance>:<kind>:<native id>").

    Computed directly rather than with uuid.uuid5: a sync derives one per object and uuid.UUID's validating
    constructor was the largest cost of a no-change re-sync at 100k objects. test_identity checks that both
    agree."""
    digest = hashlib.sha1(_NAMESPACE_BYTES + f"{instance_id}:{kind}:{native_id}".encode(), usedforsecurity=False)
    value = (int.from_bytes(digest.digest()[:16], "big") & _CLEAR) | _SET
    result = object.__new__(uuid.UUID)
    object.__setattr__(result, "int", value)
    object.__setattr__(result, "is_safe", uuid.SafeUUID.unknown)
    return result
