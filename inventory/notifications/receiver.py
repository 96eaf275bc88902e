"""A small notification receiver: an HTTP server that accepts POSTed notifications and keeps them.

`manage.py netweave_receiver` runs it to watch notifications arrive in the demo; the end-to-end tests and the
benchmark run it as the SMO side. It can be told to answer an error status for a while (fault tests).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    time: float  # time.time() at arrival
    method: str = "POST"

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers `status` (204 by default) unless `fail_with` is set. A GET (the reachability
    check some O2 servers make at subscribe time, SOL013 style) is answered 204, or `fail_with`, and its path
    recorded in `probes`."""

    host: str = "127.0.0.1"
    port: int = 0
    on_receive: Callable[[Received], None] | None = None
    received: list[Received] = field(default_factory=list)
    fail_with: int | None = None
    delay: float = 0.0
    max_in_flight: dict[str, int] = field(default_factory=dict)  # per path: the most requests seen at once
    probes: list[str] = field(default_factory=list)
    # An SMO-like receiver (custom SMO plugin tests): `respond` may answer a request with (status, JSON body);
    # with `hmac_key` set, a request whose `signature_header` is not the HMAC-SHA256 of its body gets 401 and
    # is counted in `rejected` instead of recorded.
    respond: Callable[[Received], tuple[int, Any] | None] | None = None
    hmac_key: str | None = None
    signature_header: str = "X-Netweave-Signature"
    rejected: int = 0
    _in_flight: dict[str, int] = field(default_factory=dict)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, body: Any = None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _smo_request(self, method: str) -> bool:
                """Serve a request the SMO way (signature check, `respond`); False: do what a plain receiver does."""
                if receiver.respond is None and receiver.hmac_key is None:
                    return False
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if receiver.hmac_key is not None:
                    expected = "sha256=" + hmac.new(receiver.hmac_key.encode(), body, hashlib.sha256).hexdigest()
                    if not hmac.compare_digest(self.headers.get(receiver.signature_header) or "", expected):
                        with receiver._lock:
                            receiver.rejected += 1
                        self._answer(401)
                        return True
                if receiver.fail_with is not None:
                    self._answer(receiver.fail_with)
                    return True
                item = Received(self.path, dict(self.headers.items()), body, time.time(), method)
                with receiver._lock:
                    receiver.received.append(item)
                answer = receiver.respond(item) if receiver.respond is not None else None
                self._answer(*(answer or (204, None)))
                return True

            def do_PUT(self) -> None:
                if not self._smo_request("PUT"):
                    self._answer(405)

            def do_PATCH(self) -> None:
                if not self._smo_request("PATCH"):
                    self._answer(405)

            def do_DELETE(self) -> None:
                if not self._smo_request("DELETE"):
                    self._answer(405)

            def do_GET(self) -> None:
                if receiver.respond is not None and self._smo_request("GET"):
                    return
                with receiver._lock:
                    receiver.probes.append(self.path)
                self.send_response(receiver.fail_with or 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                if self._smo_request("POST"):
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    now = receiver._in_flight[self.path] = receiver._in_flight.get(self.path, 0) + 1
                    receiver.max_in_flight[self.path] = max(receiver.max_in_flight.get(self.path, 0), now)
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver._lock:
                    receiver._in_flight[self.path] -= 1
                status = receiver.fail_with
                if status is None:
                    item = Received(self.path, dict(self.headers.items()), body, time.time())
                    with receiver._lock:
                        receiver.received.append(item)
                    if receiver.on_receive is not None:
                        receiver.on_receive(item)
                self.send_response(status or 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[Any]:
        with self._lock:
            return [r.json() for r in self.received if r.body]

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 30.0) -> list[Any]:
        """Wait until `predicate(bodies)` holds; returns the bodies (the caller asserts)."""
        deadline = time.monotonic() + timeout
        while True:
            bodies = self.bodies()
            if predicate(bodies) or time.monotonic() > deadline:
                return bodies
            time.sleep(0.05)
