"""Celery tasks that record every run as a :class:`core.models.TaskRun`.

Write an app task as::

    from core.tracked import tracked_task

    @tracked_task(name="recommender.train", lock=True)
    def recommender_train_task(algorithm: str = "als") -> dict:
        artifact = recommender_train(algorithm=algorithm)
        return {"artifact": artifact.label, **artifact.metrics}

and you get:

* ``acks_late`` (the message is acknowledged after the body returns, so a worker that
  dies mid-run has it redelivered; ``task_reject_on_worker_lost`` in settings), retries
  with exponential backoff and jitter on transient errors (database
  ``OperationalError``, ``ConnectionError``, Redis connection errors), soft and hard
  time limits (settings defaults, or per task);
* one ``TaskRun`` row per attempt: arguments, status, start, end, duration, progress
  (call ``progress(current_run(), 0.4, "...")`` from the service), metrics (a dict
  returned by the task is stored as its metrics), error and traceback, the retry count,
  the Celery node, host and pid, and the name of the schedule that triggered it;
* with ``lock=True`` (or a lock name) a :class:`core.locks.single_flight` lock around
  the body: a duplicated trigger is recorded as ``skipped`` instead of training twice.

An attempt whose worker died is marked ``retried`` when its message is redelivered, or
``failed`` by the reaper (:mod:`core.reaper`).
"""

from __future__ import annotations

from collections.abc import Callable

from celery import Task, shared_task
from celery.exceptions import Retry
from django.db import OperationalError
from django.utils import timezone

from .artifacts import json_safe
from .locks import LockBusy, maybe_single_flight
from .models import TaskRun
from .taskruns import run_adopt, run_context, run_finish, run_start


def _transient_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [OperationalError, ConnectionError]
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        errors += [RedisConnectionError, RedisTimeoutError]
    except ImportError:  # pragma: no cover - redis is a dependency of celery[redis]
        pass
    return tuple(errors)


TRANSIENT_ERRORS = _transient_errors()


def _request_schedule(request) -> str:
    name = getattr(request, "periodic_task_name", None)
    if not name:
        name = (getattr(request, "headers", None) or {}).get("periodic_task_name")
    return str(name or "")


class TrackedTask(Task):
    """Base task: records each attempt as a ``TaskRun`` and applies its lock."""

    abstract = True
    #: lock name held around the body (None: no lock)
    lock_name: str | None = None

    def __call__(self, *args, **kwargs):
        request = self.request
        task_id = request.id or ""
        retries = int(request.retries or 0)
        if task_id:
            earlier = TaskRun.objects.filter(task_id=task_id)
            retries = max(retries, earlier.count())
            earlier.filter(status=TaskRun.Status.RUNNING).update(
                status=TaskRun.Status.RETRIED,
                finished_at=timezone.now(),
                error="WorkerLost: the worker died mid-run; the message was "
                "redelivered and runs again",
            )
        arguments = json_safe(dict(kwargs, **({"args": list(args)} if args else {})))
        schedule = _request_schedule(request)
        run = run_adopt(
            task_id, worker=request.hostname or "", retries=retries, schedule=schedule
        ) or run_start(
            self.name,
            arguments,
            task_id=task_id,
            worker=request.hostname or "",
            retries=retries,
            schedule=schedule,
        )
        with run_context(run):
            try:
                with maybe_single_flight(self.lock_name):
                    result = super().__call__(*args, **kwargs)
            except LockBusy as exc:
                run_finish(run, TaskRun.Status.SKIPPED, exc=exc)
                return {"skipped": str(exc)}
            except Retry as exc:
                cause = exc.exc if isinstance(exc.exc, BaseException) else exc
                run_finish(run, TaskRun.Status.RETRIED, exc=cause)
                raise
            except BaseException as exc:
                run_finish(run, TaskRun.Status.FAILED, exc=exc)
                raise
            metrics = json_safe(result) if isinstance(result, dict) else None
            run_finish(run, TaskRun.Status.SUCCEEDED, metrics=metrics)
            return result


def tracked_task(
    *,
    name: str,
    lock: bool | str = False,
    soft_time_limit: int | None = None,
    time_limit: int | None = None,
    max_retries: int = 5,
    autoretry_for: tuple[type[BaseException], ...] = TRANSIENT_ERRORS,
    **options,
) -> Callable[[Callable], Task]:
    """Declare a Celery task whose runs are recorded (see the module docstring).

    Parameters
    ----------
    name : str
        The task name (``"<app>.<verb>"``), used by schedules and ``send_task``.
    lock : bool or str
        ``True`` holds a lock named like the task around each run; a string names
        the lock (tasks sharing a name exclude each other); ``False`` no lock.
    soft_time_limit, time_limit : int, seconds, optional
        Per-task limits; default to ``CELERY_TASK_SOFT_TIME_LIMIT`` / ``_TIME_LIMIT``.
    max_retries : int
        Retries on ``autoretry_for`` errors, with exponential backoff (max 10 min).
    """
    lock_name = name if lock is True else (lock or None)
    extra = {
        k: v
        for k, v in (("soft_time_limit", soft_time_limit), ("time_limit", time_limit))
        if v is not None
    }

    def decorator(func: Callable) -> Task:
        return shared_task(
            name=name,
            base=TrackedTask,
            acks_late=True,
            reject_on_worker_lost=True,
            autoretry_for=autoretry_for,
            retry_backoff=True,
            retry_backoff_max=600,
            retry_jitter=True,
            max_retries=max_retries,
            lock_name=lock_name,
            **extra,
            **options,
        )(func)

    return decorator
