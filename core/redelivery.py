"""Re-queue the unacknowledged message of a task whose worker died.

Tasks are ``acks_late``: a message is acknowledged when its task returns. A worker
killed as a whole (SIGKILL, OOM killer, a lost machine) cannot reject its message, and
the Redis transport keeps it in its ``unacked`` hash until the visibility timeout
(the hard time limit + 1 h, so that a long task is never run twice) before any worker
gets it again. The reaper knows sooner that the worker is dead; it calls
:func:`broker_requeue_unacked`, which puts those messages back on their queue with
kombu's own ``QoS.restore_by_tag`` (the transaction kombu itself uses when a consumer
closes or the visibility timeout expires), so the task runs again within minutes.

Only the Redis transport keeps unacknowledged messages where another client can move
them; with another broker this is a no-op (RabbitMQ redelivers at once when the dead
worker's connection closes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

logger = logging.getLogger(__name__)


def broker_requeue_unacked(task_ids: Iterable[str]) -> set[str]:
    """Put the unacknowledged messages of ``task_ids`` back on their queues.

    Parameters
    ----------
    task_ids : iterable of str
        Celery task ids (``TaskRun.task_id``) of runs whose worker is known dead.

    Returns
    -------
    set of str
        The task ids whose message was found and re-queued (marked ``redelivered``).
        Empty when the broker is not Redis or is unreachable (logged as a warning).
    """
    from django.conf import settings

    wanted = {t for t in task_ids if t}
    broker = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not wanted or not broker.startswith(("redis://", "rediss://")):
        return set()
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            channel = conn.default_channel
            tags = _unacked_tags(channel, wanted)
            for tag in tags.values():
                channel.qos.restore_by_tag(tag)
    except Exception as exc:  # broker down: the visibility timeout still applies
        logger.warning("could not re-queue dead runs' messages (%s)", exc)
        return set()
    for task_id in tags:
        logger.warning("re-queued the message of task %s (its worker died)", task_id)
    return set(tags)


def _unacked_tags(channel, wanted: set[str]) -> dict[str, str]:
    """``{task_id: delivery_tag}`` of the unacknowledged messages of ``wanted``."""
    out: dict[str, str] = {}
    for tag, raw in channel.client.hscan_iter(channel.unacked_key):
        try:
            payload = json.loads(raw)[0]
            task_id = payload["headers"]["id"]
        except (ValueError, KeyError, IndexError, TypeError):
            continue  # not a Celery task message
        if task_id in wanted:
            out[task_id] = tag.decode() if isinstance(tag, bytes) else tag
    return out
