"""The Celery application.

The embedded default uses kombu's filesystem transport under the data folder, so `make run` needs no broker
server; production points CELERY_BROKER_URL at Redis or RabbitMQ.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")

app = Celery("netweave")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
