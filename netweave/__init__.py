"""netweave: an O-RAN O2 gateway built on Django."""

from netweave.celery import app as celery_app

__all__ = ["celery_app"]
