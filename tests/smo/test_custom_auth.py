"""The custom SMO plugin's authentication forms, seen from the real receiver: bearer, basic and OAuth2 client
credentials (token fetched from the receiver's token endpoint, cached, fetched again after a 401); and mTLS
against an https server requiring a client certificate."""

from __future__ import annotations

import base64
import ssl
import threading
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from plugins.registry import get_plugin
from plugins.sdk.errors import AuthenticationFailed, BackendUnavailable
from plugins.sdk.smo import InfrastructureInventory, WorkflowRequest
from tests.notifications.test_mtls import _Handler

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


def test_mtls_client_certificate(pki: dict[str, str], tmp_path: Any, make_custom_smo: Any) -> None:
    """An https SMO that requires a client certificate signed by its CA (the notification mTLS test's PKI)."""
    for name in ("ca", "client_cert", "client_key"):
        (tmp_path / f"{name}.pem").write_text(pki[name])
    (tmp_path / "server.pem").write_text(pki["server_cert"] + pki["server_key"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    context.load_verify_locations(cadata=pki["ca"])
    context.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Handler.peers.clear()
    try:
        auth = {
            "type": "mtls",
            "clientCertFile": str(tmp_path / "client_cert.pem"),
            "clientKeyFile": str(tmp_path / "client_key.pem"),
        }
        instance = make_custom_smo(
            baseUrl=f"https://127.0.0.1:{server.server_address[1]}",
            operations={"syncInventory": {"method": "POST", "path": "/inventory"}},
            auth=auth,
            caBundle=str(tmp_path / "ca.pem"),
            secrets={},
        )
        get_plugin(instance).sync_infrastructure_inventory(InfrastructureInventory(ocloud={}, complete=False))
        assert _Handler.peers == ["netweave-client"]  # the server saw netweave's certificate

        without = make_custom_smo(
            "no-cert",
            baseUrl=f"https://127.0.0.1:{server.server_address[1]}",
            operations={"syncInventory": {"method": "POST", "path": "/inventory"}},
            caBundle=str(tmp_path / "ca.pem"),
            secrets={},
            default=False,
            auth={"type": "none"},
        )
        with pytest.raises(BackendUnavailable):
            get_plugin(without).sync_infrastructure_inventory(InfrastructureInventory(ocloud={}, complete=False))
    finally:
        server.shutdown()
        server.server_close()
