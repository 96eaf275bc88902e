"""Django, set up for a benchmark script run on its own (`python bench/notifications/<script>.py`) against the
database of DATABASE_URL: imported before anything of the project. Loopback callbacks are allowed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ.setdefault("NETWEAVE_CALLBACK_ALLOWED_HOSTS", "127.0.0.1")

import django  # noqa: E402

django.setup()


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    """A notification receiver process (`netweave_receiver`) on 127.0.0.1:`port`, arrivals discarded, once it
    accepts connections (at most 60 s: a loaded machine takes more than the 3 s a quiet one needs)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "netweave_receiver", "--port", str(port), "--jsonl"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the receiver did not listen on 127.0.0.1:{port} within 60 s")
