"""OpenAPI: the security schemes netweave accepts, and the 401/403/413/429 answers every operation may give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

_DENIALS = {
    "401": ("No valid credential (the detail says why, e.g. that the token expired)", {"WWW-Authenticate"}),
    "403": ("The credential lacks the role this operation needs", set()),
    "413": ("The request body exceeds the size limit", set()),
    "429": ("Rate limit for this identity exceeded", {"Retry-After"}),
}
_HEADER_DOCS = {
    "WWW-Authenticate": "Bearer challenge",
    "Retry-After": "Seconds to wait before retrying",
}


def add_security_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Runs after netweave.o2.schema.add_problem_responses (it relies on the ProblemDetails component)."""
    ref = {"$ref": "#/components/schemas/ProblemDetails"}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, (description, headers) in _DENIALS.items():
                if status == "413" and method == "get":
                    continue
                response = responses.setdefault(
                    status, {"description": description, "content": {"application/problem+json": {"schema": ref}}}
                )
                documented = response.setdefault("headers", {})
                documented["X-Request-ID"] = {"description": "The request id", "schema": {"type": "string"}}
                for name in headers:
                    documented[name] = {"description": _HEADER_DOCS[name], "schema": {"type": "string"}}
    return result


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "netweave.security.authentication.ApiTokenAuthentication"
    name = "netweaveApiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A netweave API token (nwt_<key>.<secret>), created in the admin.",
        }


class JWTScheme(OpenApiAuthenticationExtension):
    target_class = "netweave.security.authentication.JWTAuthentication"
    name = "oidcBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An OIDC access token."}


class ClientCertificateScheme(OpenApiAuthenticationExtension):
    target_class = "netweave.security.authentication.ClientCertificateAuthentication"
    name = "clientCertificate"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        # OpenAPI 3.0 has no mutualTLS scheme; the header is what a trusted TLS-terminating proxy forwards.
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-SSL-Client-Cert",
            "description": "mTLS client certificate: presented to netweave's TLS listener, or forwarded "
            "(URL-encoded PEM) by a trusted proxy. Roles come from the subject's OU attributes.",
        }
