"""Fixtures for the hardening tests (issue 13): the O2dms fixtures are reused, not copied."""

from __future__ import annotations

from tests.deployments.conftest import manager, mock_dms  # noqa: F401 - fixtures
