"""Request parsers for package uploads: a chart archive as the raw body (application/gzip)."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from rest_framework.parsers import BaseParser

from plugins.sdk.errors import InvalidRequest


class ChartArchiveParser(BaseParser):
    """The body is the archive itself. Reads at most the size limit plus one byte, so an oversized upload
    is refused without being held in memory."""

    media_type = "application/gzip"

    # request.data is the archive's bytes (DRF types parse() as returning a mapping; any value is carried).
    def parse(  # type: ignore[override]
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> bytes:
        limit = settings.NETWEAVE_DMS_MAX_PACKAGE_BYTES
        content = stream.read(limit + 1) if stream is not None else b""
        if len(content) > limit:
            raise InvalidRequest(f"The chart archive is larger than the limit of {limit} bytes.", field="body")
        return content


class LegacyGzipParser(ChartArchiveParser):
    media_type = "application/x-gzip"
