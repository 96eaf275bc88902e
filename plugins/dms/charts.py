"""Helm chart archives, inspected without unpacking them: is this a real chart, and is it safe to store?

netweave accepts charts from SMOs over the network, so an archive is checked before anything keeps it, with
the shared bounded readers of plugins/sdk/untrusted.py: a gzip-compressed tar within the configured size
(compressed and unpacked), a bounded number of entries, every member a regular file or a folder under one
top-level chart folder (no absolute paths, no `..`, no links or device files), and a `Chart.yaml` and
`values.yaml` whose YAML stays within the YAML limits (an alias bomb is refused, not expanded). The chart's
`name` and `version` become file names and release labels, so they must satisfy Helm's rules first: a name
of lowercase letters, digits, dashes and dots, and a SemVer 2 version. Used by the O2dms API (before a
package reaches a plugin) and by the DMS plugins themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from plugins.sdk.errors import InvalidRequest
from plugins.sdk.untrusted import ArchiveLimits, load_yaml, read_tar_archive

MAX_MEMBERS = 5000
DEFAULT_MAX_PACKAGE_BYTES = 10 * 1024 * 1024
UNPACKED_RATIO = 20
CHART_API_VERSIONS = frozenset({"v1", "v2"})
MAX_NAME_LENGTH = 100
MAX_VERSION_LENGTH = 64
# Helm: the chart name is a single path element; its naming convention is lowercase letters and digits
# separated by dashes (dots are tolerated); anything else (`../`, NUL, `/`, uppercase) is refused here.
CHART_NAME = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
# SemVer 2.0.0 (semver.org), as Helm requires of chart versions.
_NUMBER = r"(?:0|[1-9]\d*)"
_PRE = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER = re.compile(
    rf"{_NUMBER}\.{_NUMBER}\.{_NUMBER}(?:-{_PRE}(?:\.{_PRE})*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)


@dataclass(frozen=True)
class ChartInfo:
    """What a chart archive says about itself."""

    name: str
    version: str
    description: str = ""
    app_version: str = ""
    api_version: str = "v2"
    default_values: dict[str, Any] = field(default_factory=dict)


def _bad(detail: str, field_name: str) -> InvalidRequest:
    return InvalidRequest(detail, field=field_name)


def archive_limits(max_bytes: int) -> ArchiveLimits:
    """The limits for a chart archive of at most `max_bytes` (compressed)."""
    return ArchiveLimits(
        max_compressed_bytes=max_bytes, max_unpacked_bytes=max_bytes * UNPACKED_RATIO, max_entries=MAX_MEMBERS
    )


def check_chart_name(name: object, field_name: str) -> str:
    """A chart name Helm accepts and that is safe in a file name; raises InvalidRequest otherwise."""
    if not isinstance(name, str) or not name:
        raise _bad("Chart.yaml has no 'name'.", field_name)
    if len(name) > MAX_NAME_LENGTH:
        raise _bad(f"The chart name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}.", field_name)
    if not CHART_NAME.fullmatch(name):
        raise _bad(
            f"The chart name {name[:80]!r} is not a Helm chart name (lowercase letters, digits, dashes and dots, "
            "starting and ending with a letter or digit).",
            field_name,
        )
    return name


def check_chart_version(version: object, field_name: str) -> str:
    """A chart version that is SemVer 2, as Helm requires; raises InvalidRequest otherwise."""
    if isinstance(version, int | float) and not isinstance(version, bool):
        raise _bad(f"The chart version {version} is not a SemVer 2 version (such as 1.2.3).", field_name)
    if not isinstance(version, str) or not version:
        raise _bad("Chart.yaml has no 'version' (a SemVer 2 string such as 1.2.3).", field_name)
    if len(version) > MAX_VERSION_LENGTH:
        raise _bad(
            f"The chart version is {len(version)} characters long; the limit is {MAX_VERSION_LENGTH}.", field_name
        )
    if not SEMVER.fullmatch(version):
        raise _bad(f"The chart version {version[:80]!r} is not a SemVer 2 version (such as 1.2.3).", field_name)
    return version


def _yaml_mapping(raw: bytes, what: str, field_name: str) -> dict[str, Any]:
    loaded = load_yaml(raw, source=what, field_name=field_name) if raw.strip() else {}
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise _bad(f"{what} must be a YAML mapping.", field_name)
    return loaded


def inspect_chart(content: bytes, *, max_bytes: int, field_name: str = "chart") -> ChartInfo:
    """Validate a chart archive (.tgz) and read its Chart.yaml and values.yaml. Raises InvalidRequest naming
    `field_name` and what is wrong."""
    if not content:
        raise _bad("The chart archive is empty.", field_name)
    if len(content) > max_bytes:
        raise _bad(f"The chart archive is {len(content)} bytes; the limit is {max_bytes} bytes.", field_name)
    archive = read_tar_archive(
        content,
        source="The chart archive",
        limits=archive_limits(max_bytes),
        keep=lambda path: path.count("/") == 1 and path.split("/", 1)[1] in ("Chart.yaml", "values.yaml"),
        field_name=field_name,
    )
    tops = {entry.path.split("/", 1)[0] for entry in archive.entries}
    if len(tops) != 1:
        raise _bad(f"A chart archive holds exactly one top-level chart folder; this one has {len(tops)}.", field_name)
    top = tops.pop()
    chart_yaml = archive.files.get(f"{top}/Chart.yaml")
    if chart_yaml is None:
        raise _bad(f"The chart archive has no {top}/Chart.yaml: it is not a Helm chart.", field_name)
    chart = _yaml_mapping(chart_yaml, "Chart.yaml", field_name)
    name = check_chart_name(chart.get("name"), field_name)
    version = check_chart_version(chart.get("version"), field_name)
    api_version = str(chart.get("apiVersion", ""))
    if api_version not in CHART_API_VERSIONS:
        raise _bad(f"Chart.yaml apiVersion must be v1 or v2, not '{api_version[:40]}'.", field_name)
    values_yaml = archive.files.get(f"{top}/values.yaml")
    values = _yaml_mapping(values_yaml, "values.yaml", field_name) if values_yaml is not None else {}
    return ChartInfo(
        name=name,
        version=version,
        description=str(chart.get("description", "") or ""),
        app_version=str(chart.get("appVersion", "") or ""),
        api_version=api_version,
        default_values=values,
    )
