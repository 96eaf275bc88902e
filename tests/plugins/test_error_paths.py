"""plugins.sdk.validation.error_paths: DRF's error tree as field paths, one notation for the API and the config."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from plugins.sdk.validation import REDACTED, error_paths


class Matcher(serializers.Serializer):
    label = serializers.CharField(max_length=3)


class Churn(serializers.Serializer):
    enabled = serializers.BooleanField()


class Nested(serializers.Serializer):
    name = serializers.CharField()
    churn = Churn()
    matchers = Matcher(many=True)
    tags = serializers.ListField(child=serializers.IntegerField())
    limits = serializers.DictField(child=serializers.IntegerField())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["name"] == "both":
            raise serializers.ValidationError("name and churn disagree.")
        return attrs


def paths_of(data: Any) -> list[tuple[str, str]]:
    serializer = Nested(data=data)
    assert not serializer.is_valid()
    return error_paths(serializer.errors, root="config")


VALID = {"name": "x", "churn": {"enabled": True}, "matchers": [{"label": "a"}], "tags": [1], "limits": {"cpu": 1}}


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ({"name": ""}, "name", "This field may not be blank."),
        ({"churn": {"enabled": "perhaps"}}, "churn.enabled", "Must be a valid boolean."),
        ({"churn": "yes"}, "churn", "Invalid data. Expected a dictionary, but got str."),
        ({"matchers": [{"label": "a"}, {"label": "long"}]}, "matchers[1].label", "no more than 3 characters"),
        ({"matchers": "x"}, "matchers", 'Expected a list of items but got type "str".'),
        ({"tags": [1, "two"]}, "tags[1]", "A valid integer is required."),
        ({"limits": {"cpu": "lots"}}, "limits.cpu", "A valid integer is required."),
        ({"name": "both"}, "config", "name and churn disagree."),
    ],
)
def test_real_serializer_errors(change: dict[str, Any], path: str, message: str) -> None:
    pairs = paths_of({**VALID, **change})
    assert len(pairs) == 1, pairs
    assert pairs[0][0] == path
    assert message in pairs[0][1]


def test_every_message_is_kept_in_order() -> None:
    pairs = paths_of({"churn": {}, "matchers": [{}, {"label": "toolong"}], "tags": [], "limits": {}})
    assert [path for path, _ in pairs] == ["name", "churn.enabled", "matchers[0].label", "matchers[1].label"]


def test_hand_made_trees() -> None:
    detail = {
        "non_field_errors": ["whole body"],
        "a": {"b": {"c": ["deep"], "non_field_errors": ["about b"]}},
        "items": [{}, {"x": ["second item"]}, ["nested list"]],
        "plain": "one message",
    }
    assert error_paths(detail, root="body") == [
        ("body", "whole body"),
        ("a.b.c", "deep"),
        ("a.b", "about b"),
        ("items[1].x", "second item"),
        ("items[2]", "nested list"),
        ("plain", "one message"),
    ]


def test_the_root_names_top_level_messages_and_items() -> None:
    assert error_paths(["bad"], root="body") == [("body", "bad")]
    assert error_paths("bad", root="config") == [("config", "bad")]
    assert error_paths([{"name": ["missing"]}], root="body") == [("body[0].name", "missing")]
    assert error_paths({}, root="body") == []


def test_hidden_values_never_appear() -> None:
    detail = {"token": ["token s3cret is revoked"], "other": ["s3cret again, and more"]}
    assert error_paths(detail, root="config", hide=["s3cret", ""]) == [
        ("token", f"token {REDACTED} is revoked"),
        ("other", f"{REDACTED} again, and more"),
    ]
