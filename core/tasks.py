"""Operations tasks: the demo training job, the reaper, and the fan-out plumbing.

Each task is one service call with ids and strings; each has a management-command twin
(``demo_train``, ``reap_task_runs``; the fan-out tasks are internal to
:func:`core.fanout.fanout_run`).
"""

from __future__ import annotations

from celery import shared_task

from .tracked import TRANSIENT_ERRORS, tracked_task


@tracked_task(name="core.demo_train", lock=True)
def demo_train_task(
    n_samples: int = 2000,
    epochs: int = 100,
    seconds_per_epoch: float = 0.0,
    seed: int = 0,
) -> dict:
    """Train and activate the demo model (see :func:`core.demo.demo_train`)."""
    from .demo import demo_train

    artifact = demo_train(
        n_samples=n_samples,
        epochs=epochs,
        seconds_per_epoch=seconds_per_epoch,
        seed=seed,
    )
    return {"artifact": artifact.label, **artifact.metrics}


@tracked_task(name="core.reap_task_runs", soft_time_limit=60, time_limit=90)
def reap_task_runs_task() -> dict:
    """Mark running task runs of dead workers failed (see :mod:`core.reaper`)."""
    from .reaper import task_runs_reap

    return {"reaped": [run.pk for run in task_runs_reap()]}


@shared_task(name="core.demo_chunk", acks_late=True)
def demo_chunk_task(ids: list[int], work: int = 200) -> dict:
    """CPU-bound chunk of the fan-out benchmark (see :func:`core.demo.demo_chunk`)."""
    from .demo import demo_chunk

    return demo_chunk(ids=ids, work=work)


@shared_task(
    name="core.fanout_chunk",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def fanout_chunk_task(
    task_name: str, ids: list[int], kwargs: dict, parent_id: int, n_chunks: int
):
    from .fanout import fanout_chunk_run

    return fanout_chunk_run(
        task_name=task_name,
        ids=ids,
        kwargs=kwargs,
        parent_id=parent_id,
        n_chunks=n_chunks,
    )


@shared_task(name="core.fanout_done", acks_late=True)
def fanout_done_task(results: list, parent_id: int, callback: str | None = None):
    from .fanout import fanout_finish

    return fanout_finish(parent_id=parent_id, results=results, callback=callback)


@shared_task(name="core.fanout_failed")
def fanout_failed_task(request, exc, traceback, parent_id: int) -> None:
    """Chord error callback (Celery passes the failed request, exception, traceback)."""
    from .fanout import fanout_fail

    fanout_fail(parent_id=parent_id, error=exc)
