"""Tracked tasks (eager mode): every attempt is a TaskRun; locks; retries; redelivery.

Eager mode is not a test of a worker: tests/integration runs a real one.
"""

from __future__ import annotations

import pytest
from django.db import OperationalError

from core.locks import single_flight
from core.models import ModelArtifact, TaskRun
from core.taskruns import current_run, progress, task_run
from core.tracked import TrackedTask, tracked_task

pytestmark = pytest.mark.django_db

_calls = {"flaky": 0}


@tracked_task(name="tests.core.flaky", max_retries=3)
def flaky_task(fail_times: int = 1) -> dict:
    _calls["flaky"] += 1
    if _calls["flaky"] <= fail_times:
        raise OperationalError("database is locked")
    progress(current_run(), 0.5, "half way")
    return {"calls": _calls["flaky"]}


@tracked_task(name="tests.core.broken")
def broken_task(value: int) -> None:
    raise ValueError(f"bad value {value}")


@tracked_task(name="tests.core.locked", lock=True)
def locked_task() -> str:
    return "ran"


@tracked_task(name="tests.core.nested")
def nested_task() -> dict:
    with task_run("tests.core.nested", {}) as run:  # a service wrapping itself
        run.metrics = {"from_service": 1}
    return {"done": True}


def test_demo_train_task_records_run_and_activates_model():
    from core.tasks import demo_train_task

    result = demo_train_task.apply(kwargs={"epochs": 30, "n_samples": 200}).get()
    run = TaskRun.objects.get(task_name="core.demo_train")
    assert run.status == TaskRun.Status.SUCCEEDED
    assert run.progress == 1.0
    assert run.metrics["artifact"] == result["artifact"] == "core.demo:v1"
    assert run.arguments == {"epochs": 30, "n_samples": 200}
    assert run.duration_seconds is not None and run.pid and run.host
    artifact = ModelArtifact.objects.get(kind="core.demo")
    assert artifact.status == ModelArtifact.Status.ACTIVE
    assert artifact.task_run_id == run.pk


def test_failure_keeps_error_and_traceback():
    with pytest.raises(ValueError):
        broken_task.apply(args=[7]).get()
    run = TaskRun.objects.get(task_name="tests.core.broken")
    assert run.status == TaskRun.Status.FAILED
    assert run.error == "ValueError: bad value 7"
    assert "raise ValueError" in run.traceback
    assert run.arguments == {"args": [7]}


def test_transient_error_is_retried_and_each_attempt_recorded():
    _calls["flaky"] = 0
    # throw=False: with eager propagation Celery would raise Retry instead of
    # re-applying the task (a worker re-queues it).
    result = flaky_task.apply(kwargs={"fail_times": 1}, throw=False)
    assert result.get() == {"calls": 2}
    runs = list(TaskRun.objects.filter(task_name="tests.core.flaky").order_by("pk"))
    assert [r.status for r in runs] == ["retried", "succeeded"]
    assert runs[0].error.startswith("OperationalError")
    assert [r.retries for r in runs] == [0, 1]
    assert flaky_task.acks_late and flaky_task.retry_backoff


def test_duplicate_trigger_is_skipped_while_locked():
    with single_flight("tests.core.locked"):
        result = locked_task.apply().get()
    assert "already running" in result["skipped"]
    assert locked_task.apply().get() == "ran"
    statuses = list(
        TaskRun.objects.filter(task_name="tests.core.locked")
        .order_by("pk")
        .values_list("status", flat=True)
    )
    assert statuses == ["skipped", "succeeded"]


def test_redelivered_message_marks_the_dead_attempt_retried():
    dead = TaskRun.objects.create(
        task_name="tests.core.locked", task_id="abc-1", status="running"
    )
    locked_task.apply(task_id="abc-1").get()
    dead.refresh_from_db()
    assert dead.status == TaskRun.Status.RETRIED
    assert "WorkerLost" in dead.error
    new = TaskRun.objects.filter(task_id="abc-1").exclude(pk=dead.pk).get()
    assert new.status == TaskRun.Status.SUCCEEDED and new.retries == 1


def test_nested_task_run_reuses_the_task_record():
    nested_task.apply().get()
    run = TaskRun.objects.get(task_name="tests.core.nested")
    assert run.status == TaskRun.Status.SUCCEEDED
    assert run.metrics == {"from_service": 1, "done": True}


def test_schedule_name_header_is_recorded():
    locked_task.apply(headers={"periodic_task_name": "nightly"}).get()
    assert TaskRun.objects.get(task_name="tests.core.locked").schedule == "nightly"


def test_tracked_task_options():
    assert isinstance(locked_task, TrackedTask)
    assert locked_task.lock_name == "tests.core.locked"
    assert flaky_task.lock_name is None
    assert locked_task.reject_on_worker_lost
    assert OperationalError in locked_task.autoretry_for
    assert ConnectionError in locked_task.autoretry_for
