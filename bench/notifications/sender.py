"""The sender alone: BENCH_REQUESTS notification POSTs over one kept-alive connection to a receiver process
(`netweave_receiver`), with the sender delivery uses (inventory.notifications.sender: http.client under the
whole-attempt deadline), with a bare http.client connection and with a pooled httpx client (what delivery used
before decision 0018), one after the other, twice. Prints CPU and wall time per request: the CPU is what a
delivery worker pays per notification for HTTP alone (docs/benchmarks.md).

    .venv/bin/python bench/notifications/sender.py
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import time
from collections.abc import Callable
from pathlib import Path

from standalone import start_receiver  # sets Django up before the project is imported

# isort: split
import httpx

from inventory.notifications import deadline, sender
from tests.notifications import harness

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "2000"))
BODY = json.dumps({"notificationId": "0" * 36, "postObjectState": {"name": "pool", "description": "d" * 200}}).encode()
HEADERS = {"Content-Type": "application/json"}


def measure(name: str, post: Callable[[], int]) -> None:
    cpu, wall = time.process_time(), time.monotonic()
    for _ in range(REQUESTS):
        assert post() == 204
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    print(
        json.dumps(
            {
                "client": name,
                "cpu_ms_per_request": round(cpu * 1000 / REQUESTS, 3),
                "wall_ms_per_request": round(wall * 1000 / REQUESTS, 3),
            }
        )
    )


def main() -> None:
    port = harness.free_port()
    receiver = start_receiver(port)
    client = httpx.Client(verify=ssl.create_default_context(), timeout=10.0, follow_redirects=False)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connections = sender.Connections()
    context = ssl.create_default_context()
    target = sender.Target.of(f"http://127.0.0.1:{port}/h", "127.0.0.1")

    def with_sender() -> int:
        with deadline.bounded(10.0):
            return connections.request("POST", target, HEADERS, BODY, context).status

    def with_httpx() -> int:
        return client.post(f"http://127.0.0.1:{port}/h", headers=HEADERS, content=BODY).status_code

    def with_http_client() -> int:
        connection.request("POST", "/h", body=BODY, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        return response.status

    try:
        for _ in range(2):
            measure("sender (delivery)", with_sender)
            measure("http.client", with_http_client)
            measure("httpx", with_httpx)
    finally:
        connections.close()
        receiver.terminate()
        receiver.wait(10)
    print(json.dumps({"loadavg": Path("/proc/loadavg").read_text().split()[:3]}))


if __name__ == "__main__":
    main()
