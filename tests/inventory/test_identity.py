"""The fast object-id derivation is exactly uuid5."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from inventory.identity import NETWEAVE_NAMESPACE, object_uuid


@given(instance=st.uuids(), kind=st.sampled_from(["resource", "resourcePool"]), native_id=st.text(max_size=80))
def test_object_uuid_is_uuid5(instance: uuid.UUID, kind: str, native_id: str) -> None:
    fast = object_uuid(instance, kind, native_id)
    reference = uuid.uuid5(NETWEAVE_NAMESPACE, f"{instance}:{kind}:{native_id}")
    assert fast == reference
    assert str(fast) == str(reference)
    assert hash(fast) == hash(reference)
    assert fast.version == 5
    assert {fast: 1}[reference] == 1
