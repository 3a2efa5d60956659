"""Sending follow-up tasks from the web process without depending on the broker.

A product saved in the admin queues its cold-start task, a reviewed chat message queues
a retrain: useful, not essential. When Redis (the broker) is down, sending would raise
inside the request and turn a saved change into a 500. :func:`enqueue_on_commit` sends
after the transaction commits and, if the broker cannot be reached, logs one warning
and carries on; the scheduled jobs (nightly retrain, "retrain intents on change")
pick the work up later.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task(*args, **kwargs)`` after the current transaction commits.

    Parameters
    ----------
    task : celery.Task
        A registered task (ids and strings as arguments).

    A broker that cannot be reached is logged as a warning, never raised (in eager
    mode the task runs here, and its own errors propagate as before).
    """

    from kombu.exceptions import OperationalError

    def send() -> None:
        try:
            task.delay(*args, **kwargs)  # celery's publish retries: under 1 s
        except (OperationalError, ConnectionError) as exc:  # broker down
            logger.warning(
                "could not queue %s (%s); its work waits for the next scheduled run",
                task.name,
                type(exc).__name__,
            )

    transaction.on_commit(send)
