"""429 Too Many Requests is retried after its Retry-After, and nothing else is: the API server sends 429 while a new
CRD's watch cache initializes and when it sheds load, and the request did not run; an outage must still show at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
import yaml

from plugins.ims.kubernetes import client as kube_client
from plugins.ims.kubernetes.client import Connection
from plugins.sdk.errors import BackendUnavailable
from tests.loopback import serving, url_of

VERSION = b'{"major": "1", "minor": "37"}'
REFUSAL = b'{"message": "storage is (re)initializing"}'


class ScriptedApiServer:
    """Answers each request with the next status of `script` (the last one repeats) and counts the requests."""

    def __init__(self) -> None:
        self.script: list[int] = [200]
        self.requests: list[str] = []
        self.kubeconfig = ""
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                with scripted.lock:
                    scripted.requests.append(self.command)
                    index = min(len(scripted.requests), len(scripted.script)) - 1
                    status = scripted.script[index]
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = (
                    b'{"major": "1", "minor": "37"}' if status == 200 else b'{"message": "storage is (re)initializing"}'
                )
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                return

        return Handler


@pytest.fixture
def api_server() -> Iterator[tuple[ScriptedApiServer, Connection]]:
    scripted = ScriptedApiServer()
    with serving(scripted.handler()) as server:
        kubeconfig = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": url_of(server)}}],
            "users": [{"name": "u", "user": {"token": "not-a-secret"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        }
        scripted.kubeconfig = yaml.safe_dump(kubeconfig)
        connection = Connection(kubeconfig=scripted.kubeconfig, context="", in_cluster=False, timeout=5)
        try:
            yield scripted, connection
        finally:
            connection.close()


def test_a_throttled_read_is_repeated_until_the_server_serves_it(api_server) -> None:
    scripted, connection = api_server
    scripted.script = [429, 429, 200]
    assert connection.version()["minor"] == "37"
    assert scripted.requests == ["GET", "GET", "GET"]


def test_a_throttled_write_is_repeated_too_because_it_did_not_run(api_server) -> None:
    scripted, connection = api_server
    scripted.script = [429, 200]
    connection.request("POST", "/api/v1/namespaces", body={"metadata": {"name": "n"}}, what="creating a namespace")
    assert scripted.requests == ["POST", "POST"]


def test_an_unavailable_server_is_not_retried(api_server) -> None:
    scripted, connection = api_server
    scripted.script = [503, 200]
    with pytest.raises(BackendUnavailable, match="503"):
        connection.version()
    assert scripted.requests == ["GET"]


def test_throttling_that_lasts_ends_as_backend_unavailable(api_server, monkeypatch) -> None:
    scripted, _ = api_server
    monkeypatch.setattr(kube_client, "THROTTLED_RETRIES", 2)
    impatient = Connection(kubeconfig=scripted.kubeconfig, context="", in_cluster=False, timeout=5)
    scripted.script = [429]
    with pytest.raises(BackendUnavailable, match="429"):
        impatient.version()
    impatient.close()
    assert len(scripted.requests) == 3
