"""SOL013 attribute selectors (O2-REFERENCE.md §3): all_fields, fields, exclude_fields, exclude_default.

Rules, decided once here for every collection:

- No selector means ``exclude_default``: attributes declared ``default_excluded`` are left out.
- Selectors may be combined; the one with the highest precedence decides and the others are ignored:
  ``all_fields`` > ``fields`` > ``exclude_fields`` > ``exclude_default`` (O2-REFERENCE.md §3). The names an
  ignored ``fields`` or ``exclude_fields`` lists are still checked, so a typo is a 400 whatever else is asked.
- ``all_fields`` returns everything.
- ``fields`` returns the default set plus the listed attributes; a nested name such as ``extensions/vendor``
  adds only that sub-key of the object.
- ``exclude_fields`` returns the full set minus the listed attributes (or sub-keys).
- Identifier attributes are always returned. Unknown names, or paths into non-object attributes, are 400.

``parse_selection`` does all the work once per request so ``Selection.apply``, run per row, only copies keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from netweave.o2.problems import BadRequest
from netweave.o2.spec import FieldType, ObjectSpec

SELECTOR_PARAMS = ("all_fields", "fields", "exclude_fields", "exclude_default")

# A nested selection below one object attribute: key -> deeper tree, or None for "the whole value".
Tree = dict[str, "Tree | None"]


@dataclass(frozen=True)
class Selection:
    """The attributes to return. ``keep`` lists top-level names in spec order; ``project`` narrows some of them
    to sub-keys (``fields=extensions/vendor``); ``remove`` drops sub-keys (``exclude_fields=extensions/x``)."""

    keep: tuple[str, ...]
    project: Mapping[str, Tree] = field(default_factory=dict)
    remove: Mapping[str, Tree] = field(default_factory=dict)

    @property
    def wanted_fields(self) -> tuple[str, ...]:
        """Top-level O2 names to render, so callers fetch only the columns they need."""
        return self.keep

    def apply(self, o2: Mapping[str, Any]) -> dict[str, Any]:
        """The selected part of one rendered object; attributes missing from `o2` are skipped."""
        out = {name: o2[name] for name in self.keep if name in o2}
        for name, tree in self.project.items():
            if isinstance(out.get(name), dict):
                out[name] = _project(out[name], tree)
        for name, tree in self.remove.items():
            if isinstance(out.get(name), dict):
                out[name] = _remove(out[name], tree)
        return out


def _project(value: dict[str, Any], tree: Tree) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in tree.items():
        if key in value:
            inner = value[key]
            out[key] = _project(inner, sub) if sub is not None and isinstance(inner, dict) else inner
    return out


def _remove(value: dict[str, Any], tree: Tree) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, inner in value.items():
        if key not in tree:
            out[key] = inner
            continue
        sub = tree[key]
        if sub is not None and isinstance(inner, dict):
            out[key] = _remove(inner, sub)
    return out


def parse_selection(params: Mapping[str, str], spec: ObjectSpec) -> Selection:
    """The Selection a request's query parameters ask for. BadRequest names the parameter and the problem."""
    fields = _parse_names(params["fields"], "fields", spec) if "fields" in params else None
    excluded = _parse_names(params["exclude_fields"], "exclude_fields", spec) if "exclude_fields" in params else None
    if "all_fields" in params:
        return Selection(tuple(f.name for f in spec.fields))
    if fields is not None:
        return _fields_selection(fields, spec)
    if excluded is not None:
        return _exclude_selection(excluded, spec)
    return _default_selection(spec)


def _default_selection(spec: ObjectSpec) -> Selection:
    return Selection(tuple(f.name for f in spec.fields if f.identifier or not f.default_excluded))


def _parse_names(raw: str, parameter: str, spec: ObjectSpec) -> list[tuple[str, ...]]:
    """``a,b/c`` -> [("a",), ("b", "c")], validated against the spec."""
    names = [part.strip() for part in raw.split(",")]
    if not any(names):
        raise BadRequest(f"{parameter} needs at least one attribute name.", parameter=parameter)
    return [_parse_name(name, parameter, spec) for name in names]


def _parse_name(name: str, parameter: str, spec: ObjectSpec) -> tuple[str, ...]:
    segments = [s[1:] if s.startswith("@") else s for s in name.split("/")]
    if not all(segments):
        raise BadRequest(f'{parameter}: "{name}" is not a valid attribute name.', parameter=parameter)
    o2_field = spec.by_name.get(segments[0])
    if o2_field is None:
        raise BadRequest(f'{parameter}: unknown attribute "{name}" for {spec.object_type}.', parameter=parameter)
    if len(segments) > 1 and o2_field.type is not FieldType.OBJECT:
        raise BadRequest(
            f'{parameter}: "{name}" goes into "{o2_field.name}", which is not an object.', parameter=parameter
        )
    return tuple(segments)


def _add_path(trees: dict[str, Tree | None], path: tuple[str, ...]) -> None:
    """Merge one path into per-attribute trees; a shorter path (the whole value) wins over a longer one."""
    head, rest = path[0], path[1:]
    if head in trees and trees[head] is None:
        return
    if not rest:
        trees[head] = None
        return
    sub = trees.setdefault(head, {})
    assert sub is not None
    _add_path(sub, rest)


def _fields_selection(paths: list[tuple[str, ...]], spec: ObjectSpec) -> Selection:
    trees: dict[str, Tree | None] = {}
    for path in paths:
        _add_path(trees, path)
    keep = tuple(f.name for f in spec.fields if f.identifier or not f.default_excluded or f.name in trees)
    project = {name: tree for name, tree in trees.items() if tree is not None and not _is_default(name, spec)}
    return Selection(keep, project)


def _is_default(name: str, spec: ObjectSpec) -> bool:
    """Whether an attribute is returned whole anyway, so listing a sub-key of it must not narrow it."""
    o2_field = spec.by_name[name]
    return o2_field.identifier or not o2_field.default_excluded


def _exclude_selection(paths: list[tuple[str, ...]], spec: ObjectSpec) -> Selection:
    trees: dict[str, Tree | None] = {}
    for path in paths:
        _add_path(trees, path)
    keep = tuple(f.name for f in spec.fields if f.identifier or not (f.name in trees and trees[f.name] is None))
    remove = {name: tree for name, tree in trees.items() if tree is not None and name in keep}
    return Selection(keep, remove=remove)
