"""A plugin type's config schema, read from the one place it is declared: the type's `config_class`.

Every plugin type declares its config once, as a DRF serializer (`Plugin.config_class`): field types, defaults,
bounds, choices, help text, and `Plugin.secret_fields` for the credentials. This module turns that declaration
into the neutral description the rest of netweave needs, so nothing else repeats it:

- `config_fields(plugin_class)`: one `ConfigField` per top-level key (the admin builds its typed form from it);
- `json_schema(plugin_class)`: JSON Schema (draft 2020-12) of the config block (the REST API serves it; the
  OpenAPI of the plugin-instance API refers to it);
- `markdown_reference(plugin_class)`: the per-type config reference in docs/plugin-config-reference.md
  (`manage.py netweave_plugins schema`).

Validation itself stays with the serializer (`Plugin.validated_config`, `plugins.secrets.validate_config`):
the YAML import, the admin and the REST API all call it, and its errors name the key by dotted path
(plugins.sdk.validation). docs/decisions/0009-plugin-config-schema.md says why the schema is a DRF serializer
rather than a pydantic model, and how a plugin declares one.

Writing a config class (what the schema can describe):

- one serializer field per key, camelCase as in plugins.yaml, with `help_text` and a `default` (or
  `required=True`); bounds as `min_value`/`max_value`/`max_length`, closed sets as `ChoiceField`;
- nested blocks as a nested Serializer (`churn = ChurnConfig(required=False)`), lists as `ListField`, maps as
  `DictField`; anything else (a custom Field) is described as a string unless it sets `schema_type`;
- credentials: list the key in the plugin's `secret_fields`; the config then holds {secretRef: name};
- derive the config class (and its nested blocks) from `StrictSerializer`, so a mistyped key is an error naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rest_framework import serializers

if TYPE_CHECKING:
    from plugins.sdk.base import Plugin

NO_DEFAULT = object()


@dataclass(frozen=True)
class ConfigField:
    """One key of a plugin type's config block, as the admin form, the docs and the REST API show it."""

    name: str
    kind: str  # string, integer, number, boolean, choice, object, array
    required: bool
    default: Any = NO_DEFAULT
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    secret: bool = False
    multiline: bool = False  # a credential such as a kubeconfig or a PEM key
    children: tuple[ConfigField, ...] = field(default_factory=tuple)  # keys of a nested block

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


def _default(drf_field: serializers.Field) -> Any:
    default = drf_field.default
    if default is serializers.empty:
        return NO_DEFAULT
    return default() if callable(default) else default


def _kind(drf_field: serializers.Field) -> str:
    declared = getattr(drf_field, "schema_type", None)
    if isinstance(declared, str):
        return declared
    if isinstance(drf_field, serializers.BooleanField):
        return "boolean"
    if isinstance(drf_field, serializers.IntegerField):
        return "integer"
    if isinstance(drf_field, serializers.FloatField | serializers.DecimalField):
        return "number"
    if isinstance(drf_field, serializers.ChoiceField):
        return "choice"
    if isinstance(drf_field, serializers.ListField | serializers.ListSerializer):
        return "array"
    if isinstance(drf_field, serializers.DictField | serializers.JSONField | serializers.Serializer):
        return "object"
    return "string"


def describe_field(name: str, drf_field: serializers.Field, *, secret: bool = False) -> ConfigField:
    kind = _kind(drf_field)
    children: tuple[ConfigField, ...] = ()
    if isinstance(drf_field, serializers.Serializer):
        children = tuple(describe_field(n, f) for n, f in drf_field.fields.items())
    default = _default(drf_field)
    if default is NO_DEFAULT and children and all(c.has_default for c in children):
        default = {c.name: c.default for c in children}
    return ConfigField(
        name=name,
        kind=kind,
        required=bool(drf_field.required),
        default=default,
        help=str(drf_field.help_text or ""),
        choices=tuple(str(c) for c in getattr(drf_field, "choices", {})) if kind == "choice" else (),
        minimum=getattr(drf_field, "min_value", None),
        maximum=getattr(drf_field, "max_value", None),
        max_length=getattr(drf_field, "max_length", None),
        secret=secret,
        multiline=secret and kind == "string",
        children=children,
    )


def config_fields(plugin_class: type[Plugin]) -> list[ConfigField]:
    """The type's config keys in declaration order."""
    secret = set(plugin_class.secret_fields)
    return [describe_field(n, f, secret=n in secret) for n, f in plugin_class.config_class().fields.items()]


_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def _field_schema(item: ConfigField) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    if item.secret:
        # Stored as a reference; the YAML import also takes ${VAR} or a literal (made into a Secret).
        schema["oneOf"] = [
            {"type": "string", "description": "${VAR} or a literal value (imported as a Secret)"},
            {
                "type": "object",
                "properties": {"secretRef": {"type": "string"}},
                "required": ["secretRef"],
                "additionalProperties": False,
            },
        ]
        schema["writeOnly"] = True
    elif item.kind == "choice":
        schema["enum"] = list(item.choices)
    elif item.kind == "object":
        schema["type"] = "object"
        if item.children:
            schema["properties"] = {c.name: _field_schema(c) for c in item.children}
            schema["additionalProperties"] = False
    elif item.kind == "array":
        schema["type"] = "array"
    else:
        schema["type"] = _JSON_TYPES.get(item.kind, "string")
    if item.help:
        schema["description"] = item.help
    if item.has_default and item.default is not None:
        schema["default"] = item.default
    if item.minimum is not None:
        schema["minimum"] = item.minimum
    if item.maximum is not None:
        schema["maximum"] = item.maximum
    if item.max_length is not None and item.kind == "string" and not item.secret:
        schema["maxLength"] = item.max_length
    return schema


def json_schema(plugin_class: type[Plugin]) -> dict[str, Any]:
    """JSON Schema of the type's config block."""
    fields = config_fields(plugin_class)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{plugin_class.category}.{plugin_class.name} config",
        "type": "object",
        "properties": {f.name: _field_schema(f) for f in fields},
        "additionalProperties": False,
    }
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    return schema


def _default_text(item: ConfigField) -> str:
    if item.required:
        return "required"
    if not item.has_default:
        return "optional"
    if isinstance(item.default, str):
        return f'`"{item.default}"`' if item.default else '`""`'
    if isinstance(item.default, bool):
        return f"`{str(item.default).lower()}`"
    if isinstance(item.default, Mapping | list):
        return "see below" if item.children else f"`{item.default}`"
    return f"`{item.default}`"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _type_text(item: ConfigField) -> str:
    text = " \\| ".join(f"`{c}`" for c in item.choices) if item.kind == "choice" else item.kind
    bounds = []
    if item.minimum is not None:
        bounds.append(f"≥ {_number(item.minimum)}")
    if item.maximum is not None:
        bounds.append(f"≤ {_number(item.maximum)}")
    if bounds:
        text += f" ({', '.join(bounds)})"
    if item.secret:
        text += ", **credential**"
    return text


def _rows(fields: list[ConfigField], prefix: str = "") -> list[str]:
    rows = []
    for item in fields:
        help_text = item.help.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{prefix}{item.name}` | {_type_text(item)} | {_default_text(item)} | {help_text} |")
        rows.extend(_rows(list(item.children), f"{prefix}{item.name}."))
    return rows


def markdown_reference(plugin_class: type[Plugin]) -> str:
    """The type's config keys as a Markdown section."""
    title = f"## {plugin_class.category}.{plugin_class.name}"
    fields = config_fields(plugin_class)
    if not fields:
        return f"{title}\n\nThis plugin type takes no config.\n"
    lines = [title, "", "| key | type | default | meaning |", "| --- | --- | --- | --- |", *_rows(fields)]
    secrets = sorted(plugin_class.secret_fields)
    if secrets:
        lines += [
            "",
            "Credentials (" + ", ".join(f"`{s}`" for s in secrets) + ") are stored as `{secretRef: <secret name>}`; "
            "the YAML import also takes `${VAR}` (read from the environment) or a literal (encrypted).",
        ]
    return "\n".join(lines) + "\n"


__all__ = ["NO_DEFAULT", "ConfigField", "config_fields", "describe_field", "json_schema", "markdown_reference"]
