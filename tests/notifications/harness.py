"""The fault-test harness: a real Redis broker and real Celery worker and beat processes on the test database.

Redis is Debian's `redis-server`, started on a free loopback port with persistence off (a broker restart loses
every queued message: the worst case the outbox must survive). If it is missing, scripts/debian.sh installs it;
if it cannot start the tests fail, they never skip (non-negotiable 2).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from tests import debian

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BlackHole:
    """A loopback receiver that accepts TCP connections and never sends or reads a byte (the receiver that holds
    every attempt until its delivery timeout). `close` stops it and drops the connections it holds."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self.server.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.held.append(self.server.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.server.close()
        for connection in self.held:
            connection.close()


def _wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"redis-server did not answer on 127.0.0.1:{port} within {timeout}s")


def redis_binary() -> str:
    return debian.program("redis-server", "redis-server")


class RedisServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        """Start (or start again, on the same port: a broker that comes back after an outage)."""
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                redis_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            _wait_port(self.port)
        except RuntimeError as exc:  # fail with the server's own last words, never a bare timeout
            tail = (self.workdir / "redis.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{exc}; last lines of redis.log:\n{tail}") from None
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


class CeleryProcess:
    """`celery -A netweave worker` (solo pool: one process, so kill -9 kills the whole worker) or `beat`."""

    def __init__(self, kind: str, env: dict[str, str], log: Path, name: str = "w1", loglevel: str = "INFO") -> None:
        self.kind, self.env, self.log, self.name, self.loglevel = kind, env, log, name, loglevel
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> CeleryProcess:
        celery = [sys.executable, "-m", "celery", "-A", "netweave"]
        if self.kind == "worker":
            args = [
                *celery,
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "-n",
                f"{self.name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ]
        else:
            args = [*celery, "beat", "--loglevel", "INFO", "--schedule", str(self.log.with_suffix(".schedule"))]
        handle = self.log.open("ab")
        self.process = subprocess.Popen(args, cwd=REPO, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        """kill -9: no cleanup, no acknowledgement, an HTTP request possibly in flight."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        stop_all([self])

    def _wait_stopped(self) -> None:
        if self.process is not None:
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None


def stop_all(processes: list[CeleryProcess]) -> None:
    """SIGTERM (Celery's warm shutdown) to every process first, then wait for each (SIGKILL after 15 s): their
    shutdowns overlap instead of adding up at the end of each test."""
    for process in processes:
        if process.process is not None:
            process.process.terminate()
    for process in processes:
        process._wait_stopped()


def database_url(settings_db: dict[str, Any]) -> str:
    user = settings_db.get("USER") or "postgres"
    password = settings_db.get("PASSWORD") or ""
    auth = f"{user}:{password}" if password else user
    return f"postgres://{auth}@{settings_db['HOST']}:{settings_db['PORT']}/{settings_db['NAME']}"


def process_env(database: str, broker: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database,
        CELERY_BROKER_URL=broker,
        NETWEAVE_DATA_DIR=str(data_dir),
        NETWEAVE_CALLBACK_ALLOWED_HOSTS="127.0.0.1",
        NETWEAVE_OUTBOX_SWEEP_INTERVAL="1",
        NETWEAVE_NOTIFICATION_RETRY_BASE="0.2",
        NETWEAVE_NOTIFICATION_RETRY_CAP="2",
        NETWEAVE_NOTIFICATION_TIMEOUT="5",
    )
    env.update(extra)
    return env


def restart_postgres(port: int) -> None:
    subprocess.run(
        ["bash", str(REPO / "scripts" / "postgres.sh"), "restart"],
        check=True,
        env={**os.environ, "NETWEAVE_PG_PORT": str(port)},
    )


def use_broker(url: str) -> str:
    """Point this process's Celery app at `url` (after-commit publishing); returns the previous URL."""
    from netweave.celery import app

    previous = str(app.conf.broker_url)
    app.pool.force_close_all()
    app._pool = None  # type: ignore[attr-defined] - Celery caches the pool of the first broker it used
    app.amqp._producer_pool = None
    app.conf.broker_url = url
    return previous
