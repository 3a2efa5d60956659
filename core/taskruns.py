"""Recording task runs: every training or batch job leaves a ``TaskRun`` row.

Use :func:`task_run` around the body of a task or command::

    with task_run("recommender.train", {"algorithm": "item_knn"}) as run:
        ...
        progress(run, 0.5, "similarities computed")

Inside a Celery task decorated with :func:`core.tasks_base.tracked_task` the run already
exists: :func:`current_run` returns it, and a nested ``task_run(...)`` reuses it instead
of creating a second row (so a service may wrap itself in ``task_run`` and still be
called from a tracked task or from its management-command twin).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import socket
import traceback as tb
from collections.abc import Iterator

from django.utils import timezone

from .models import TaskRun

_current: contextvars.ContextVar[TaskRun | None] = contextvars.ContextVar(
    "core_current_task_run", default=None
)


def current_run() -> TaskRun | None:
    """The ``TaskRun`` being recorded in this thread/context, or None."""
    return _current.get()


def run_start(
    name: str,
    arguments: dict | None = None,
    *,
    task_id: str = "",
    worker: str = "",
    retries: int = 0,
    schedule: str = "",
) -> TaskRun:
    """Create a ``TaskRun`` in status running, stamped with this host and process."""
    return TaskRun.objects.create(
        task_name=name,
        task_id=task_id or "",
        arguments=arguments or {},
        status=TaskRun.Status.RUNNING,
        started_at=timezone.now(),
        worker=worker or socket.gethostname(),
        host=socket.gethostname(),
        pid=os.getpid(),
        retries=retries,
        schedule=schedule or "",
    )


def run_adopt(
    task_id: str, *, worker: str = "", retries: int = 0, schedule: str = ""
) -> TaskRun | None:
    """Start the ``pending`` run that :func:`core.launch.task_launch` created for
    ``task_id`` (so the admin's progress page follows the task), or return None."""
    if not task_id:
        return None
    run = TaskRun.objects.filter(task_id=task_id, status=TaskRun.Status.PENDING).first()
    if run is None:
        return None
    run.status = TaskRun.Status.RUNNING
    run.started_at = timezone.now()
    run.worker = worker or socket.gethostname()
    run.host = socket.gethostname()
    run.pid = os.getpid()
    # earlier attempts of this task id, not counting the pending row itself
    others = TaskRun.objects.filter(task_id=task_id).exclude(pk=run.pk).count()
    run.retries = max(others, retries - 1, 0)
    run.schedule = schedule or run.schedule
    run.save()
    return run


def run_finish(
    run: TaskRun,
    status: str,
    *,
    exc: BaseException | None = None,
    metrics: dict | None = None,
) -> TaskRun:
    """Mark ``run`` finished with ``status``; store the error and traceback."""
    run.status = status
    run.finished_at = timezone.now()
    if status == TaskRun.Status.SUCCEEDED:
        run.progress = 1.0
    if exc is not None:
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.traceback = "".join(tb.format_exception(exc))[-20000:]
    if metrics:
        run.metrics = {**(run.metrics or {}), **metrics}
    run.save()
    return run


@contextlib.contextmanager
def run_context(run: TaskRun) -> Iterator[TaskRun]:
    """Make ``run`` the :func:`current_run` for the duration of the block."""
    token = _current.set(run)
    try:
        yield run
    finally:
        _current.reset(token)


@contextlib.contextmanager
def task_run(
    name: str, arguments: dict | None = None, *, task_id: str = ""
) -> Iterator[TaskRun]:
    """Create a running ``TaskRun``; mark it succeeded or failed (with traceback).

    When a run is already being recorded (a tracked Celery task calling a service that
    also uses ``task_run``), that run is yielded and left for its owner to finish.
    """
    outer = current_run()
    if outer is not None:
        yield outer
        return
    run = run_start(name, arguments, task_id=task_id)
    with run_context(run):
        try:
            yield run
        except BaseException as exc:
            run_finish(run, TaskRun.Status.FAILED, exc=exc)
            raise
        else:
            if run.status == TaskRun.Status.RUNNING:
                run_finish(run, TaskRun.Status.SUCCEEDED)
            else:
                run.finished_at = timezone.now()
                run.save()


def progress(run: TaskRun | None, fraction: float, message: str = "") -> None:
    """Store a progress fraction (0..1) and message on a running ``TaskRun``.

    Each call also refreshes ``updated_at``, the run's heartbeat (see
    :mod:`core.reaper`).
    """
    if run is None:
        return
    run.progress = max(0.0, min(1.0, float(fraction)))
    run.progress_message = message[:255]
    run.save(update_fields=["progress", "progress_message", "updated_at"])
