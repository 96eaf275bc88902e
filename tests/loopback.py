"""A threaded HTTP(S) server on loopback for tests that need a small peer of their own (a redirecting or token
endpoint, a TLS receiver, a JWKS endpoint)."""

from __future__ import annotations

import contextlib
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from socketserver import BaseRequestHandler
from typing import Any


@contextlib.contextmanager
def serving(handler: Callable[..., BaseRequestHandler], tls: ssl.SSLContext | None = None) -> Iterator[Any]:
    """`handler` served by a ThreadingHTTPServer on 127.0.0.1 and a free port, from a daemon thread (over TLS
    with `tls`); shut down and closed on exit. `url_of(server)` is its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, name="loopback-server", daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url_of(server: ThreadingHTTPServer, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.server_address[1]}"
