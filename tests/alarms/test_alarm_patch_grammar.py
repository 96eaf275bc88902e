"""Property: the alarm PATCH body grammar accepts exactly {"alarmAcknowledged": true} and {"perceivedSeverity": 5};
every other JSON value is a 400 (O2-REFERENCE.md §6)."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from inventory.alarms.views import parse_modification
from netweave.o2.problems import BadRequest

VALID = ({"alarmAcknowledged": True}, {"perceivedSeverity": 5})
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=20), children, max_size=3),
    max_leaves=6,
)
KEYS = st.sampled_from(["alarmAcknowledged", "perceivedSeverity", "extensions", "AlarmAcknowledged"])
BODIES = JSON | st.dictionaries(KEYS, JSON, max_size=3)


@given(BODIES)
@example({"perceivedSeverity": 5.0})
@example({"perceivedSeverity": True})
@example({"alarmAcknowledged": 1})
def test_only_the_two_modifications_are_accepted(body: Any) -> None:
    valid = any(body == v and type(next(iter(body.values()))) is type(next(iter(v.values()))) for v in VALID)
    try:
        result = parse_modification(body)
    except BadRequest:
        assert not valid, body
    else:
        assert valid, body
        assert result == body
