"""The JSON request parsers of every O2 write endpoint: bounded nesting, no NUL characters.

- Nesting: Python's JSON decoder recurses once per level, so a body nested ~1,000 deep (a few kilobytes,
  far below the body-size limit) ends in a RecursionError, and even a body that parses can break every
  later walk of it. The body's bracket structure is measured before decoding, in C-speed passes over the
  bytes with the strings removed, and a body deeper than NETWEAVE_JSON_MAX_DEPTH is a 400 naming `body`.
- NUL: PostgreSQL cannot store U+0000 in text or jsonb, so a `\\u0000` anywhere in a body ends as a
  database error on one backend and as stored garbage on the other. It is refused here, for every field of
  every JSON body, with a 400 naming the field's path (e.g. `extensions.owner`).

`application/merge-patch+json` (RFC 7396) is parsed by `MergePatchParser`, with the same bounds.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import JSONParser

from netweave.o2.problems import BadRequest

DEFAULT_MAX_DEPTH = 64
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def max_depth() -> int:
    return int(getattr(settings, "NETWEAVE_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def nests_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON text `raw` nests arrays/objects deeper than `limit`. Each pass removes the innermost
    level of brackets; a malformed text (unbalanced brackets) stops changing and is left to the decoder,
    which still cannot recurse past `limit` + the unbalanced part without a RecursionError (caught too)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        reduced = _INNERMOST.sub(b"", brackets)
        if reduced == brackets:
            return False
        brackets = reduced
    return bool(brackets)


def nul_paths(value: Any, path: str = "") -> Iterator[str]:
    """The dotted paths of every string (or key) holding U+0000 in a decoded JSON value."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                yield where or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if "\x00" in str(key):
                    yield name.replace("\x00", "\\u0000")
                stack.append((child, name))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{index}]") for index, child in enumerate(item))


def refuse_nul(value: Any, path: str = "") -> None:
    """400 naming the first field that holds a NUL character."""
    for where in nul_paths(value, path):
        raise BadRequest(f"'{where}' holds a NUL character (\\u0000), which is not accepted.", field=where)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a nesting limit and NUL refused (see the module docstring)."""

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        limit = max_depth()
        too_deep = BadRequest(f"The JSON body nests deeper than {limit} levels.", field="body")
        if nests_deeper_than(raw, limit):
            raise too_deep
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if _ESCAPED_NUL.search(raw):
            refuse_nul(data)
        return data


class MergePatchParser(BoundedJSONParser):
    """RFC 7396 JSON merge patch bodies."""

    media_type = "application/merge-patch+json"
