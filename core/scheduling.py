"""Sending a scheduled task immediately (the admin's "Run now" button)."""

from __future__ import annotations

import json


def schedule_run_now(*, periodic_task) -> str:
    """Send ``periodic_task``'s task with its arguments now; return the Celery task id.

    The message carries the schedule's name (``periodic_task_name`` header), so the
    resulting ``TaskRun`` is attributed to the schedule. In eager mode the task runs in
    this process before the call returns.

    Raises
    ------
    core.exceptions.NotFound
        The task name is not registered in this code base.
    """
    from config.celery import app

    from .exceptions import NotFound

    app.loader.import_default_modules()
    task = app.tasks.get(periodic_task.task)
    if task is None:
        raise NotFound(f"task {periodic_task.task!r} is not registered", field="task")
    options = {"headers": {"periodic_task_name": periodic_task.name}}
    if periodic_task.queue:
        options["queue"] = periodic_task.queue
    result = task.apply_async(
        args=json.loads(periodic_task.args or "[]"),
        kwargs=json.loads(periodic_task.kwargs or "{}"),
        **options,
    )
    return result.id
