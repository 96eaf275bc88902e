"""A test client that checks every response against netweave's published OpenAPI document.

Conformance is the contract with SMOs, so no test may see a response the schema does not describe: status,
headers and body are validated with openapi-core. Responses on paths or methods the schema does not list
(404 for unknown paths, 405) must still be ProblemDetails, validated against that component.
"""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
import orjson
from django.http import HttpResponse
from drf_spectacular.generators import SchemaGenerator
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound

from netweave.o2.schema import PROBLEM_DETAILS


@functools.cache
def published_schema() -> dict[str, Any]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # Round-trip through JSON, as a client downloading /api/schema/ would see it.
    return orjson.loads(orjson.dumps(schema))


@functools.cache
def openapi() -> OpenAPI:
    config = Config(extra_media_type_deserializers={"application/problem+json": orjson.loads})
    return OpenAPI.from_dict(published_schema(), config=config)


def check_problem(response: HttpResponse) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = orjson.loads(response.content)
    jsonschema.validate(body, PROBLEM_DETAILS)
    assert body["status"] == response.status_code
    return body


class _SentRequest(DjangoOpenAPIRequest):
    """The request as sent: the view has consumed the body stream, so take the bytes the test sent."""

    def __init__(self, request: Any, sent_body: bytes) -> None:
        super().__init__(request)
        self._sent_body = sent_body

    @property
    def body(self) -> bytes:
        return self._sent_body


class O2Client:
    def __init__(self, client: Any) -> None:
        self.client = client

    def _validated(self, response: HttpResponse, sent_body: bytes = b"") -> HttpResponse:
        request = _SentRequest(response.wsgi_request, sent_body)  # type: ignore[attr-defined]
        try:
            openapi().validate_response(request, DjangoOpenAPIResponse(response))
        except ResponseNotFound:
            # Every status the API can answer must be in the OpenAPI document (an SMO's client generator
            # only knows those): a test observing another one fails here.
            raise AssertionError(
                f"{response.status_code} on {request.method.upper()} {request.path} is not documented"
            ) from None
        except (PathNotFound, OperationNotFound):
            assert response.status_code in (404, 405), f"{response.status_code} on an undocumented operation"
            check_problem(response)
        if response.status_code >= 400:
            check_problem(response)
        return response

    def get(self, path: str, **extra: Any) -> HttpResponse:
        return self._validated(self.client.get(path, **extra))

    def post(self, path: str, data: Any = None, **extra: Any) -> HttpResponse:
        body = data if isinstance(data, (bytes, str)) else orjson.dumps(data)
        extra.setdefault("content_type", "application/json")
        return self._validated(self.client.post(path, body, **extra), _as_bytes(body))

    def patch(self, path: str, data: Any = None, **extra: Any) -> HttpResponse:
        body = data if isinstance(data, (bytes, str)) else orjson.dumps(data)
        extra.setdefault("content_type", "application/json")
        return self._validated(self.client.patch(path, body, **extra), _as_bytes(body))

    def put(self, path: str, data: Any = None, **extra: Any) -> HttpResponse:
        body = data if isinstance(data, (bytes, str)) else orjson.dumps(data)
        extra.setdefault("content_type", "application/json")
        return self._validated(self.client.put(path, body, **extra), _as_bytes(body))

    def delete(self, path: str, data: Any = None, **extra: Any) -> HttpResponse:
        body = b"" if data is None else orjson.dumps(data)
        if data is not None:
            extra.setdefault("content_type", "application/json")
        return self._validated(self.client.delete(path, body, **extra), body)


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def json_of(response: HttpResponse) -> Any:
    return orjson.loads(response.content)


def o2_list(o2: O2Client, path: str) -> list[dict[str, Any]]:
    """A list endpoint's items with every field, after checking it answered 200."""
    response = o2.get(f"{path}?all_fields")
    assert response.status_code == 200, response.content
    return json_of(response)
