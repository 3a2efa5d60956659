"""Recording task runs: every training or batch job leaves a ``TaskRun`` row.

Use :func:`task_run` around the body of a task or command::

    with task_run("recommender.train", {"algorithm": "item_knn"}) as run:
        ...
        progress(run, 0.5, "similarities computed")
"""

from __future__ import annotations

import contextlib
import socket
import traceback as tb
from collections.abc import Iterator

from django.utils import timezone

from .models import TaskRun


@contextlib.contextmanager
def task_run(
    name: str, arguments: dict | None = None, *, task_id: str = ""
) -> Iterator[TaskRun]:
    """Create a running ``TaskRun``; mark it succeeded or failed (with traceback)."""
    run = TaskRun.objects.create(
        task_name=name,
        task_id=task_id or "",
        arguments=arguments or {},
        status=TaskRun.Status.RUNNING,
        started_at=timezone.now(),
        worker=socket.gethostname(),
    )
    try:
        yield run
    except BaseException as exc:
        run.status = TaskRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.traceback = tb.format_exc()[-20000:]
        run.finished_at = timezone.now()
        run.save()
        raise
    else:
        if run.status == TaskRun.Status.RUNNING:
            run.status = TaskRun.Status.SUCCEEDED
            run.progress = 1.0
        run.finished_at = timezone.now()
        run.save()


def progress(run: TaskRun | None, fraction: float, message: str = "") -> None:
    """Store a progress fraction (0..1) and message on a running ``TaskRun``."""
    if run is None:
        return
    run.progress = max(0.0, min(1.0, float(fraction)))
    run.progress_message = message[:255]
    run.save(update_fields=["progress", "progress_message", "updated_at"])
