"""Starting a background task from the admin, never inside the web request.

:func:`task_launch` records a ``pending`` :class:`~core.models.TaskRun` and sends the
task once the transaction commits; the tracked task adopts that row (see
:func:`core.taskruns.run_adopt`), so the run's admin page shows its progress.

* With a broker (``CELERY_BROKER_URL``) the message goes to the workers. When the
  broker cannot be reached, the run is marked failed with the reason and the error is
  raised (the admin says what to start).
* In eager mode (no broker: ``make run``) no worker exists; the task runs in a
  background thread of the web process, one at a time, after the response is sent.
  Schedules do not run in this mode (:func:`scheduling_mode` says so to the admin).
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, transaction

from .exceptions import Conflict, InvalidInput
from .models import TaskRun
from .taskruns import run_finish

logger = logging.getLogger(__name__)

_executor: Executor | None = None

WORKER_HELP = (
    "set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 (in .env), then start a worker "
    "(make worker) and ONE beat (make beat); see docs/operations.md"
)


def is_eager() -> bool:
    """True when tasks run in-process (no broker): no worker, no beat."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


def scheduling_mode() -> dict:
    """How tasks run here, in words for the admin: ``{"eager", "title", "detail"}``."""
    if is_eager():
        return {
            "eager": True,
            "title": "No Celery worker: schedules do not run",
            "detail": "Tasks started here run one at a time inside the web server's "
            "process, and the periodic schedules (nightly retraining, forecasts, "
            f"weekly prices) never fire. To run them: {WORKER_HELP}.",
        }
    return {
        "eager": False,
        "title": "Celery workers run the tasks",
        "detail": "Tasks go to the broker; schedules fire from the beat process.",
    }


def local_executor() -> Executor:
    """The one-thread pool that runs eager-mode tasks after the response."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="admin-task")
    return _executor


def is_tracked(name: str) -> bool:
    """Whether ``name`` is a registered task that records its runs."""
    try:
        _tracked(name)
    except InvalidInput:
        return False
    return True


def _tracked(name: str):
    from config.celery import app

    from .tracked import TrackedTask

    app.loader.import_default_modules()
    task = app.tasks.get(name)
    if task is None:
        raise InvalidInput(f"task {name!r} is not registered", field="task")
    if not isinstance(task, TrackedTask):
        raise InvalidInput(
            f"task {name!r} does not record its runs (use core.tracked.tracked_task)",
            field="task",
        )
    return task


def _run_locally(name: str, kwargs: dict, task_id: str, headers: dict) -> None:
    close_old_connections()
    try:
        _tracked(name).apply(
            kwargs=kwargs, task_id=task_id, headers=headers, throw=False
        )
    except Exception:  # recorded on the TaskRun by the tracked task
        logger.exception("admin task %s (%s) failed", name, task_id)
    finally:
        close_old_connections()


def _send(task, run: TaskRun, kwargs: dict) -> None:
    headers = {"periodic_task_name": run.schedule} if run.schedule else {}
    if is_eager():
        local_executor().submit(_run_locally, task.name, kwargs, run.task_id, headers)
        return
    try:
        task.apply_async(
            kwargs=kwargs,
            task_id=run.task_id,
            headers=headers,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.5},
        )
    except Exception as exc:
        run_finish(run, TaskRun.Status.FAILED, exc=exc)
        raise Conflict(
            f"could not reach the Celery broker ({type(exc).__name__}); is Redis "
            "running? The task was not started.",
            field="broker",
        ) from exc


def task_launch(
    *, name: str, kwargs: dict | None = None, by=None, schedule: str = ""
) -> TaskRun:
    """Enqueue the tracked task ``name`` with ``kwargs``; return its pending run.

    Parameters
    ----------
    name : str, a task declared with :func:`core.tracked.tracked_task`.
    kwargs : dict of JSON-serialisable arguments (ids and strings, never objects).
    by : User, optional, who asked (shown on the run).
    schedule : str, optional, the periodic task this run stands for ("Run now").

    Raises
    ------
    InvalidInput
        ``name`` is not a registered tracked task.
    Conflict
        The broker cannot be reached (the run is recorded as failed).
    """
    task = _tracked(name)
    kwargs = dict(kwargs or {})
    run = TaskRun.objects.create(
        task_name=name,
        task_id=uuid.uuid4().hex,
        arguments=kwargs,
        status=TaskRun.Status.PENDING,
        requested_by=by if getattr(by, "pk", None) else None,
        progress_message="queued",
        schedule=schedule,
    )
    after_commit(lambda: _send(task, run, kwargs))
    return run


def after_commit(fn) -> None:
    """Run ``fn`` once the current transaction commits (at once outside one)."""
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(fn)
    else:
        fn()
