"""Issue 16 defect 3: a dead worker's task is re-run once, without a second model.

The re-queue itself (a whole worker SIGKILLed, the reaper putting its message back)
runs against a real worker and Redis in
tests/integration/test_worker.py::test_worker_killed_mid_run_is_reaped_and_previous_model_serves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.locks import lock_acquire, lock_holder
from core.models import ModelArtifact, TaskRun
from core.reaper import stale_after_seconds, task_runs_reap

pytestmark = pytest.mark.django_db

SMALL = {"epochs": 5, "n_samples": 50}


def test_a_redelivered_message_does_not_store_a_second_model_version():
    from core.tasks import demo_train_task

    # The first attempt stored its model, then its worker died before the message
    # was acknowledged; the broker delivers the same message (same task id) again.
    first = demo_train_task.apply(kwargs=SMALL, task_id="msg-1").get()
    again = demo_train_task.apply(kwargs=SMALL, task_id="msg-1").get()
    assert first["artifact"] == again["artifact"] == "core.demo:v1"
    assert ModelArtifact.objects.filter(kind="core.demo").count() == 1
    attempts = TaskRun.objects.filter(task_id="msg-1").order_by("pk")
    assert [a.retries for a in attempts] == [0, 1]
    # another message is another run: a new version
    other = demo_train_task.apply(kwargs=SMALL, task_id="msg-2").get()
    assert other["artifact"] == "core.demo:v2"


def test_reaping_a_dead_remote_run_releases_its_lock(settings, monkeypatch):
    settings.CORE_LOCK_REDIS_URL = ""
    settings.CELERY_BROKER_URL = "memory://"
    long_ago = timezone.now() - timedelta(seconds=stale_after_seconds() + 60)
    run = TaskRun.objects.create(
        task_name="core.demo_train",
        task_id="msg-remote",
        status=TaskRun.Status.RUNNING,
        host="another-host",
        pid=4242,
        worker="celery@another-host",
    )
    TaskRun.objects.filter(pk=run.pk).update(updated_at=long_ago)
    token = "another-host:4242:abcdef123456"  # the dead worker's lock
    with monkeypatch.context() as patch:
        patch.setattr("core.locks.owner_token", lambda: token)
        assert lock_acquire("core.demo_train") == token
    reaped = task_runs_reap(ping=False)
    assert [r.pk for r in reaped] == [run.pk]
    assert TaskRun.objects.get(pk=run.pk).status == "failed"  # no broker message
    # the re-run (on a live worker) must not find the dead attempt's lock and skip
    assert lock_holder("core.demo_train") is None
