"""The fake A&AI's PUT validation follows A&AI v29 (aai_oxm_v29.xml and aai-common's validateIntrospector): a
missing key comes from the path, a missing required property with a default gets the default, a missing one
without a default, a wrong type, a key differing from the path, or one of a pnf's model ids without the other
is 400."""

from __future__ import annotations

import json
from typing import Any

from tests.smo.aai_fake import FakeAai

PNF = "/aai/v29/network/pnfs/pnf"
REGION = "/aai/v29/cloud-infrastructure/cloud-regions/cloud-region"


def put(fake: FakeAai, path: str, body: dict[str, Any]) -> int:
    return fake.handle("PUT", path, json.dumps(body).encode())[0]


def test_keys_from_the_path_and_defaults_filled() -> None:
    fake = FakeAai()
    assert put(fake, f"{PNF}/p1", {"nf-role": "du"}) == 201
    stored = fake.objects["/network/pnfs/pnf/p1"]
    assert (stored["pnf-name"], stored["in-maint"], stored["spare-equipment-indicator"]) == ("p1", False, False)
    assert put(fake, f"{REGION}/owner/r1", {}) == 201
    region = fake.objects["/cloud-infrastructure/cloud-regions/cloud-region/owner/r1"]
    assert (region["cloud-owner"], region["orchestration-disabled"], region["in-maint"]) == ("owner", False, False)


def test_what_aai_refuses_is_400() -> None:
    fake = FakeAai()
    assert put(fake, f"{PNF}/p1", {"pnf-name": "other"}) == 400  # key differs from the path
    assert put(fake, f"{PNF}/p1", {"in-maint": "false"}) == 400  # a string for a boolean
    assert put(fake, f"{PNF}/p1", {"model-invariant-id": "m"}) == 400  # requires model-version-id
    assert put(fake, f"{REGION}/other/r1", {"cloud-owner": "owner"}) == 400  # the first key differs
    complex_path = "/aai/v29/cloud-infrastructure/complexes/complex/c1"
    assert put(fake, complex_path, {"physical-location-type": "site"}) == 400  # street1, city, ... have no default
    assert not fake.objects
