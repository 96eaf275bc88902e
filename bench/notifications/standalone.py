"""Django, set up for a benchmark script run on its own (`python bench/notifications/<script>.py`) against the
database of DATABASE_URL: imported before anything of the project. Loopback callbacks are allowed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
os.environ.setdefault("NETWEAVE_CALLBACK_ALLOWED_HOSTS", "127.0.0.1")

import django  # noqa: E402

django.setup()
