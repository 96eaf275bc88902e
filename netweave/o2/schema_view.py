"""`/api/schema/`: the published OpenAPI document, generated once per process (not on every request)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response


class PublishedSchemaView(SpectacularAPIView):
    """drf-spectacular rebuilds the document from the URL conf and every serializer on each request (about
    0.27 s of CPU on the 2-core machine; the authorization matrix alone asks 42 times per test pass), although
    nothing it is built from changes while a process runs. Kept per URL conf, API version, language and public
    flag: what the generated document depends on (the post-processing hooks in netweave/o2/schema.py and
    netweave/security/schema.py read nothing else, and a public document lists every view whoever asks).
    The format (JSON or YAML) is still chosen per request: only the rendering is done each time."""

    _documents: ClassVar[dict[tuple[Any, ...], dict[str, Any]]] = {}

    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (str(self.urlconf or settings.ROOT_URLCONF), version, translation.get_language(), self.serve_public)
        document = self._documents.get(key)
        if document is None:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            document = self._documents[key] = generator.get_schema(request=request, public=self.serve_public)
        filename = self._get_filename(request, version)
        return Response(data=document, headers={"Content-Disposition": f'inline; filename="{filename}"'})
