"""Fuzz every O2 endpoint with malformed headers and bodies: whatever arrives, the answer is never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django import conf as django_conf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.test_authorization_matrix import api_routes, concrete

PATHS = [concrete(route) for route, _ in api_routes()]
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=200)
authorization = st.one_of(
    st.none(),
    header_text,
    st.builds(lambda s: f"Bearer {s}", header_text),
    st.builds(lambda s: f"Bearer nwt_{s}", header_text),
    st.builds(lambda a, b, c: f"Bearer {a}.{b}.{c}", header_text, header_text, header_text),
    st.just("VALID"),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()))


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    path=st.sampled_from(PATHS),
    method=st.sampled_from(METHODS),
    auth=authorization,
    request_id=st.one_of(st.none(), header_text),
    content_type=st.one_of(st.just("application/json"), header_text),
    forwarded_cert=st.one_of(st.none(), header_text),
    content_length=st.one_of(st.none(), header_text, st.integers(-5, 10**9).map(str)),
    body=bodies,
)
def test_no_500_whatever_arrives(
    anonymous_client: Any,
    make_api_token: Any,
    django_settings: Any,
    path: str,
    method: str,
    auth: str | None,
    request_id: str | None,
    content_type: str,
    forwarded_cert: str | None,
    content_length: str | None,
    body: bytes,
) -> None:
    extra: dict[str, str] = {}
    if auth == "VALID":
        auth = f"Bearer {make_api_token('admin')}"
    if auth is not None:
        extra["HTTP_AUTHORIZATION"] = auth
    if request_id is not None:
        extra["HTTP_X_REQUEST_ID"] = request_id
    if forwarded_cert is not None:
        extra["HTTP_X_SSL_CLIENT_CERT"] = forwarded_cert
    if content_length is not None:
        extra["CONTENT_LENGTH"] = _deliverable(content_length, len(body))
    response = anonymous_client.generic(method, path, body, content_type=content_type, **extra)
    assert response.status_code < 500, (method, path, response.status_code, response.content[:300])


def _deliverable(content_length: str, body_size: int) -> str:
    """A declared length the test client can honour. Django's test client fails with an AssertionError (a 500)
    when a view reads more bytes than were sent; a real server would instead wait for the missing bytes and
    time out, so a longer-than-sent length within the upload limit is clamped to the body actually sent."""
    try:
        declared = int(content_length)
    except ValueError:
        return content_length
    if body_size < declared <= django_conf.settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return str(body_size)
    return content_length


@pytest.fixture
def django_settings(settings: Any, trust_ca: Any) -> Any:
    """Forwarded certificates are believed from the test client, so the fuzzed ones reach certificate parsing."""
    settings.NETWEAVE_TRUSTED_PROXIES = ["127.0.0.1"]
    return settings
