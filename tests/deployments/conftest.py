"""Fixtures for the O2dms API tests: a synced mock O-Cloud (its deployment managers), a DMS plugin instance,
Celery running tasks inline after each request's commit, and the test charts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.testing.dms import chart_directory_archive

CHARTS = Path(__file__).resolve().parent.parent / "fixtures" / "charts"
LIFECYCLE = "O2dms_DeploymentLifecycle"


def chart(name: str) -> bytes:
    return chart_directory_archive(CHARTS / name)


@pytest.fixture
def run_tasks(settings: Any, django_capture_on_commit_callbacks: Any) -> Iterator[Callable[[Callable[[], Any]], Any]]:
    """Call `action` and run the Celery tasks it queued (after its commit) inline, as a worker would."""
    from netweave.celery import app

    settings.NETWEAVE_DMS_POLL_SECONDS = 0.05
    app.conf.task_always_eager = True

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    yield run
    app.conf.task_always_eager = False


@pytest.fixture
def manager(synced_mock: Any) -> Any:
    """A deployment manager of the mock O-Cloud."""
    from inventory.models import DeploymentManager

    return DeploymentManager.objects.order_by("name").first()


@pytest.fixture
def mock_dms(db: None, tmp_path: Path) -> Any:
    from plugins.models import PluginInstance, RoutingRule

    instance = PluginInstance.objects.create(
        name="mock-dms",
        category="dms",
        plugin_type="mock",
        is_default=True,
        config={"stateFile": str(tmp_path / "mock-dms.sqlite3"), "progressSeconds": 0},
    )
    RoutingRule.objects.create(
        name="charts", category="dms", priority=1, plugin_instance=instance, match_type="helm-chart"
    )
    return instance


def base(manager: Any) -> str:
    return f"/o2dms/v1/{manager.id}/{LIFECYCLE}"
