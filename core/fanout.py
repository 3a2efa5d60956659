"""Fan-out: split a large job into chunks of ids and run them across workers.

A chunk task is any registered task taking ``(ids: list[int], **kwargs)`` (e.g. the
inventory engineer's ``inventory.forecast_chunk``). :func:`fanout_run` wraps every chunk
in ``core.fanout_chunk`` (which calls the chunk task's body inside the worker and
advances the parent's progress), runs them as a Celery ``chord`` and, when all are
done, ``core.fanout_done`` marks the parent ``TaskRun`` finished with the merged chunk
results and, if given, sends the ``callback`` task with them. More workers (on this or
other machines, all reading the same broker) take chunks in parallel, so the run gets
shorter as workers are added.

Chords need a result backend (``CELERY_RESULT_BACKEND``, Redis in production mode). In
eager mode (no broker) the chunks run one after another in-process.

Example (inside the inventory task)::

    ids = list(Product.objects.filter(is_merchandise=True).values_list("pk", flat=True))
    run = fanout_run(task_name="inventory.forecast_chunk", ids=ids, chunk_size=200,
                     kwargs={"horizon": 28}, callback="inventory.forecast_publish")
"""

from __future__ import annotations

from collections.abc import Sequence

from celery import chord, signature
from django.db.models import F
from django.db.models.functions import Least
from django.utils import timezone

from .artifacts import json_safe
from .exceptions import InvalidInput
from .locks import LockBusy, lock_acquire, lock_release
from .models import TaskRun
from .taskruns import run_finish, run_start


def chunked(ids: Sequence[int], size: int) -> list[list[int]]:
    """Split ``ids`` into consecutive lists of at most ``size`` items.

    Raises
    ------
    InvalidInput
        ``size`` < 1.
    """
    if size < 1:
        raise InvalidInput("chunk size must be at least 1", field="chunk_size")
    ids = [int(i) for i in ids]
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def fanout_run(
    *,
    task_name: str,
    ids: Sequence[int],
    chunk_size: int,
    kwargs: dict | None = None,
    callback: str | None = None,
    name: str | None = None,
    lock: str | None = None,
) -> TaskRun:
    """Start the chunks of ``task_name`` over ``ids``; return the parent ``TaskRun``.

    The parent run (``<task_name>:fanout`` unless ``name`` is given) stays ``running``
    while chunks run; each finished chunk adds ``1 / n_chunks`` to its progress; it
    ends ``succeeded`` with ``metrics = {"chunks", "results"}`` or ``failed``
    with the first chunk error. Returns at once (does not wait).

    ``lock`` names a :mod:`core.locks` lock held from dispatch until the chord ends
    (the dispatching task itself returns at once, so its own lock does not cover the
    chunks); a second fan-out under the same name meanwhile raises ``LockBusy``.

    Raises
    ------
    InvalidInput
        ``ids`` is empty or ``chunk_size`` < 1.
    core.locks.LockBusy
        ``lock`` is held by a fan-out that has not finished.
    """
    from . import tasks  # noqa: F401  (registers core.fanout_* in this process)

    chunks = chunked(ids, chunk_size)
    if not chunks:
        raise InvalidInput("nothing to fan out: ids is empty", field="ids")
    arguments = {
        "task": task_name,
        "ids": len(ids),
        "chunk_size": chunk_size,
        "kwargs": json_safe(kwargs or {}),
    }
    if lock:
        token = lock_acquire(lock)
        if token is None:
            raise LockBusy(f"fan-out {lock!r} is still running", field="lock")
        arguments["lock"] = {"name": lock, "token": token}
    parent = run_start(name or f"{task_name}:fanout", arguments)
    parent.pid = None  # the parent has no process of its own; see core.reaper
    parent.save(update_fields=["pid"])
    header = [
        signature(
            "core.fanout_chunk",
            kwargs={
                "task_name": task_name,
                "ids": chunk,
                "kwargs": kwargs or {},
                "parent_id": parent.pk,
                "n_chunks": len(chunks),
            },
        )
        for chunk in chunks
    ]
    body = signature(
        "core.fanout_done", kwargs={"parent_id": parent.pk, "callback": callback}
    )
    body.on_error(signature("core.fanout_failed", kwargs={"parent_id": parent.pk}))
    try:
        chord(header)(body)
    except Exception as exc:  # eager mode raises here; a broker failure too
        fanout_fail(parent_id=parent.pk, error=exc)
        raise
    parent.refresh_from_db()
    return parent


def fanout_chunk_run(
    *, task_name: str, ids: list[int], kwargs: dict, parent_id: int, n_chunks: int
):
    """Run one chunk in this worker and add its share to the parent's progress."""
    from config.celery import app

    app.loader.import_default_modules()
    task = app.tasks.get(task_name)
    if task is None:
        raise InvalidInput(f"unknown chunk task {task_name!r}", field="task_name")
    body = getattr(task, "_orig_run", task.run)  # skip the task's own autoretry
    result = body(ids, **kwargs)
    TaskRun.objects.filter(pk=parent_id).update(
        progress=Least(F("progress") + 1.0 / n_chunks, 1.0), updated_at=timezone.now()
    )
    return result


def fanout_finish(*, parent_id: int, results: list, callback: str | None) -> dict:
    """Chord body: mark the parent run succeeded and send ``callback`` if any."""
    parent = TaskRun.objects.get(pk=parent_id)
    metrics = {"chunks": len(results), "results": json_safe(results)[:1000]}
    try:
        if callback:
            from config.celery import app

            if app.conf.task_always_eager:  # send_task would not run in-process
                app.loader.import_default_modules()
                app.tasks[callback].apply(args=[results]).get()
            else:
                app.send_task(callback, args=[results])
        run_finish(parent, TaskRun.Status.SUCCEEDED, metrics=metrics)
    finally:
        fanout_lock_release(parent)
    return {"parent_id": parent_id, "chunks": len(results)}


def fanout_lock_release(parent: TaskRun) -> None:
    """Release the fan-out lock recorded on ``parent`` (if any, and still ours)."""
    held = (parent.arguments or {}).get("lock")
    if held:
        lock_release(held["name"], held["token"])


def fanout_fail(*, parent_id: int, error: BaseException | str) -> None:
    """Chord error callback: mark the parent run failed with the chunk error."""
    parent = TaskRun.objects.filter(pk=parent_id).first()
    if parent is None or parent.status != TaskRun.Status.RUNNING:
        return
    exc = error if isinstance(error, BaseException) else RuntimeError(str(error))
    run_finish(parent, TaskRun.Status.FAILED, exc=exc)
    fanout_lock_release(parent)
