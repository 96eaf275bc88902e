"""Celery tasks for O2dms: one task runs one lifecycle operation to its end; a periodic one records drift."""

from __future__ import annotations

from celery import shared_task

from deployments import lifecycle


@shared_task(name="deployments.run_lifecycle_operation", ignore_result=True)
def run_lifecycle_operation(operation_id: str) -> str:
    """Run the operation; its row records the outcome (the API's operation resource)."""
    return lifecycle.run_operation(operation_id)


@shared_task(name="deployments.refresh_deployments", ignore_result=True)
def refresh_deployments() -> str:
    """Periodic (NETWEAVE_DMS_REFRESH_INTERVAL): record changes made to deployments outside netweave."""
    counts = lifecycle.refresh_deployments()
    return ", ".join(f"{key} {value}" for key, value in counts.items())
