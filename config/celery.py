"""Celery application.

With no ``CELERY_BROKER_URL`` in the environment, tasks run in-process (eager mode), so
that one command runs everything on one machine. Set ``CELERY_BROKER_URL`` (e.g.
``redis://127.0.0.1:6379/0``) to run separate worker and beat processes::

    celery -A config worker --loglevel INFO           # as many as you like
    celery -A config beat --loglevel INFO             # exactly ONE in the deployment

Beat uses ``core.beat.SingleBeatScheduler``, django-celery-beat's ``DatabaseScheduler``
(schedules edited in the admin; ``manage.py setup_schedules`` creates the defaults)
that claims every scheduled slot before sending it, so each slot is sent once through
restarts of beat and of Redis; a second beat stands by. When a worker starts, it reaps
the runs its dead predecessors left ``running`` (see ``core.reaper``).
"""

import logging
import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("shopai")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("core.worker")


@worker_ready.connect
def _reap_on_worker_start(sender=None, **kwargs) -> None:
    """Mark runs left ``running`` by dead processes failed (local checks, no ping)."""
    try:
        from core.reaper import task_runs_reap

        reaped = task_runs_reap(ping=False)
    except Exception:  # never keep a worker from starting
        logger.exception("reaper failed at worker start")
        return
    if reaped:
        logger.warning("reaped %d dead task run(s) at worker start", len(reaped))
