"""Kustomization archives, checked before anything keeps or unpacks them.

An SMO uploads an overlay as a gzip-compressed tar with one top-level folder holding `kustomization.yaml`.
The same limits as chart archives apply (bounded upload and unpacked size, member count, no absolute paths,
no `..`, no links or device files). On top of that every `resources`, `components` and `bases` entry of every
kustomization in the archive must name a file or folder inside the archive: kustomize would otherwise fetch
remote URLs (git or HTTP) on an SMO's behalf, or read files of the netweave host.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import posixpath
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from plugins.sdk.errors import InvalidRequest

MAX_MEMBERS = 5000
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
REFERENCE_KEYS = ("resources", "components", "bases")
VERSION_ANNOTATION = "netweave.io/version"
WHAT = "The kustomization archive"


@dataclass(frozen=True)
class KustomizationInfo:
    """What a kustomization archive says about itself. `version` is the `netweave.io/version` annotation of
    its kustomization, else `sha-` and the first 12 hex digits of the archive's SHA-256."""

    name: str
    version: str
    top: str
    description: str = ""


def _bad(detail: str, field_name: str) -> InvalidRequest:
    return InvalidRequest(detail, field=field_name)


def _member_path(member: tarfile.TarInfo, field_name: str) -> str:
    name = member.name
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise _bad(f"{WHAT} holds an absolute path '{name}'.", field_name)
    normalized = posixpath.normpath(name)
    if normalized == ".." or normalized.startswith("../") or "/../" in f"/{name}/":
        raise _bad(f"{WHAT} holds a path leaving its folder: '{name}'.", field_name)
    if member.issym() or member.islnk():
        raise _bad(f"{WHAT} holds a link '{name}'; links are not accepted.", field_name)
    if not (member.isfile() or member.isdir()):
        raise _bad(f"{WHAT} holds '{name}', which is neither a file nor a folder.", field_name)
    return normalized


def _files(content: bytes, max_bytes: int, field_name: str) -> dict[str, bytes]:
    """Every regular file of the archive, by normalized path, after the safety checks."""
    if not content:
        raise _bad(f"{WHAT} is empty.", field_name)
    if len(content) > max_bytes:
        raise _bad(f"{WHAT} is {len(content)} bytes; the limit is {max_bytes} bytes.", field_name)
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(content)) as unzipped:
            raw_tar = unzipped.read(max_bytes * 20 + 1)
    except (OSError, EOFError, zlib.error):
        raise _bad(f"{WHAT} is not a gzip-compressed tar file (.tgz).", field_name) from None
    if len(raw_tar) > max_bytes * 20:
        raise _bad(f"{WHAT} expands to more than 20 times the size limit.", field_name)
    files: dict[str, bytes] = {}
    tops: set[str] = set()
    try:
        with tarfile.open(fileobj=io.BytesIO(raw_tar), mode="r:") as archive:
            members = archive.getmembers()
            if len(members) > MAX_MEMBERS:
                raise _bad(f"{WHAT} holds more than {MAX_MEMBERS} entries.", field_name)
            for member in members:
                path = _member_path(member, field_name)
                tops.add(path.split("/", 1)[0])
                if member.isfile():
                    extracted = archive.extractfile(member)
                    files[path] = extracted.read() if extracted is not None else b""
    except tarfile.TarError:
        raise _bad(f"{WHAT} is not a valid tar file.", field_name) from None
    if len(tops) != 1:
        raise _bad(f"{WHAT} holds exactly one top-level folder; this one has {len(tops)}.", field_name)
    return files


def _kustomization_of(files: dict[str, bytes], folder: str) -> str | None:
    return next((f"{folder}/{n}" for n in KUSTOMIZATION_FILES if f"{folder}/{n}" in files), None)


def _yaml(raw: bytes, what: str, field_name: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(raw.decode("utf-8")) if raw.strip() else {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _bad(f"{what} is not valid YAML: {str(exc).splitlines()[0]}", field_name) from None
    if not isinstance(loaded, dict | None):
        raise _bad(f"{what} must be a YAML mapping.", field_name)
    return loaded or {}


def _check_references(files: dict[str, bytes], field_name: str) -> None:
    folders = {posixpath.dirname(path) for path in files}
    folders |= {posixpath.dirname(folder) for folder in list(folders)}
    for path, raw in files.items():
        if posixpath.basename(path) not in KUSTOMIZATION_FILES:
            continue
        body = _yaml(raw, path, field_name)
        here = posixpath.dirname(path)
        for key in REFERENCE_KEYS:
            entries = body.get(key) or []
            if not isinstance(entries, list):
                raise _bad(f"{path}: '{key}' must be a list.", field_name)
            for entry in entries:
                target = posixpath.normpath(posixpath.join(here, str(entry)))
                if "://" in str(entry) or (target not in files and target not in folders):
                    raise _bad(
                        f"{path}: {key} entry '{entry}' is not a file or folder of the archive "
                        "(remote and outside references are not accepted).",
                        field_name,
                    )


def inspect_kustomization(content: bytes, *, max_bytes: int, field_name: str = "kustomization") -> KustomizationInfo:
    """Validate a kustomization archive; raises InvalidRequest naming `field_name` and what is wrong."""
    files = _files(content, max_bytes, field_name)
    top = next(iter(files)).split("/", 1)[0] if files else ""
    root = _kustomization_of(files, top)
    if root is None:
        raise _bad(f"{WHAT} has no {top}/kustomization.yaml: it is not a kustomization.", field_name)
    _check_references(files, field_name)
    body = _yaml(files[root], root, field_name)
    metadata = body.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    annotations = metadata.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    version = str(annotations.get(VERSION_ANNOTATION) or f"sha-{hashlib.sha256(content).hexdigest()[:12]}")
    return KustomizationInfo(
        name=str(metadata.get("name") or top),
        version=version,
        top=top,
        description=str(annotations.get("description", "") or ""),
    )


def unpack(content: bytes, target: Path, *, max_bytes: int) -> Path:
    """Write the archive's files under `target` (checked again: the stored copy is the one unpacked) and
    return the folder holding its kustomization."""
    info = inspect_kustomization(content, max_bytes=max_bytes)
    for path, data in _files(content, max_bytes, "kustomization").items():
        destination = target / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    return target / info.top
