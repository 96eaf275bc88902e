"""The notification sender (inventory.notifications.sender, http.client under a whole-attempt deadline; decision
0018): connections are kept alive for a delivery task, a receiver that closes one between two sends costs a
reconnection and nothing else (nothing lost, nothing out of order, nothing sent twice that it had answered),
and the deadline bounds the TLS handshake and the writes as it bounds the reads
(tests/hardening/test_trickling_receiver.py)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from inventory.models import Notification, SmoEndpoint, Subscription
from inventory.notifications import deadline, delivery, sender
from inventory.sync import reconcile
from plugins.models import Secret
from plugins.sdk import ims as sdk
from plugins.secrets import set_secret_value
from tests.loopback import serving, url_of
from tests.notifications import harness
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db


class KeepAliveReceiver:
    """An HTTP/1.1 receiver on raw sockets that keeps connections open, counts them and records each
    notification it answers (204), in arrival order. With `answers` set, a connection is closed after that many
    answers: at once (`drop=False`; the answers carry no `Connection: close`, so the sender learns it only from
    the socket), or when the next request has arrived, which it reads and leaves unanswered (`drop=True`)."""

    def __init__(self, answers: int | None = None, drop: bool = False) -> None:
        self.answers, self.drop = answers, drop
        self.connections = 0
        self.unanswered = 0
        self.names: list[str] = []
        self._lock = threading.Lock()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/n"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            answered = 0
            while reader.readline():  # the request line; empty once the sender closed the connection
                length = 0
                while (line := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                body = reader.read(length)
                if self.drop and answered == self.answers:
                    with self._lock:
                        self.unanswered += 1
                    return
                with self._lock:
                    self.names.append(json.loads(body)["postObjectState"]["name"])
                connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                answered += 1
                if not self.drop and answered == self.answers:
                    return

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def keeper(request: pytest.FixtureRequest, allow_loopback: None) -> Iterator[KeepAliveReceiver]:
    server = KeepAliveReceiver(*getattr(request, "param", ()))
    yield server
    server.close()


def changes(instance: Any, count: int) -> list[str]:
    names = [f"p{n:02}" for n in range(count)]
    reconcile(instance, sdk.Inventory(None, [sdk.ResourcePool(n, n) for n in names], None, None))
    return names


def test_a_task_sends_its_rows_over_one_connection(
    o2: O2Client, keeper: KeepAliveReceiver, ims_instance: Any, settings: Any
) -> None:
    settings.NETWEAVE_DELIVERY_BATCH = 5  # three runs, one connection
    sub = subscribe(o2, keeper.url)["subscriptionId"]
    names = changes(ims_instance, 12)
    assert delivery.deliver_pending(sub).step is delivery.Step.EMPTY
    assert keeper.names == names
    assert keeper.connections == 1


@pytest.mark.parametrize("keeper", [(2, False)], indirect=True)
def test_a_receiver_that_closes_between_sends_gets_everything_once_in_order(
    o2: O2Client, keeper: KeepAliveReceiver, ims_instance: Any
) -> None:
    sub = subscribe(o2, keeper.url)["subscriptionId"]
    names = changes(ims_instance, 7)
    assert delivery.deliver_pending(sub).step is delivery.Step.EMPTY
    assert keeper.names == names
    assert keeper.connections == 4  # two answers per connection
    assert not Notification.objects.exclude(status="delivered").exists()


@pytest.mark.parametrize("keeper", [(1, True)], indirect=True)
def test_a_request_the_receiver_dropped_on_a_reused_connection_is_sent_again_on_a_new_one(
    o2: O2Client, keeper: KeepAliveReceiver, ims_instance: Any
) -> None:
    """The receiver closes each connection when its second request arrives, without answering it (a
    keep-alive timeout that struck as the request came in): the sender sends that request again on a new
    connection, within the same attempt."""
    sub = subscribe(o2, keeper.url)["subscriptionId"]
    names = changes(ims_instance, 5)
    assert delivery.deliver_pending(sub).step is delivery.Step.EMPTY
    assert keeper.names == names
    assert keeper.unanswered == 4
    assert set(Notification.objects.values_list("attempts", "last_error")) == {(1, "")}


@pytest.mark.parametrize("keeper", [(0, True)], indirect=True)
def test_a_new_connection_closed_without_an_answer_fails_the_attempt(
    o2: O2Client, keeper: KeepAliveReceiver, ims_instance: Any
) -> None:
    """Only a reused connection is tried again: on a new one, a close without an answer is the receiver's."""
    sub = subscribe(o2, keeper.url)["subscriptionId"]
    changes(ims_instance, 2)
    assert delivery.deliver_pending(sub).step is delivery.Step.FAILED
    assert keeper.unanswered == 1
    first = Notification.objects.order_by("id")[0]
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error.startswith("RemoteDisconnected")


@pytest.fixture
def black_hole() -> Iterator[str]:
    """Accepts TCP connections and never sends or reads a byte."""
    hole = harness.BlackHole()
    yield f"127.0.0.1:{hole.port}"
    hole.close()


def test_a_tls_handshake_that_never_completes_is_cut_off_at_the_deadline(
    o2: O2Client, black_hole: str, ims_instance: Any, allow_loopback: None, settings: Any
) -> None:
    settings.NETWEAVE_NOTIFICATION_TIMEOUT = 0.5
    sub = subscribe(o2, f"https://{black_hole}/n")["subscriptionId"]
    changes(ims_instance, 1)
    assert delivery.deliver_pending(sub).step is delivery.Step.FAILED
    assert Notification.objects.get().last_error.startswith("ConnectTimeout")


def test_a_receiver_that_does_not_read_cannot_hold_the_write_past_the_deadline(black_hole: str) -> None:
    """A body larger than the kernel buffers to a peer that reads nothing: the write waits, until the deadline."""
    body = b"x" * (64 << 20)
    with deadline.bounded(0.5), sender.Connections() as connections, pytest.raises(sender.SendError) as failed:
        connections.request("POST", sender.Target.of(f"http://{black_hole}/n"), {}, body)
    assert str(failed.value).startswith("WriteTimeout")


class _Verbose(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"e" * (1 << 20)
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the sender reads what it needs and closes the connection
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_long_error_answer_is_read_only_up_to_a_limit(o2: O2Client, ims_instance: Any, allow_loopback: None) -> None:
    with serving(_Verbose) as server:
        sub = subscribe(o2, url_of(server) + "/n")["subscriptionId"]
        changes(ims_instance, 1)
        assert delivery.deliver_pending(sub).step is delivery.Step.FAILED
    assert Notification.objects.get().last_error == "HTTP 503: " + "e" * 200


class _InjectingTokenEndpoint(BaseHTTPRequestHandler):
    """An OAuth2 token endpoint whose token would inject a header."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload = json.dumps({"access_token": "tok-s3cret\r\nX-Injected: 1", "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return


def test_a_header_that_cannot_be_sent_fails_without_quoting_it(
    o2: O2Client, keeper: KeepAliveReceiver, ims_instance: Any
) -> None:
    secret = set_secret_value(Secret(name="smo-client-secret", provider=Secret.Provider.ENCRYPTED), "s3cret")
    with serving(_InjectingTokenEndpoint) as server:
        endpoint = SmoEndpoint.objects.create(
            name="smo", oauth2_token_url=url_of(server) + "/token", oauth2_client_id="netweave",
            oauth2_client_secret=secret,
        )  # fmt: skip
        sub = subscribe(o2, keeper.url)["subscriptionId"]
        Subscription.objects.filter(pk=sub).update(endpoint=endpoint)
        changes(ims_instance, 1)
        assert delivery.deliver_pending(sub).step is delivery.Step.FAILED
    error = Notification.objects.get().last_error
    assert error.startswith("the request could not be formed")
    assert "tok-s3cret" not in error
    assert keeper.connections == 0
