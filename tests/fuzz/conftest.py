"""The fuzz test acts on the same real objects as the hardening tests."""

from __future__ import annotations

from tests.hardening.conftest import manager, mock_dms, world  # noqa: F401 - fixtures
