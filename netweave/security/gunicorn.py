"""A gunicorn worker that hands the verified TLS client certificate to the application.

gunicorn verifies client certificates (`--ca-certs`, `--cert-reqs 2`) but does not pass them on. This sync
worker records the peer certificate of the connection it is serving and sets SSL_CLIENT_CERT (PEM) in the WSGI
environ, as Apache and nginx do. Use it with `gunicorn --worker-class netweave.security.gunicorn.TLSClientCertWorker`
(docs/security.md). A sync worker serves one connection at a time, so one attribute per worker is enough.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from typing import Any

from gunicorn.workers.sync import SyncWorker

from netweave.security.mtls import DIRECT_ENVIRON_KEY


class TLSClientCertWorker(SyncWorker):
    _peer_pem: str | None = None

    def load_wsgi(self) -> None:
        super().load_wsgi()
        application: Callable[..., Iterable[bytes]] = self.wsgi  # type: ignore[has-type]

        def with_client_cert(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            environ.pop(DIRECT_ENVIRON_KEY, None)
            if self._peer_pem:
                environ[DIRECT_ENVIRON_KEY] = self._peer_pem
            return application(environ, start_response)

        self.wsgi = with_client_cert

    def handle_request(self, listener: Any, req: Any, client: Any, addr: Any) -> None:
        # `client` is the TLS-wrapped socket here (SyncWorker.handle wraps it before parsing the request).
        der = client.getpeercert(binary_form=True) if isinstance(client, ssl.SSLSocket) else None
        self._peer_pem = ssl.DER_cert_to_PEM_cert(der) if der else None
        try:
            super().handle_request(listener, req, client, addr)
        finally:
            self._peer_pem = None
