"""WSGI entry point (gunicorn netweave.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netweave.settings")
application = get_wsgi_application()
