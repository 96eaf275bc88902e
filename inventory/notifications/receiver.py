"""A small notification receiver: an HTTP server that accepts POSTed notifications and keeps them.

`manage.py netweave_receiver` runs it to watch notifications arrive in the demo; the end-to-end tests and the
benchmark run it as the SMO side. It can be told to answer an error status for a while (fault tests).
"""

from __future__ import annotations

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

            def do_GET(self) -> None:
                with receiver._lock:
                    receiver.probes.append(self.path)
                self.send_response(receiver.fail_with or 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:
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
            return [r.json() for r in self.received]

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 30.0) -> list[Any]:
        """Wait until `predicate(bodies)` holds; returns the bodies (the caller asserts)."""
        deadline = time.monotonic() + timeout
        while True:
            bodies = self.bodies()
            if predicate(bodies) or time.monotonic() > deadline:
                return bodies
            time.sleep(0.05)
