"""Celery tasks for O2dms: one task runs one lifecycle operation to its end; periodic ones record drift and
re-queue operations whose task was lost."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from deployments import health, lifecycle


@shared_task(name="deployments.run_lifecycle_operation", ignore_result=True, bind=True)
def run_lifecycle_operation(self: Any, operation_id: str) -> str:
    """Run the operation; its row records the outcome (the API's operation resource)."""
    return lifecycle.run_operation(operation_id, task_id=self.request.id or "")


@shared_task(name="deployments.requeue_stalled_operations", ignore_result=True)
def requeue_stalled_operations() -> int:
    """Periodic: queue again the operations whose task was never delivered (NETWEAVE_DMS_REQUEUE_AFTER)."""
    return lifecycle.requeue_stalled()


@shared_task(name="deployments.refresh_deployments", ignore_result=True)
def refresh_deployments() -> str:
    """Periodic (NETWEAVE_DMS_REFRESH_INTERVAL): check the DMS backends (an alarm for one that is unusable), then
    record changes made to deployments outside netweave."""
    counts = {**health.check_dms_backends(), **lifecycle.refresh_deployments()}
    return ", ".join(f"{key} {value}" for key, value in counts.items())
