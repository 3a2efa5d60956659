"""Celery application.

With no ``CELERY_BROKER_URL`` in the environment, tasks run in-process (eager mode), so
that one command runs everything on one machine. Set ``CELERY_BROKER_URL`` (e.g.
``redis://127.0.0.1:6379/0``) to run separate worker and beat processes.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shopai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
