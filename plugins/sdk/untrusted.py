"""Reading YAML and archives that come from outside: bounded so a small input cannot take the process down.

Every YAML document and every archive netweave reads goes through here: chart archives and their Chart.yaml
and values.yaml (O2dms uploads), plugins.yaml (`manage.py netweave_config import`), kubeconfigs and the
manifests helm renders from an uploaded chart. Plugins that accept other package types (git references,
kustomization archives, claim templates) use the same functions with their own limits.

YAML: aliases are legal YAML but an "alias bomb" (a few hundred bytes of nested anchors) expands into
gigabytes as soon as anything walks the result (JSON encoding, a diff, a copy). So a document is first
composed into its node graph, which shares aliased nodes and stays small, and the graph is then walked as
the result would be walked, counting nodes with a budget; the Python objects are only built when the count,
the nesting depth, the number of aliases and the text size are all within `YamlLimits`.

Archives: the compressed size, the unpacked size (counted while decompressing, so a gzip bomb is stopped
after `max_unpacked_bytes`, not after it was inflated), the number of entries, the entry types (regular
files and folders only) and the path names (relative, no `..`, no backslash or control characters, bounded
length) are all checked while streaming through the archive once; only the files the caller asks for are
kept in memory.

Every refusal is an `UntrustedInputError` (an InvalidRequest, so a 400 ProblemDetails in the API) whose
message names the file (`source`) and which limit it broke.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import yaml

from plugins.sdk.errors import InvalidRequest


class UntrustedInputError(InvalidRequest):
    """A YAML document or archive that is malformed or exceeds a limit; `source` names the file."""

    def __init__(self, detail: str, *, source: str, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.source = source


# ----------------------------------------------------------------------------------------------------- YAML


@dataclass(frozen=True)
class YamlLimits:
    """Bounds for one YAML text. `max_nodes` counts the nodes of the result with every alias expanded."""

    max_bytes: int = 4 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 200_000
    max_aliases: int = 1000


DEFAULT_YAML_LIMITS = YamlLimits()


class _ComposeLimitExceeded(Exception):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses too deep nesting and too many aliases while composing the node graph."""

    limits: YamlLimits = DEFAULT_YAML_LIMITS

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.limits.max_aliases:
                raise _ComposeLimitExceeded(f"it uses more than {self.limits.max_aliases} aliases")
        self._depth += 1
        if self._depth > self.limits.max_depth:
            raise _ComposeLimitExceeded(f"it nests deeper than {self.limits.max_depth} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _expanded_size(root: yaml.Node, limits: YamlLimits) -> None:
    """Walk the node graph as the loaded result would be walked (aliases expanded), stopping at the budget.
    An alias that refers to an enclosing node (a recursive document) is refused too: it has no finite form."""
    budget = limits.max_nodes
    stack: list[tuple[yaml.Node, int, frozenset[int]]] = [(root, 1, frozenset())]
    while stack:
        node, depth, ancestors = stack.pop()
        budget -= 1
        if budget < 0:
            raise _ComposeLimitExceeded(f"it expands to more than {limits.max_nodes} nodes (aliases included)")
        if depth > limits.max_depth:
            raise _ComposeLimitExceeded(f"it nests deeper than {limits.max_depth} levels (aliases included)")
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in ancestors:
            raise _ComposeLimitExceeded("it holds an alias to an enclosing node (a recursive structure)")
        inside = ancestors | {id(node)}
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                children += [key, value]
        stack.extend((child, depth + 1, inside) for child in children)


def _text(content: str | bytes, source: str, max_bytes: int, field_name: str | None) -> str:
    if len(content) > max_bytes:
        raise UntrustedInputError(
            f"{source} is larger than the limit of {max_bytes} bytes.", source=source, field=field_name
        )
    if isinstance(content, bytes):
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            raise UntrustedInputError(f"{source} is not UTF-8 text.", source=source, field=field_name) from None
    return content


def _yaml_problem(exc: BaseException) -> str:
    if isinstance(exc, _ComposeLimitExceeded):
        return str(exc)
    if isinstance(exc, RecursionError):
        return f"it nests too deeply ({type(exc).__name__})"
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        position = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return f"not valid YAML{position}: {problem}"
    return f"a value cannot be read: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"


def _loader(text: str, limits: YamlLimits) -> _BoundedLoader:
    loader_class = type("_Loader", (_BoundedLoader,), {"limits": limits})
    return loader_class(text)


def _documents(loader: _BoundedLoader, limits: YamlLimits) -> Iterator[Any]:
    while loader.check_node():
        node = loader.get_node()
        if node is None:
            continue
        _expanded_size(node, limits)
        yield loader.construct_document(node)


_FAILURES = (yaml.YAMLError, _ComposeLimitExceeded, RecursionError, ValueError, OverflowError, TypeError)


def load_yaml(
    content: str | bytes,
    *,
    source: str,
    limits: YamlLimits = DEFAULT_YAML_LIMITS,
    field_name: str | None = None,
) -> Any:
    """One YAML document (yaml.safe_load semantics: None for an empty text) within `limits`."""
    documents = load_yaml_all(content, source=source, limits=limits, field_name=field_name)
    if len(documents) > 1:
        raise UntrustedInputError(
            f"{source} holds {len(documents)} YAML documents; one is expected.", source=source, field=field_name
        )
    return documents[0] if documents else None


def load_yaml_all(
    content: str | bytes,
    *,
    source: str,
    limits: YamlLimits = DEFAULT_YAML_LIMITS,
    field_name: str | None = None,
) -> list[Any]:
    """Every document of a multi-document YAML text, within `limits` (the node budget covers them all)."""
    text = _text(content, source, limits.max_bytes, field_name)
    loader = _loader(text, limits)
    try:
        documents: list[Any] = []
        for document in _documents(loader, limits):
            documents.append(document)
        return documents
    except _FAILURES as exc:
        raise UntrustedInputError(f"{source}: {_yaml_problem(exc)}", source=source, field=field_name) from None
    finally:
        loader.dispose()


# -------------------------------------------------------------------------------------------------- archives


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds for one archive. `max_unpacked_bytes` bounds the decompressed tar stream (headers included)."""

    max_compressed_bytes: int = 10 * 1024 * 1024
    max_unpacked_bytes: int = 200 * 1024 * 1024
    max_entries: int = 5000
    max_path_length: int = 1024
    max_name_length: int = 255


@dataclass(frozen=True)
class ArchiveEntry:
    path: str
    is_dir: bool
    size: int


@dataclass(frozen=True)
class Archive:
    """What an archive holds: every entry (paths normalized, in archive order) and the bytes of the files
    the caller asked to keep."""

    entries: list[ArchiveEntry]
    files: dict[str, bytes] = field(default_factory=dict)


class _TooLarge(Exception):
    pass


class _BoundedStream(io.RawIOBase):
    """A read-only stream that fails once more than `limit` bytes were read from `inner`."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self._inner = inner
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        chunk = self._inner.read(min(len(view), self._left + 1))
        self._left -= len(chunk)
        if self._left < 0:
            raise _TooLarge
        view[: len(chunk)] = chunk
        return len(chunk)


def _entry_path(member: tarfile.TarInfo, limits: ArchiveLimits) -> str:
    """The member's path, normalized, or a ValueError saying why it is refused."""
    name = member.name
    if len(name) > limits.max_path_length:
        raise ValueError(f"a path longer than {limits.max_path_length} characters ('{name[:60]}...')")
    if any(ord(c) < 32 or ord(c) == 127 for c in name) or "\\" in name:
        raise ValueError(f"a path with a control character or backslash ({name[:80]!r})")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ValueError(f"an absolute path '{name}'")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"a path leaving its folder '{name}'")
    if not parts:
        raise ValueError(f"an entry without a name ('{name}')")
    if any(len(part) > limits.max_name_length for part in parts):
        raise ValueError(f"a file name longer than {limits.max_name_length} characters ('{name[:60]}...')")
    if member.issym() or member.islnk():
        raise ValueError(f"a link '{name}'; links are not accepted")
    if not (member.isfile() or member.isdir()):
        raise ValueError(f"'{name}', which is neither a file nor a folder")
    return "/".join(parts)


def read_tar_archive(
    content: bytes,
    *,
    source: str,
    limits: ArchiveLimits,
    keep: Callable[[str], bool] = lambda path: False,
    max_kept_file_bytes: int = DEFAULT_YAML_LIMITS.max_bytes,
    compression: str = "gz",
    field_name: str | None = None,
) -> Archive:
    """Check a tar archive (gzip-compressed unless `compression` is "") against `limits` in one streaming
    pass, keeping the bytes of the regular files for which `keep(path)` is true (each at most
    `max_kept_file_bytes`). Raises UntrustedInputError naming `source`."""

    def refuse(detail: str) -> UntrustedInputError:
        return UntrustedInputError(f"{source}: {detail}", source=source, field=field_name)

    if not content:
        raise refuse("the archive is empty.")
    if len(content) > limits.max_compressed_bytes:
        raise refuse(f"the archive is {len(content)} bytes; the limit is {limits.max_compressed_bytes} bytes.")
    raw: Any = io.BytesIO(content)
    if compression == "gz":
        raw = gzip.GzipFile(fileobj=raw)
    elif compression:
        raise ValueError(f"unsupported compression {compression!r}")
    stream = io.BufferedReader(_BoundedStream(raw, limits.max_unpacked_bytes))
    entries: list[ArchiveEntry] = []
    files: dict[str, bytes] = {}
    declared = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                if len(entries) >= limits.max_entries:
                    raise refuse(f"the archive holds more than {limits.max_entries} entries.")
                try:
                    path = _entry_path(member, limits)
                except ValueError as exc:
                    raise refuse(f"the archive holds {exc}.") from None
                declared += member.size
                if declared > limits.max_unpacked_bytes:
                    raise _TooLarge
                entries.append(ArchiveEntry(path, member.isdir(), member.size))
                if member.isfile() and keep(path):
                    if member.size > max_kept_file_bytes:
                        raise refuse(f"{path} is {member.size} bytes; the limit is {max_kept_file_bytes} bytes.")
                    extracted = archive.extractfile(member)
                    files[path] = extracted.read() if extracted is not None else b""
    except _TooLarge:
        raise refuse(f"the archive unpacks to more than {limits.max_unpacked_bytes} bytes.") from None
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
        kind = "a gzip-compressed tar file" if compression == "gz" else "a tar file"
        raise refuse(f"the content is not {kind}.") from None
    except tarfile.TarError as exc:
        raise refuse(f"the content is not a valid tar archive ({exc}).") from None
    if not entries:
        raise refuse("the archive holds no files.")
    return Archive(entries=entries, files=files)
