"""The custom SMO plugin's authentication forms, seen from the real receiver: bearer, basic and OAuth2 client
credentials (token fetched from the receiver's token endpoint, cached, fetched again after a 401)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from plugins.registry import get_plugin
from plugins.sdk.errors import AuthenticationFailed
from plugins.sdk.smo import WorkflowRequest

pytestmark = pytest.mark.django_db
OPS = {"executeWorkflow": {"method": "POST", "path": "/wf/{{ name }}", "idField": "id"}}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_bearer(receiver: Any, make_custom_smo: Any) -> None:
    receiver.respond = lambda item: (200, {"id": "1"})
    instance = make_custom_smo(operations=OPS, auth={"type": "bearer"}, secrets={"token": "tok-123"})
    get_plugin(instance).execute_workflow(WorkflowRequest("a"))
    assert receiver.received[-1].headers["Authorization"] == "Bearer tok-123"


def test_basic(receiver: Any, make_custom_smo: Any) -> None:
    receiver.respond = lambda item: (200, {"id": "1"})
    instance = make_custom_smo(
        operations=OPS, auth={"type": "basic", "username": "netweave"}, secrets={"password": "pw-9"}
    )
    get_plugin(instance).execute_workflow(WorkflowRequest("a"))
    assert receiver.received[-1].headers["Authorization"] == _basic("netweave", "pw-9")


def test_oauth2_client_credentials(receiver: Any, make_custom_smo: Any) -> None:
    issued: list[str] = []
    revoked: set[str] = set()

    def respond(item: Any) -> tuple[int, Any]:
        if item.path == "/token":
            assert item.headers["Authorization"] == _basic("nw-client", "client-secret-1")
            assert item.body.decode() == "grant_type=client_credentials&scope=smo.write"
            issued.append(f"access-{len(issued) + 1}")
            return 200, {"access_token": issued[-1], "token_type": "Bearer", "expires_in": 3600}
        token = item.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in issued or token in revoked:
            return 401, None
        return 200, {"id": f"exec-by-{token}"}

    receiver.respond = respond
    auth = {"type": "oauth2", "tokenUrl": receiver.url + "/token", "clientId": "nw-client", "scope": "smo.write"}
    instance = make_custom_smo(operations=OPS, auth=auth, secrets={"clientSecret": "client-secret-1"})
    plugin = get_plugin(instance)
    assert plugin.execute_workflow(WorkflowRequest("a")).execution_id == "exec-by-access-1"
    assert plugin.execute_workflow(WorkflowRequest("b")).execution_id == "exec-by-access-1"  # cached
    revoked.add("access-1")
    assert plugin.execute_workflow(WorkflowRequest("c")).execution_id == "exec-by-access-2"  # renewed once
    assert issued == ["access-1", "access-2"]
    revoked.add("access-2")
    issued.append("never-valid")  # the token endpoint keeps answering, but every token is refused now
    receiver.respond = (
        lambda item: (200, {"access_token": "x", "expires_in": 60}) if item.path == "/token" else (401, None)
    )
    with pytest.raises(AuthenticationFailed) as caught:
        plugin.execute_workflow(WorkflowRequest("d"))
    assert "client-secret-1" not in caught.value.detail
