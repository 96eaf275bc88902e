"""netweave's own Celery tasks: the background heartbeat (netweave.heartbeat)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from netweave import heartbeat as heartbeats


@shared_task(name="netweave.heartbeat", ignore_result=True, bind=True)
def heartbeat(self: Any) -> None:
    """Queued by beat: the worker that runs it is alive and its pool works."""
    heartbeats.record("worker", f"worker:{self.request.hostname or 'unknown'}")
    heartbeats.touch_worker_file()
