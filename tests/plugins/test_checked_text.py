"""plugins.sdk.validation.checked_text: the IMS plugins' check of a text value a caller sent."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.sdk.errors import InvalidRequest
from plugins.sdk.validation import checked_text


def test_a_good_value_comes_back() -> None:
    assert checked_text("edge pool", "name", required=True) == "edge pool"
    assert checked_text("", "description") == ""
    assert checked_text("x" * 10_000, "description", max_length=10_000) == "x" * 10_000


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (5, {}, "name must be a string"),
        (None, {}, "name must be a string"),
        ("  ", {"required": True}, "name is required"),
        ("x" * 256, {}, "name is longer than 255 characters"),
        ("abcd", {"max_length": 3}, "name is longer than 3 characters"),
    ],
)
def test_a_bad_value_is_refused_naming_the_field(value: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest, match=message) as raised:
        checked_text(value, "name", **kwargs)
    assert raised.value.field == "name"
