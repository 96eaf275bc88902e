"""Celery tasks for O2dms: one task runs one lifecycle operation to its end."""

from __future__ import annotations

from celery import shared_task

from deployments.lifecycle import run_operation


@shared_task(name="deployments.run_lifecycle_operation", ignore_result=True)
def run_lifecycle_operation(operation_id: str) -> str:
    """Run the operation; its row records the outcome (the API's operation resource)."""
    return run_operation(operation_id)
