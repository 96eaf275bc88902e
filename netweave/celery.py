"""The Celery application.

The embedded default uses kombu's filesystem transport under the data folder, so `make run` needs no broker
server; production points CELERY_BROKER_URL at Redis or RabbitMQ.
"""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")

app = Celery("netweave")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def _beat_heartbeat(**_: object) -> None:
    """The beat scheduler records its heartbeat from a thread (netweave.heartbeat)."""
    from netweave.heartbeat import start_beat_heartbeat

    start_beat_heartbeat()
