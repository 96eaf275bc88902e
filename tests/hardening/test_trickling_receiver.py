"""Issue 13: a delivery attempt is bounded as a whole. The timeout used to bound each read only, so a receiver
answering one byte at a time, each well within the timeout, held the worker for as long as it kept trickling.

The trickling receiver here would finish its (valid, 2xx) answer after about 60 bytes x 50 ms = 3 s, six times
the 0.5 s the attempt may take: the attempt must fail with a timeout instead of waiting for it and succeeding."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from inventory.models import Notification
from inventory.notifications import delivery
from inventory.sync import reconcile
from plugins.sdk import ims as sdk
from tests.notifications.conftest import subscribe
from tests.o2client import O2Client

pytestmark = pytest.mark.django_db
STEP = 0.05
ANSWERS = {
    # The status line and headers trickle in.
    "headers": (b"HTTP/1.1 204 No Content\r\nX-Padding: " + b"a" * 40 + b"\r\nContent-Length: 0\r\n\r\n", b""),
    # The headers arrive at once, then the body trickles in.
    "body": (b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n", b"b" * 60),
}


class Trickler:
    """Accepts connections, reads each request, then answers slowly: `head` at once up to its last 60 bytes,
    which follow one byte per STEP, then `body` one byte per STEP."""

    def __init__(self, head: bytes, body: bytes) -> None:
        self.head, self.body = head, body
        self.requests = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}/slow"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            request = b""
            while b"\r\n\r\n" not in request:
                request += connection.recv(65536)
            self.requests += 1
            cut = max(len(self.head) - 60, 0)
            try:
                connection.sendall(self.head[:cut])
                for byte in self.head[cut:] + self.body:
                    connection.sendall(bytes([byte]))
                    time.sleep(STEP)
            except OSError:
                return  # the client gave up: what the deadline is for

    def close(self) -> None:
        self.server.close()


@pytest.fixture(params=sorted(ANSWERS))
def trickler(request: pytest.FixtureRequest) -> Iterator[Trickler]:
    server = Trickler(*ANSWERS[request.param])
    yield server
    server.close()


def test_a_trickling_receiver_cannot_hold_a_delivery_past_its_timeout(
    o2: O2Client, trickler: Trickler, ims_instance: Any, allow_loopback: None, settings: Any
) -> None:
    settings.NETWEAVE_NOTIFICATION_TIMEOUT = 0.5  # every single read (50 ms apart) is well within it
    sub = subscribe(o2, trickler.url)
    reconcile(ims_instance, sdk.Inventory(None, [sdk.ResourcePool("a", "a")], None, None))
    outcome = delivery.deliver_pending(sub["subscriptionId"])
    assert outcome.step is delivery.Step.FAILED
    row = Notification.objects.get()
    assert row.status == Notification.Status.PENDING
    assert row.attempts == 1
    assert "Timeout" in row.last_error
    assert trickler.requests == 1


def test_a_prompt_receiver_is_not_affected(o2: O2Client, receiver: Any, ims_instance: Any, settings: Any) -> None:
    """The deadline is per attempt: many deliveries in a row each get the whole timeout."""
    settings.NETWEAVE_NOTIFICATION_TIMEOUT = 0.5
    sub = subscribe(o2, receiver.url)
    reconcile(ims_instance, sdk.Inventory(None, [sdk.ResourcePool(f"p{n}", "p") for n in range(30)], None, None))
    assert delivery.deliver_pending(sub["subscriptionId"]).step is delivery.Step.EMPTY
    assert len(receiver.received) == 30
