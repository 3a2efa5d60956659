"""The reaper marks running runs of dead processes failed, and only those."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.locks import lock_holder
from core.models import Lock, TaskRun
from core.processes import pid_alive
from core.reaper import artifacts_tmp_sweep, task_runs_reap

pytestmark = pytest.mark.django_db


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _running(**kw) -> TaskRun:
    kw.setdefault("host", socket.gethostname())
    return TaskRun.objects.create(
        task_name="x.train", status="running", started_at=timezone.now(), **kw
    )


def test_pid_alive():
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    # a pid that belongs to a process started after the run began is not the run's
    assert not pid_alive(os.getpid(), since=time.time() + 3600 * 24 * 365 * -30 - 10)
    assert pid_alive(os.getpid(), since=time.time())


def test_run_of_dead_process_is_reaped_live_one_kept():
    dead = _running(pid=_dead_pid())
    alive = _running(pid=os.getpid())
    reaped = task_runs_reap(ping=False)
    assert [r.pk for r in reaped] == [dead.pk]
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == TaskRun.Status.FAILED
    assert dead.error.startswith("WorkerLost: process")
    assert dead.finished_at is not None
    assert alive.status == TaskRun.Status.RUNNING


def test_remote_run_is_kept_until_its_heartbeat_is_stale(settings):
    settings.CELERY_TASK_TIME_LIMIT = 60
    remote = _running(host="other-machine", pid=1234, worker="celery@other")
    assert task_runs_reap(ping=False) == []
    TaskRun.objects.filter(pk=remote.pk).update(
        updated_at=timezone.now() - timedelta(seconds=400)
    )
    assert [r.pk for r in task_runs_reap(ping=False)] == [remote.pk]
    remote.refresh_from_db()
    assert "no heartbeat" in remote.error


def test_locks_of_dead_owners_are_released_and_tmp_files_swept(settings, tmp_path):
    Lock.objects.create(
        name="x.train",
        owner=f"{socket.gethostname()}:{_dead_pid()}:abc",
        acquired_at=timezone.now(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    task_runs_reap(ping=False)
    assert lock_holder("x.train") is None

    settings.ARTIFACTS_ROOT = tmp_path
    old = tmp_path / "k" / ".tmp-abc.npz"
    old.parent.mkdir()
    old.write_bytes(b"half")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    fresh = tmp_path / "k" / ".tmp-new.npz"
    fresh.write_bytes(b"being written")
    assert artifacts_tmp_sweep(older_than=3600) == 1
    assert not old.exists() and fresh.exists()


def test_reap_command(capsys):
    from django.core.management import call_command

    _running(pid=_dead_pid())
    call_command("reap_task_runs", "--no-ping")
    assert "1 run(s) reaped" in capsys.readouterr().out
