"""OpenAPI post-processing: every operation documents its ProblemDetails errors, and O2 collections their
paging Link header, so SMO integrators (and our own response-validation tests) see the real contract."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

PROBLEM_DETAILS = {
    "type": "object",
    "description": "RFC 7807 ProblemDetails (O2-REFERENCE.md §4)",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "additionalAttributes": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["status", "detail"],
}

_COMMON = {
    "400": "Bad request: a query parameter or body field is invalid (named in the detail)",
    "404": "Not found",
    "405": "Method not allowed",
    "406": "Not acceptable: the Accept header names no media type this operation can answer with",
    "500": "Server fault",
}
_WRITE = {
    "409": "Conflict with the backend's state",
    "501": "The backend cannot do this operation",
    "502": "The backend rejected netweave's credentials",
    "503": "The backend is unavailable",
    "415": "Unsupported media type",
}

LINK_HEADER = {
    "Link": {
        "description": 'Present when more results exist: <url with nextpage_opaque_marker>; rel="next"',
        "schema": {"type": "string"},
    }
}


def add_problem_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["ProblemDetails"] = PROBLEM_DETAILS
    ref = {"$ref": "#/components/schemas/ProblemDetails"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            errors = dict(_COMMON)
            if method != "get":
                errors.update(_WRITE)
            for status, description in errors.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/problem+json": {"schema": ref}}}
                )
            ok = responses.get("200")
            if (
                method == "get"
                and ok
                and ok.get("content", {}).get("application/json", {}).get("schema", {}).get("type") == "array"
            ):
                ok.setdefault("headers", {}).update(LINK_HEADER)
            for response in responses.values():
                response.setdefault("headers", {})["X-Request-ID"] = {
                    "description": "The request id (the caller's X-Request-ID, or a new one)",
                    "schema": {"type": "string"},
                }
    return result


class ProblemDetailsSerializer(serializers.Serializer):
    """The ProblemDetails body of every 4xx/5xx answer (O2-REFERENCE.md §4), for the OpenAPI document."""

    type = serializers.CharField(required=False)
    title = serializers.CharField(required=False)
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False)
    additionalAttributes = serializers.DictField(child=serializers.CharField(), required=False)


@extend_schema_field({"type": "string", "format": "uri"})
class UriField(serializers.CharField):
    """A URI attribute (a subscription `callback`): a string documented with `format: uri`. Validation stays with
    the caller (inventory.notifications.callbacks names the problem better than a generic URL check)."""
