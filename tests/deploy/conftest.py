"""The deploy tests use the pinned helm CLI of the O2dms tests (built from tools/helm, cached outside the repo)."""

from tests.deployments.conftest import helm_binary  # noqa: F401 - the session fixture
