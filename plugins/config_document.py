"""The shape of a `config/plugins.yaml` document, declared as DRF serializers (like each plugin type's config).

plugins.config_io checks a document with these before it plans anything: the top level, the sections, each
plugin entry and each routing rule. What is left to config_io is what a shape cannot say: names unique across
the file, a rule's plugin being an instance of its category, one default per category, secret references that
exist, and each plugin type's own config (its config class, through plugins.secrets.validate_config).

YAML is typed, so the fields are strict where DRF would coerce: `enabled: "yes"` is not a boolean, `priority:
"5"` not a whole number, `name: 42` not a name. Every problem is reported as "<where>: <key>: <message>", the key
dotted (`conditions.labels`), by `problems`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

from plugins.models import slug_validator
from plugins.sdk.base import PluginCategory
from plugins.sdk.validation import error_paths

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise as _StrPromise

CATEGORIES: tuple[str, ...] = tuple(c.value for c in PluginCategory)
ROUTED_CATEGORIES: tuple[str, ...] = ("ims", "dms", "smo")
TYPE_KEY = {"ims": "resourceType", "dms": "packageType"}  # smo rules carry `mode` instead
SMO_MODES = ("northbound", "dms-backend")
ROOT = "(entry)"


def say(message: str, *also: str) -> dict[str, str | _StrPromise]:
    """error_messages giving `message` for a wrong value, and for each of `also` (null, required, bounds...)."""
    return {key: message for key in ("invalid", "null", *also)}


class Text(serializers.CharField):
    """A non-empty YAML string (DRF's CharField would turn 42 into "42"); absent, null or blank say "invalid"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for key in ("blank", "required", "null"):
            self.error_messages[key] = self.error_messages["invalid"]

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or not data:
            self.fail("invalid")
        return str(super().to_internal_value(data))


class Name(Text):
    default_error_messages = {
        "invalid": "must be a non-empty string",
        "max_length": "must be at most {max_length} characters",
    }

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validators=[slug_validator], **kwargs)


class Flag(serializers.BooleanField):
    """true or false, nothing that merely reads like one."""

    default_error_messages = say("must be true or false.")

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class WholeNumber(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class Block(serializers.DictField):
    """A mapping (null, as YAML reads `key:` with nothing after it, is an empty one)."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return (True, {}) if data is None else super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            self.fail("not_a_dict", input_type=type(data).__name__)
        return dict(data)


class Entries(serializers.ListField):
    """A list of entries, each checked on its own later (null is an empty list)."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return (True, []) if data is None else super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return list(data)


SCALAR = (str, int, float, bool)


class Conditions(serializers.Field):
    """A rule's conditions: `labels` (label name -> value) and flags such as `gitOps: true`, each one value."""

    default_error_messages = {"invalid": "must be a mapping (labels and flags such as gitOps: true)."}

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return (True, {}) if data is None else super().validate_empty_values(data)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            self.fail("invalid")
        errors: dict[str, list[str]] = {}
        for key, value in data.items():
            if key == "labels":
                labels_ok = isinstance(value, Mapping) and all(
                    isinstance(k, str) and isinstance(v, SCALAR) for k, v in value.items()
                )
                if not labels_ok:
                    errors["labels"] = ["must map label names to values."]
            elif value is not None and not isinstance(value, SCALAR):
                errors[str(key)] = ["a flag condition must be a single value (e.g. true)."]
        if errors:
            raise serializers.ValidationError(errors)
        return {str(k): ({str(lk): lv for lk, lv in v.items()} if k == "labels" else v) for k, v in data.items()}

    def to_representation(self, value: Any) -> Any:
        return value


class Shape(serializers.Serializer):
    """A mapping whose keys are the fields: a key it does not know is named with the keys it takes, next to the
    fields' own problems (DRF would ignore it)."""

    default_error_messages = {"invalid": "must be a mapping."}
    unknown = "unknown key (expected {keys})."

    def to_internal_value(self, data: Any) -> Any:
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            keys = ", ".join(self.fields)
            unknown = {str(k): [self.unknown.format(keys=keys)] for k in data if k not in self.fields}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, Mapping) else {"non_field_errors": exc.detail}
            raise serializers.ValidationError({**unknown, **detail}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class Document(Shape):
    default_error_messages = {"invalid": "must be a mapping with plugins and routing."}
    unknown = "unknown top-level key (expected {keys})."
    plugins = Block(
        required=False,
        default=dict,
        error_messages={"not_a_dict": "must be a mapping of category to a list of plugin instances."},
    )
    routing = Block(
        required=False, default=dict, error_messages={"not_a_dict": "must be a mapping with ims, dms and smo."}
    )


class PluginSections(Shape):
    unknown = "unknown category (expected one of {keys})."

    def get_fields(self) -> dict[str, serializers.Field]:
        message: dict[str, str | _StrPromise] = {"not_a_list": "must be a list of plugin instances."}
        return {c: Entries(required=False, default=list, error_messages=message) for c in CATEGORIES}


class PluginEntry(Shape):
    default_error_messages = {"invalid": "must be a mapping with name, type, enabled, default and config."}
    name = Name(max_length=63)
    type = Text(error_messages=say("must be a plugin type name, e.g. mock."))
    enabled = Flag(required=False, default=True)
    default = Flag(required=False, default=False)
    syncInterval = WholeNumber(
        required=False, min_value=0, error_messages=say("must be a whole number of seconds, 0 or more.", "min_value")
    )
    config = Block(required=False, default=dict, error_messages={"not_a_dict": "must be a mapping of keys to values."})


class RoutingSections(Shape):
    def get_fields(self) -> dict[str, serializers.Field]:
        message: dict[str, str | _StrPromise] = {"not_a_dict": "must be a mapping with rules."}
        return {c: Block(required=False, error_messages=message) for c in ROUTED_CATEGORIES}


class RoutingSection(Shape):
    """routing.<category>: its rules (and, for smo, the default instance)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        message: dict[str, str | _StrPromise] = {"not_a_list": "must be a list of rules."}
        fields: dict[str, serializers.Field] = {"rules": Entries(required=False, default=list, error_messages=message)}
        if self.context["category"] == "smo":
            fields["default"] = Text(required=False, error_messages=say("must name an SMO plugin instance."))
        return fields


class RuleEntry(Shape):
    """One routing rule; its type key is the category's (resourceType, packageType) or `mode` for smo."""

    def get_fields(self) -> dict[str, serializers.Field]:
        category = self.context["category"]
        type_key = TYPE_KEY.get(category, "mode")
        self.error_messages["invalid"] = f"must be a mapping with name, priority, plugin and {type_key}."
        fields: dict[str, serializers.Field] = {
            "name": Name(max_length=100),
            "priority": WholeNumber(required=False, default=0, error_messages=say("must be a whole number.")),
            "plugin": Text(error_messages=say("must name a plugin instance.")),
            "conditions": Conditions(required=False, default=dict),
            "enabled": Flag(required=False, default=True),
        }
        if category == "smo":
            fields["mode"] = serializers.ChoiceField(
                choices=("", *SMO_MODES),
                required=False,
                default="",
                error_messages=say(f"must be one of {', '.join(SMO_MODES)}.", "invalid_choice"),
            )
            # A dms-backend rule routes O2dms packages of this type to the SMO's orchestrator (seed, SMO routing).
            fields["packageType"] = Text(
                required=False, default="*", max_length=100, error_messages=say('must be a type name or "*" for any.')
            )
        else:
            message = say('must be a type name or "*" for any.', "max_length")
            fields[type_key] = Text(required=False, default="*", max_length=100, error_messages=message)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.context["category"] == "smo" and attrs.get("mode") != "dms-backend":
            if isinstance(self.initial_data, Mapping) and "packageType" in self.initial_data:
                raise serializers.ValidationError(
                    {"packageType": ["only SMO rules with mode dms-backend route packages."]}
                )
            attrs.pop("packageType", None)
        return attrs


def check(
    serializer: serializers.Serializer, where: str, problems: list[str], *, section: bool = False
) -> dict[str, Any] | None:
    """Validate; add each problem as "<where>: <key>: <message>" for an entry (`plugins.ims[0] (edge)`), as
    "<where>.<key>: <message>" for a `section` (`routing.smo.default`), or "<where>: <message>" about the whole.
    Returns the validated data, or None if there was a problem: then the caller reads the rest of the entry from
    the raw data, so that one bad key does not hide the problems of the others."""
    if serializer.is_valid():
        return dict(serializer.validated_data)
    for path, message in error_paths(serializer.errors, root=ROOT):
        if path == ROOT:
            problems.append(f"{where or '(file)'}: {message}")
        elif section:
            problems.append(f"{where}.{path}: {message}" if where else f"{path}: {message}")
        else:
            problems.append(f"{where}: {path}: {message}")
    return None
