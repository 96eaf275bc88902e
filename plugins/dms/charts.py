"""Helm chart archives, inspected without unpacking them: is this a real chart, and is it safe to store?

netweave accepts charts from SMOs over the network, so an archive is checked before anything keeps it: it
must be a gzip-compressed tar no larger than the configured limit, every member must be a regular file or a
directory under one top-level chart folder (no absolute paths, no `..`, no symlinks, hard links or device
files), and that folder must hold a `Chart.yaml` naming the chart and its version. Used by the O2dms API
(before a package reaches a plugin) and by the DMS plugins themselves.
"""

from __future__ import annotations

import gzip
import io
import posixpath
import tarfile
import zlib
from dataclasses import dataclass, field
from typing import Any

import yaml

from plugins.sdk.errors import InvalidRequest

MAX_MEMBERS = 5000
DEFAULT_MAX_PACKAGE_BYTES = 10 * 1024 * 1024
CHART_API_VERSIONS = frozenset({"v1", "v2"})


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


def _member_path(member: tarfile.TarInfo, field_name: str) -> str:
    name = member.name
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        raise _bad(f"The chart archive holds an absolute path '{name}'.", field_name)
    normalized = posixpath.normpath(name)
    if normalized == ".." or normalized.startswith("../") or "/../" in f"/{name}/":
        raise _bad(f"The chart archive holds a path leaving the chart folder: '{name}'.", field_name)
    if member.issym() or member.islnk():
        raise _bad(f"The chart archive holds a link '{name}'; links are not accepted.", field_name)
    if not (member.isfile() or member.isdir()):
        raise _bad(f"The chart archive holds '{name}', which is neither a file nor a folder.", field_name)
    return normalized


def _yaml_mapping(raw: bytes, what: str, field_name: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(raw.decode("utf-8")) if raw.strip() else {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _bad(f"{what} is not valid YAML: {str(exc).splitlines()[0]}", field_name) from None
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
    try:
        # Bound the unpacked size as well as the upload: a small gzip can expand enormously.
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as unzipped:
            raw_tar = unzipped.read(max_bytes * 20 + 1)
    except (OSError, EOFError, zlib.error):
        raise _bad("The chart archive is not a gzip-compressed tar file (.tgz).", field_name) from None
    if len(raw_tar) > max_bytes * 20:
        raise _bad("The chart archive expands to more than 20 times the size limit.", field_name)
    try:
        with tarfile.open(fileobj=io.BytesIO(raw_tar), mode="r:") as archive:
            return _chart_info(archive, field_name)
    except tarfile.TarError:
        raise _bad("The chart archive is not a valid tar file.", field_name) from None


def _chart_info(archive: tarfile.TarFile, field_name: str) -> ChartInfo:
    members = archive.getmembers()
    if not members:
        raise _bad("The chart archive holds no files.", field_name)
    if len(members) > MAX_MEMBERS:
        raise _bad(f"The chart archive holds more than {MAX_MEMBERS} entries.", field_name)
    tops = set()
    files: dict[str, tarfile.TarInfo] = {}
    for member in members:
        path = _member_path(member, field_name)
        tops.add(path.split("/", 1)[0])
        if member.isfile():
            files[path] = member
    if len(tops) != 1:
        raise _bad(f"A chart archive holds exactly one top-level chart folder; this one has {len(tops)}.", field_name)
    top = tops.pop()
    chart_member = files.get(f"{top}/Chart.yaml")
    if chart_member is None:
        raise _bad(f"The chart archive has no {top}/Chart.yaml: it is not a Helm chart.", field_name)
    chart = _yaml_mapping(_read(archive, chart_member), "Chart.yaml", field_name)
    name, version = chart.get("name"), chart.get("version")
    if not isinstance(name, str) or not name:
        raise _bad("Chart.yaml has no 'name'.", field_name)
    if not isinstance(version, str | int | float) or not str(version):
        raise _bad("Chart.yaml has no 'version'.", field_name)
    api_version = str(chart.get("apiVersion", ""))
    if api_version not in CHART_API_VERSIONS:
        raise _bad(f"Chart.yaml apiVersion must be v1 or v2, not '{api_version}'.", field_name)
    values_member = files.get(f"{top}/values.yaml")
    values = _yaml_mapping(_read(archive, values_member), "values.yaml", field_name) if values_member else {}
    return ChartInfo(
        name=name,
        version=str(version),
        description=str(chart.get("description", "") or ""),
        app_version=str(chart.get("appVersion", "") or ""),
        api_version=api_version,
        default_values=values,
    )


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = archive.extractfile(member)
    return extracted.read() if extracted is not None else b""
