"""The reaper: mark ``running`` task runs whose worker died as ``failed``.

A worker killed with SIGKILL (or by the OOM killer, or a lost machine) cannot record its
own end. The reaper runs when a worker starts (``worker_ready``), every few minutes from
beat (``core.reap_task_runs``) and on demand (``manage.py reap_task_runs``). A running
``TaskRun`` is dead when

1. it ran on this host and its process is gone (or the pid now belongs to a process
   started after the run began: a recycled pid);
2. it ran on another host, ``ping`` is on, its Celery node does not answer a ping and
   its heartbeat (``updated_at``, refreshed by ``progress``) is older than ``grace`` s;
3. its heartbeat is older than the hard time limit plus five minutes (no task can run
   that long; this also covers fan-out parents, which have no process of their own).

When the broker is Redis, the dead run's message, which would otherwise wait in the
broker's ``unacked`` hash until the visibility timeout (hours), is put back on its
queue (:mod:`core.redelivery`) and the run is marked ``retried``: a worker runs it again
within minutes. The re-run is idempotent (``core.tracked``: an attempt of the same task
id that already stored a model is not repeated).

The model that served before the dead run stays active: artifacts are written to a
temporary name and renamed, and activation is one transaction, so a dead run never
left a file under a final name nor switched the active row. The reaper also releases
locks held by dead processes on this host and removes temporary artifact files older
than the stale limit.
"""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .locks import lock_release, locks_held, token_owner_dead
from .models import TaskRun
from .processes import pid_alive
from .redelivery import broker_requeue_unacked

logger = logging.getLogger(__name__)


def stale_after_seconds() -> int:
    return int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 3600) or 3600) + 300


def _ping_nodes(timeout: float) -> set[str] | None:
    """Names of Celery nodes answering a ping, or None when there is no real broker."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return None
    from config.celery import app

    try:
        replies = app.control.inspect(timeout=timeout).ping() or {}
    except Exception:  # broker down: decide on the other rules only
        logger.warning("reaper: broker unreachable, skipping the ping rule")
        return None
    return set(replies)


def _dead_reason(
    run: TaskRun, *, host: str, nodes: set[str] | None, now, grace: int, stale: int
) -> str:
    age = (now - run.updated_at).total_seconds()
    if run.host == host and run.pid:
        since = run.started_at.timestamp() if run.started_at else None
        if not pid_alive(run.pid, since=since):
            return f"process {run.host}:{run.pid} is gone"
    elif nodes is not None and run.worker and run.worker not in nodes:
        if age > grace:
            return (
                f"worker {run.worker} does not answer and the run is silent {age:.0f} s"
            )
    if age > stale:
        return f"no heartbeat for {age:.0f} s (longer than any task may run)"
    return ""


def task_runs_reap(
    *, ping: bool = True, grace: int = 120, ping_timeout: float = 1.0
) -> list[TaskRun]:
    """Re-queue or fail dead running runs; release their locks; return the reaped runs.

    Parameters
    ----------
    ping : bool
        Ask the Celery workers for a ping (only to judge runs on other hosts).
    grace : int, seconds
        How long a run on a silent remote worker is given before it is reaped.
    """
    host = socket.gethostname()
    now = timezone.now()
    stale = stale_after_seconds()
    nodes = _ping_nodes(ping_timeout) if ping else None
    dead = []
    for run in TaskRun.objects.filter(status=TaskRun.Status.RUNNING):
        reason = _dead_reason(
            run, host=host, nodes=nodes, now=now, grace=grace, stale=stale
        )
        if reason:
            dead.append((run, reason))
    # Locks first: a re-queued run must not find its dead attempt's lock and skip.
    locks_release_of_runs([run for run, _ in dead])
    requeued = broker_requeue_unacked(run.task_id for run, _ in dead)
    reaped = []
    for run, reason in dead:
        if run.task_id in requeued:
            status = TaskRun.Status.RETRIED
            error = f"WorkerLost: {reason}; the reaper re-queued its message"
        else:
            status = TaskRun.Status.FAILED
            error = f"WorkerLost: {reason}; marked failed by the reaper"
        updated = TaskRun.objects.filter(
            pk=run.pk, status=TaskRun.Status.RUNNING
        ).update(status=status, finished_at=now, error=error, updated_at=now)
        if updated:
            logger.warning("reaped task run %s (%s): %s", run.pk, run.task_name, reason)
            held = (run.arguments or {}).get("lock")  # a fan-out parent's lock
            if isinstance(held, dict) and {"name", "token"} <= set(held):
                lock_release(held["name"], held["token"])
            reaped.append(run)
    locks_release_dead()
    artifacts_tmp_sweep(older_than=stale)
    return reaped


def locks_release_of_runs(runs: list[TaskRun]) -> list[str]:
    """Release locks held by the processes of ``runs`` (judged dead, on any host).

    Lock tokens are ``<host>:<pid>:<random>``; without this a dead remote worker's
    lock would make the re-queued run skip itself until the lock's TTL ran out.
    """
    owners = {f"{run.host}:{run.pid}:" for run in runs if run.host and run.pid}
    released = []
    if not owners:
        return released
    for name, token in locks_held().items():
        if token.startswith(tuple(owners)) and lock_release(name, token):
            released.append(name)
            logger.warning("released lock %s of dead run owner %s", name, token)
    return released


def locks_release_dead() -> list[str]:
    """Release locks whose owner process on this host is gone."""
    released = []
    for name, token in locks_held().items():
        if token_owner_dead(token) and lock_release(name, token):
            released.append(name)
            logger.warning("released lock %s of dead owner %s", name, token)
    return released


def artifacts_tmp_sweep(*, older_than: int) -> int:
    """Delete temporary artifact files (``.tmp-*``) older than ``older_than`` s."""
    root = Path(settings.ARTIFACTS_ROOT)
    if not root.exists():
        return 0
    cutoff = time.time() - older_than
    removed = 0
    for path in root.rglob(".tmp-*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
