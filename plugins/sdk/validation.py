"""DRF validation errors as (field path, message) pairs: one notation wherever an error names a field.

DRF reports a serializer's problems as a tree (dicts of fields, lists of items, messages at the leaves), but a
ProblemDetails `additionalAttributes.field`, a plugin instance's config error and a plugin's InvalidRequest
each name a field with one string. The O2 error handler, the config/secrets layer and the plugins all flatten
the tree here, so a field is spelt the same way in an API response, the admin and a plugin's message:

- nested keys are dotted: `churn.changesPerMinute`;
- list items are indexed: `resourceMatching[0].label` (DRF's ListField reports `{index: [...]}`, a nested
  serializer with many=True a list with one entry per item; both read the same);
- an error about an object as a whole (DRF's `non_field_errors`) belongs to that object's path, or to `root`
  (`body`, `config`) at the top.

It lives in the SDK, which imports nothing of netweave, so plugins and netweave's own layers can both use it.
`reject_unknown_keys` (a config class's refusal of unknown keys) and `checked_text` (a plugin's check of a text
value a caller sent) are here for the same reason: every plugin needs them and words them the same way.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rest_framework import serializers
from rest_framework.settings import api_settings

from plugins.sdk.errors import InvalidRequest

REDACTED = "********"
MAX_TEXT_LENGTH = 255


def error_paths(detail: Any, *, root: str, hide: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every message in DRF's error tree `detail` with the path of the field it is about, in DRF's order.

    `hide`: values that must not appear in a message (credentials a field echoed back); each occurrence is
    replaced by REDACTED.
    """
    pairs: list[tuple[str, str]] = []
    _collect(detail, "", root, pairs)
    hidden = [value for value in hide if value]
    if hidden:
        pairs = [(path, _redacted(message, hidden)) for path, message in pairs]
    return pairs


def reject_unknown_keys(serializer: serializers.Serializer, data: Any) -> None:
    """Name the keys of `data` that `serializer` has no field for (call it first in `to_internal_value`).

    DRF ignores unknown keys, so a mistyped config key (`resourcez: 5`) would silently leave the default in
    place; every plugin config class refuses it instead, with the message "Unknown setting." at the key."""
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(serializer.fields))
        if unknown:
            raise serializers.ValidationError({key: ["Unknown setting."] for key in unknown})


class StrictSerializer(serializers.Serializer):
    """The base of every plugin config block (and of its nested blocks): a key it has no field for is refused,
    named, with "Unknown setting." (reject_unknown_keys), instead of being ignored as DRF does by default."""

    def to_internal_value(self, data: Any) -> Any:
        reject_unknown_keys(self, data)
        return super().to_internal_value(data)


def checked_text(value: Any, field: str, *, required: bool = False, max_length: int = MAX_TEXT_LENGTH) -> str:
    """A text value of an SDK object a caller sent (a pool's name, a resource's description), checked before a
    plugin hands it to its backend: a string, not blank when `required`, at most `max_length` characters.
    Raises InvalidRequest naming `field`."""
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a string", field=field)
    if required and not value.strip():
        raise InvalidRequest(f"{field} is required", field=field)
    if len(value) > max_length:
        raise InvalidRequest(f"{field} is longer than {max_length} characters", field=field)
    return value


def ca_bundle_problem(path: str) -> str | None:
    """Why `path` is not a usable PEM CA bundle (a config class's check of its `caBundle` key), or None."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
    except ssl.SSLError:
        return f"{path} holds no PEM certificate."
    except OSError as exc:
        return f"Cannot read {path}: {exc.strerror or type(exc).__name__}."
    return None


def without_problem(value: str, problem: Callable[[str], str | None]) -> str:
    """A config class's check of a text key that may be empty: `value`, unless it is given and `problem` (such
    as ca_bundle_problem) finds one, which becomes the key's ValidationError."""
    found = problem(value) if value else None
    if found:
        raise serializers.ValidationError(found)
    return value


def _collect(detail: Any, path: str, root: str, pairs: list[tuple[str, str]]) -> None:
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            _collect(value, _child_path(path, key, root), root, pairs)
    elif isinstance(detail, list | tuple):
        for index, item in enumerate(detail):
            nested = isinstance(item, Mapping | list | tuple)
            _collect(item, _child_path(path, index, root) if nested else path, root, pairs)
    else:
        pairs.append((path or root, str(detail)))


def _child_path(path: str, key: object, root: str) -> str:
    if key in ("non_field_errors", api_settings.NON_FIELD_ERRORS_KEY):
        return path
    if isinstance(key, int):
        return f"{path or root}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _redacted(message: str, hidden: list[str]) -> str:
    for value in hidden:
        message = message.replace(value, REDACTED)
    return message


def checked_resize(current: Any, pool: Any, native_id: str, *, size_key: str, noun: str) -> Any:
    """The checks of an update to a pool whose only writable setting is its size, extension `size_key` (cloud node
    pools: GKE, AKS). `current` and `pool` are SDK ResourcePools (the stored one, the requested one); `noun` names
    the backend's pool ("GKE node pool"). A rename, a description (they have none) or a changed read-only
    extension is refused naming the field. Returns the requested size, or None when the update does not set it."""
    if pool.native_id and pool.native_id != native_id:
        raise InvalidRequest(f"native_id {pool.native_id!r} is not the pool being updated", field="native_id")
    if pool.name != current.name:
        raise InvalidRequest(f"a {noun} cannot be renamed", field="name")
    if pool.description:
        raise InvalidRequest(f"a {noun} has no description", field="description")
    if not isinstance(pool.extensions, Mapping):
        raise InvalidRequest("extensions must be an object", field="extensions")
    for key, value in pool.extensions.items():
        if key != size_key and current.extensions.get(key, object()) != value:
            raise InvalidRequest(f"extensions.{key} is read-only", field=f"extensions.{key}")
    return pool.extensions.get(size_key)
