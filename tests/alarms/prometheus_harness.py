"""The test harness: real Prometheus and Alertmanager from Debian packages (BACKENDS.md), on loopback.

Prometheus scrapes a tiny exporter served by the test (one gauge per resource, which the test sets) every second
and evaluates one alerting rule every second; Alertmanager groups nothing (group_wait 0) and posts its webhook
to a relay the test reads, so that the test forwards each real webhook body, with the Authorization header
Alertmanager sent, through netweave's HTTP endpoint in the test's own thread and transaction. If the binaries are
missing they are installed by scripts/debian.sh; if they cannot start, the tests fail, never skip (non-negotiable 2).
"""

from __future__ import annotations

import queue
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests import debian

PACKAGES = {"prometheus": "prometheus", "prometheus-alertmanager": "prometheus-alertmanager"}
RULE = "NetweaveTestTemperature"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def binary(name: str) -> str:
    return debian.program(name, PACKAGES[name])


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class Exporter:
    """GET /metrics: `netweave_test_temperature{node="..."} value` for each gauge the test set."""

    def __init__(self) -> None:
        self.gauges: dict[str, float] = {}
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                lines = ["# TYPE netweave_test_temperature gauge"]
                lines += [f'netweave_test_temperature{{node="{n}"}} {v}' for n, v in sorted(exporter.gauges.items())]
                body = ("\n".join(lines) + "\n").encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookRelay:
    """Where Alertmanager posts: each (Authorization header, body) is queued for the test to forward."""

    def __init__(self) -> None:
        self.posts: queue.Queue[tuple[str, bytes]] = queue.Queue()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                relay.posts.put((self.headers.get("Authorization", ""), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PrometheusStack:
    def __init__(self, workdir: Path, exporter_port: int, webhook_url: str, webhook_token: str) -> None:
        self.workdir = workdir
        self.prometheus_port, self.alertmanager_port = free_port(), free_port()
        self.processes: list[subprocess.Popen[bytes]] = []
        self._write_config(exporter_port, webhook_url, webhook_token)

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.alertmanager_port}"

    def _write_config(self, exporter_port: int, webhook_url: str, webhook_token: str) -> None:
        rules = {
            "groups": [
                {
                    "name": "netweave-test",
                    "interval": "1s",
                    "rules": [
                        {
                            "alert": RULE,
                            "expr": "netweave_test_temperature > 50",
                            "labels": {"severity": "critical"},
                            "annotations": {"summary": "Temperature of {{ $labels.node }} is {{ $value }}"},
                        }
                    ],
                }
            ]
        }
        prometheus = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(self.workdir / "rules.yml")],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.alertmanager_port}"]}]}]},
            "scrape_configs": [
                {"job_name": "exporter", "static_configs": [{"targets": [f"127.0.0.1:{exporter_port}"]}]}
            ],
        }
        alertmanager = {
            "route": {
                "receiver": "netweave",
                "group_by": ["..."],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "netweave",
                    "webhook_configs": [
                        {
                            "url": webhook_url,
                            "send_resolved": True,
                            "http_config": {"authorization": {"type": "Bearer", "credentials": webhook_token}},
                        }
                    ],
                }
            ],
        }
        for name, content in (("rules.yml", rules), ("prometheus.yml", prometheus), ("alertmanager.yml", alertmanager)):
            (self.workdir / name).write_text(yaml.safe_dump(content))

    def start(self) -> PrometheusStack:
        log = (self.workdir / "stack.log").open("ab")
        self.processes.append(
            subprocess.Popen(
                [
                    binary("prometheus-alertmanager"),
                    f"--config.file={self.workdir / 'alertmanager.yml'}",
                    f"--storage.path={self.workdir / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{self.alertmanager_port}",
                    "--cluster.listen-address=",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        self.processes.append(
            subprocess.Popen(
                [
                    binary("prometheus"),
                    f"--config.file={self.workdir / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self.workdir / 'prom-data'}",
                    f"--web.listen-address=127.0.0.1:{self.prometheus_port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        self._wait_ready(f"{self.alertmanager_url}/-/ready")
        self._wait_ready(f"{self.prometheus_url}/-/ready")
        return self

    def _wait_ready(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                break
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        log = (self.workdir / "stack.log").read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"{url} did not become ready within {timeout}s:\n{log}")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes = []
