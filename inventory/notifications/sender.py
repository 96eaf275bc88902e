"""The HTTP client of notification delivery: the standard library's http.client under a whole-exchange deadline
(decision 0018: httpx cost 0.9 to 1.2 ms of CPU per notification POST, http.client about 0.2 ms).

What a request gets:
- **A deadline for the whole exchange** (deadline.bounded): the TCP connect, the TLS handshake, every write and
  every read get only the time left, so a receiver that trickles its answer cannot hold a worker past it.
- **The checked address**: a Target connects to the address the callback check approved (DNS rebinding), while
  the Host header and, for https, SNI and the certificate check use the URL's host name. Nothing is read from
  the environment (no proxy).
- **TLS with the given context**: the SMO endpoint's CA bundle and client certificate (mTLS), see auth.py.
- **No redirect is followed**: the caller sees the 3xx and decides (delivery.py follows same-origin 307/308).
- **Keep-alive**: Connections keeps one connection per target for as long as the caller holds it (a delivery
  task), checking before each reuse that the peer has not closed it. A request that fails on a reused
  connection before any answer arrived is sent once more on a new connection: the receiver may have closed it
  between two requests (at least once: if it had processed the request and closed without answering, it gets
  it twice, with the same notificationId).
- **Bounded answers**: at most BODY_LIMIT bytes of a body are read; a longer answer's connection is not reused.
- Errors are SendError with a message naming what failed (never a header value, so no credential).
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import urlsplit

from inventory.notifications import deadline

BODY_LIMIT = 64 * 1024
USER_AGENT = "netweave"


class SendError(Exception):
    """The exchange failed; the message names the failure (e.g. `ReadTimeout: ...`) and no header value."""


@dataclass(frozen=True)
class Target:
    """Where a request goes: `address` is connected to, `host` is named in Host, SNI and the certificate check."""

    scheme: str
    host: str
    port: int
    address: str
    path: str
    host_header: str

    @classmethod
    def of(cls, url: str, address: str | None = None) -> Target:
        """The target of `url`, connected to `address` (the checked address) or else to the URL's host."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise SendError(f"not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise SendError("not an absolute http(s) URL")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(
            scheme=scheme,
            host=parts.hostname,
            port=port or (443 if scheme == "https" else 80),
            address=address or parts.hostname,
            path=path,
            host_header=parts.netloc.rpartition("@")[2],
        )


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes  # at most BODY_LIMIT bytes

    def text(self, limit: int = 200) -> str:
        return self.body[:limit].decode("utf-8", "replace")


class _Reader(io.RawIOBase):
    """What http.client reads an answer from: each read gets the time left before the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self._sock = sock
        self._io = sock.makefile("rb", buffering=0)  # keeps the socket open while the answer is read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self._sock.settimeout(deadline.remaining())
        return self._io.readinto(buffer) or 0

    def close(self) -> None:
        self._io.close()
        super().close()


class _Socket:
    """The socket as http.client uses it (sendall, makefile, close), every operation under the deadline."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def sendall(self, data: bytes) -> None:
        # socket.sendall on a TLS socket bounds each underlying send, not the whole: a receiver that reads
        # slowly could stretch it. Each send here gets what is left of the deadline.
        with memoryview(data) as view, view.cast("B") as left:
            while left:
                self.sock.settimeout(deadline.remaining())
                left = left[self.sock.send(left) :]

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_Reader(self.sock))

    def close(self) -> None:
        self.sock.close()

    def closed_by_peer(self) -> bool:
        """Readable while no answer is expected: the peer closed the connection (or sent what nobody asked for,
        which makes it unusable as well)."""
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return bool(poller.poll(0))


class _Connection(http.client.HTTPConnection):
    """An HTTP/1.1 connection to a Target's address, TLS with the Target's host name when the context is given."""

    def __init__(self, target: Target, context: ssl.SSLContext | None) -> None:
        super().__init__(target.address, target.port)
        self.target, self.context = target, context
        self.established = False  # connected (and TLS handshake done)

    def connect(self) -> None:
        sock = socket.create_connection((self.target.address, self.target.port), timeout=deadline.remaining())
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.context is not None:
                sock = self.context.wrap_socket(sock, server_hostname=self.target.host, do_handshake_on_connect=False)
                sock.settimeout(deadline.remaining())
                sock.do_handshake()
        except BaseException:
            sock.close()
            raise
        self.sock = _Socket(sock)
        self.established = True

    def open(self) -> bool:
        return isinstance(self.sock, _Socket)

    def reusable(self) -> bool:
        return isinstance(self.sock, _Socket) and not self.sock.closed_by_peer()


# A reused connection that fails in one of these ways before any answer arrived was closed by the receiver
# between two requests: the request is sent again on a new connection.
_CLOSED = (ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError)


class Connections:
    """Kept-alive connections, one per target and TLS context, for as long as the holder keeps this (a delivery
    task; use it in a `with` block so that they are closed)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str, int, str, int], _Connection] = {}

    def __enter__(self) -> Connections:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()

    def request(
        self,
        method: str,
        target: Target,
        headers: Mapping[str, str],
        body: bytes = b"",
        context: ssl.SSLContext | None = None,
    ) -> Answer:
        """Send one request and read its answer, under the caller's deadline (deadline.bounded). `context` is
        required for https and ignored for http."""
        if target.scheme == "https" and context is None:
            raise SendError("https needs a TLS context")
        tls = context if target.scheme == "https" else None
        key = (target.scheme, target.address, target.port, target.host, id(tls))
        connection = self._open.pop(key, None)
        if connection is not None and not connection.reusable():
            connection.close()
            connection = None
        if connection is not None:
            try:
                return self._exchange(key, connection, method, target, headers, body, retry_closed=True)
            except _Retry:
                pass
        return self._exchange(key, _Connection(target, tls), method, target, headers, body, retry_closed=False)

    def _exchange(
        self,
        key: tuple[str, str, int, str, int],
        connection: _Connection,
        method: str,
        target: Target,
        headers: Mapping[str, str],
        body: bytes,
        *,
        retry_closed: bool,
    ) -> Answer:
        phase, answered = "Write", False
        try:
            # Connects first when it is not open (http.client's auto_open), once the request is formed.
            connection.request(
                method,
                target.path,
                body=body if body or method in ("POST", "PUT", "PATCH") else None,
                headers={"Host": target.host_header, "User-Agent": USER_AGENT, **headers},
            )
            phase = "Read"
            response = connection.getresponse()
            answered = True
            data = response.read(BODY_LIMIT + 1)
        except _CLOSED as exc:
            connection.close()
            if retry_closed and not answered:
                raise _Retry from None
            raise SendError(f"{type(exc).__name__}: {exc}") from None
        except TimeoutError:
            phase = phase if connection.established else "Connect"
            connection.close()
            raise SendError(f"{phase}Timeout: not done within the attempt's deadline") from None
        except ValueError:
            # http.client's message would quote the offending header value, which may be a credential.
            connection.close()
            raise SendError("the request could not be formed: invalid characters in its URL or a header") from None
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            raise SendError(f"{type(exc).__name__}: {exc}") from None
        except BaseException:
            connection.close()
            raise
        if len(data) > BODY_LIMIT or not response.isclosed() or response.will_close:
            connection.close()
        else:
            self._open[key] = connection
        return Answer(response.status, response.headers, data[:BODY_LIMIT])


class _Retry(Exception):
    """A reused connection turned out closed before any answer: send on a new one."""
