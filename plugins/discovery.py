"""Plugin *types*, found through the `netweave.plugins` entry-point group.

An entry point is named "<category>.<type>" (e.g. "ims.openstack") and points at a `plugins.sdk.Plugin`
subclass whose `category` and `name` agree with that name. Built-in types are declared in netweave's own
pyproject; third-party packages declare theirs the same way and are found once installed.

A broken entry point (import error, wrong class, mismatched name) is logged and kept in `discovery_errors()`;
it never stops the application. Results are cached for the process; `refresh()` reloads them.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from plugins.sdk.base import Plugin, PluginCategory

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "netweave.plugins"

PluginKey = tuple[str, str]


@dataclass(frozen=True)
class DiscoveryError:
    """One entry point that could not be used."""

    entry_point: str  # the entry point's name, e.g. "ims.openstack"
    target: str  # what it points at, e.g. "acme.plugin:Plugin"
    distribution: str  # the installed package declaring it ("" when unknown)
    message: str

    def __str__(self) -> str:
        source = f" (from {self.distribution})" if self.distribution else ""
        return f"{self.entry_point} = {self.target}{source}: {self.message}"


@dataclass(frozen=True)
class _Discovered:
    types: dict[PluginKey, type[Plugin]]
    errors: list[DiscoveryError]
    distributions: dict[PluginKey, str]


class UnknownPluginType(LookupError):
    """No plugin type of that category and name is installed."""

    def __init__(self, category: str, plugin_type: str, known: Iterable[str]) -> None:
        self.category = category
        self.plugin_type = plugin_type
        self.known = sorted(known)
        known_text = ", ".join(self.known) if self.known else "none"
        super().__init__(f"Unknown {category} plugin type '{plugin_type}'. Known {category} types: {known_text}.")


_lock = threading.Lock()
_cache: _Discovered | None = None


def _entry_points() -> list[Any]:
    """The raw entry points of the group (patched in tests)."""
    return list(entry_points(group=ENTRY_POINT_GROUP))


def _distribution_name(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ""
    try:
        return f"{dist.metadata['Name']} {dist.version}"
    except Exception:
        return ""


def _check(ep: Any, obj: object) -> tuple[PluginKey, type[Plugin]]:
    """Validate one loaded entry point; raise ValueError with a readable reason."""
    category, sep, plugin_type = str(ep.name).partition(".")
    if not sep or not category or not plugin_type:
        raise ValueError("the entry point name must be '<category>.<type>', e.g. 'ims.openstack'")
    categories = [c.value for c in PluginCategory]
    if category not in categories:
        raise ValueError(f"unknown category '{category}' (expected one of {', '.join(categories)})")
    if not (inspect.isclass(obj) and issubclass(obj, Plugin)):
        raise ValueError(f"it loads {obj!r}, which is not a subclass of plugins.sdk.Plugin")
    cls: type[Plugin] = obj
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
        raise ValueError(f"{cls.__qualname__} is abstract (does not implement: {missing})")
    declared_category = getattr(cls, "category", None)
    if declared_category != category:
        raise ValueError(f"{cls.__qualname__}.category is '{declared_category}', but the entry point says '{category}'")
    declared_name = getattr(cls, "name", None)
    if declared_name != plugin_type:
        raise ValueError(f"{cls.__qualname__}.name is '{declared_name}', but the entry point says '{plugin_type}'")
    if not isinstance(getattr(cls, "version", None), str):
        raise ValueError(f"{cls.__qualname__} does not declare a version string")
    return (category, plugin_type), cls


def _discover() -> _Discovered:
    types: dict[PluginKey, type[Plugin]] = {}
    distributions: dict[PluginKey, str] = {}
    errors: list[DiscoveryError] = []
    try:
        eps = _entry_points()
    except Exception as exc:
        logger.exception("Could not read the %s entry points", ENTRY_POINT_GROUP)
        return _Discovered({}, [DiscoveryError("*", "*", "", f"cannot read entry points: {exc}")], {})
    for ep in eps:
        dist = _distribution_name(ep)
        target = str(getattr(ep, "value", ""))
        try:
            obj = ep.load()
            key, cls = _check(ep, obj)
        except Exception as exc:
            message = str(exc) if isinstance(exc, ValueError) else f"cannot load: {type(exc).__name__}: {exc}"
            error = DiscoveryError(str(ep.name), target, dist, message)
            logger.error("Plugin entry point ignored: %s", error)
            errors.append(error)
            continue
        existing = types.get(key)
        if existing is not None and existing is not cls:
            error = DiscoveryError(
                str(ep.name),
                target,
                dist,
                f"duplicate plugin type; already provided by {existing.__module__}.{existing.__qualname__}"
                + (f" ({distributions[key]})" if distributions.get(key) else ""),
            )
            logger.error("Plugin entry point ignored: %s", error)
            errors.append(error)
            continue
        types[key] = cls
        distributions[key] = dist
    logger.debug("Discovered plugin types: %s", ", ".join(f"{c}.{t}" for c, t in sorted(types)))
    return _Discovered(types, errors, distributions)


def _discovered() -> _Discovered:
    global _cache
    with _lock:
        if _cache is None:
            _cache = _discover()
        return _cache


def plugin_types() -> dict[PluginKey, type[Plugin]]:
    """Every usable plugin type, keyed by (category, type)."""
    return dict(_discovered().types)


def discovery_errors() -> list[DiscoveryError]:
    """Entry points that were found but could not be used, with the reason."""
    return list(_discovered().errors)


def distribution_of(category: str, plugin_type: str) -> str:
    """The installed package ("name version") providing a type, or "" when unknown."""
    return _discovered().distributions.get((category, plugin_type), "")


def refresh() -> None:
    """Forget the cached discovery; the next call re-reads the installed entry points."""
    global _cache
    importlib.invalidate_caches()
    with _lock:
        _cache = None


def get_plugin_class(category: str, plugin_type: str) -> type[Plugin]:
    """The plugin class for a type; `UnknownPluginType` (listing the known types) when there is none."""
    types = _discovered().types
    try:
        return types[(str(category), plugin_type)]
    except KeyError:
        known = [t for c, t in types if c == str(category)]
        broken = [e for e in _discovered().errors if e.entry_point == f"{category}.{plugin_type}"]
        error = UnknownPluginType(str(category), plugin_type, known)
        if broken:
            error.args = (
                f"{error.args[0]} The entry point {category}.{plugin_type} is installed but broken: "
                f"{broken[0].message}",
            )
        raise error from None


__all__ = [
    "ENTRY_POINT_GROUP",
    "DiscoveryError",
    "UnknownPluginType",
    "discovery_errors",
    "distribution_of",
    "get_plugin_class",
    "plugin_types",
    "refresh",
]
