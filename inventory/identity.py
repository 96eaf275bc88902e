"""Deterministic O2 identifiers.

An object's UUID is uuid5 of (plugin instance id, kind, native id): the same backend object gets the same
O2 id on every sync, after restarts and after the configuration is re-imported (instances keep their id
when re-imported by name). SMOs can therefore keep references across netweave's lifetime.
"""

from __future__ import annotations

import uuid

NETWEAVE_NAMESPACE = uuid.UUID("6f3b5e0a-3c1d-5b8e-9a4f-2d7c1e0b9a11")

DEPLOYMENT_MANAGER = "deploymentManager"
RESOURCE_POOL = "resourcePool"
RESOURCE_TYPE = "resourceType"
RESOURCE = "resource"


def object_uuid(instance_id: uuid.UUID | str, kind: str, native_id: str) -> uuid.UUID:
    return uuid.uuid5(NETWEAVE_NAMESPACE, f"{instance_id}:{kind}:{native_id}")
