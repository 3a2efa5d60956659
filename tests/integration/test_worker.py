"""A real worker trains end to end; killing it mid-training never breaks serving.

Run in the PostgreSQL pass::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ops
    pytest tests/integration -m database
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import redis
from django.urls import resolve

from core.models import ModelArtifact, TaskRun

from .conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]

SLOW = {"epochs": 30, "seconds_per_epoch": 0.1, "n_samples": 500}


def _final_files(root: Path) -> set[str]:
    folder = root / "core" / "demo"
    if not folder.exists():
        return set()
    return {p.name for p in folder.iterdir() if not p.name.startswith(".tmp-")}


def _running_run(task_id: str) -> TaskRun:
    return wait_for(
        lambda: TaskRun.objects.filter(
            task_id=task_id, status="running", progress__gte=0.2
        ).first()
    )


def _train_first_model(app) -> ModelArtifact:
    result = app.send_task("core.demo_train", kwargs={"epochs": 30, "n_samples": 500})
    assert result.get(timeout=30)["artifact"] == "core.demo:v1"
    return ModelArtifact.objects.get(kind="core.demo", status="active")


def test_training_end_to_end_duplicate_skipped_child_killed_is_redelivered(
    workers, redis_app, settings, rf
):
    workers.start(pool="prefork")
    workers.start(pool="prefork")
    root = Path(settings.ARTIFACTS_ROOT)

    v1 = _train_first_model(redis_app)
    run = TaskRun.objects.get(task_name="core.demo_train")
    assert run.status == "succeeded" and run.worker.startswith("opstest-")
    assert run.metrics["artifact"] == "core.demo:v1" and run.metrics["mse"] < 0.1
    assert _final_files(root) == {Path(v1.file).name}
    health = resolve("/healthz").func(rf.get("/healthz"))
    assert health.status_code == 200, health.content
    body = json.loads(health.content)
    assert body["checks"]["worker"]["count"] >= 2
    assert body["models"]["core.demo"]["active"] == "core.demo:v1"

    result = redis_app.send_task("core.demo_train", kwargs=SLOW)
    doomed = _running_run(result.id)
    # A duplicated trigger, taken by the other worker, cannot train at the same time.
    duplicate = redis_app.send_task("core.demo_train", kwargs=SLOW)
    assert "already running" in duplicate.get(timeout=30)["skipped"]
    assert TaskRun.objects.get(task_id=duplicate.id).status == "skipped"

    os.kill(doomed.pid, 9)  # SIGKILL the pool process that is training
    # The previous model keeps serving, and no file of the killed run has a final name.
    assert ModelArtifact.objects.get(kind="core.demo", status="active").pk == v1.pk
    assert ModelArtifact.objects.filter(kind="core.demo").count() == 1
    assert _final_files(root) == {Path(v1.file).name}

    # acks_late + reject_on_worker_lost: the message is redelivered and trains again.
    assert result.get(timeout=60)["artifact"] == "core.demo:v2"
    attempts = list(TaskRun.objects.filter(task_id=result.id).order_by("pk"))
    assert [a.status for a in attempts] == ["retried", "succeeded"]
    assert "WorkerLost" in attempts[0].error
    assert attempts[1].retries == 1 and attempts[1].pid != doomed.pid
    active = ModelArtifact.objects.get(kind="core.demo", status="active")
    assert active.version == 2 and active.task_run_id == attempts[1].pk

    # Fan-out: chunks spread over both workers, the parent run gathers them.
    from core.fanout import fanout_run

    parent = fanout_run(
        task_name="core.demo_chunk", ids=range(24), chunk_size=3, kwargs={"work": 20}
    )
    done = wait_for(
        lambda: TaskRun.objects.filter(pk=parent.pk).exclude(status="running").first()
    )
    assert done.status == "succeeded" and done.progress == pytest.approx(1.0)
    assert done.metrics["chunks"] == 8
    assert sum(r["n"] for r in done.metrics["results"]) == 24


def test_worker_killed_mid_run_is_reaped_and_previous_model_serves(
    workers, redis_app, settings
):
    proc, _ = workers.start(pool="solo")
    root = Path(settings.ARTIFACTS_ROOT)
    v1 = _train_first_model(redis_app)

    result = redis_app.send_task("core.demo_train", kwargs=SLOW)
    doomed = _running_run(result.id)
    assert doomed.pid == proc.pid
    workers.kill(proc)  # SIGKILL the whole worker: nothing can record the end

    assert TaskRun.objects.get(pk=doomed.pk).status == "running"
    assert ModelArtifact.objects.get(kind="core.demo", status="active").pk == v1.pk
    assert _final_files(root) == {Path(v1.file).name}

    # Issue 16.3: a new worker reaps the dead run at start-up, re-queues its message
    # (no waiting for the hours-long visibility timeout) and runs it again: one new
    # version, not two.
    workers.start(pool="solo")
    reaped = wait_for(lambda: TaskRun.objects.filter(pk=doomed.pk, status="retried"))
    assert reaped[0].error.startswith("WorkerLost: process")
    assert "re-queued" in reaped[0].error
    assert result.get(timeout=60)["artifact"] == "core.demo:v2"
    attempts = list(TaskRun.objects.filter(task_id=result.id).order_by("pk"))
    assert [a.status for a in attempts] == ["retried", "succeeded"]
    assert attempts[1].retries == 1
    assert ModelArtifact.objects.filter(kind="core.demo").count() == 2
    assert not redis.Redis.from_url(redis_app.conf.broker_url).hlen("unacked")
    again = redis_app.send_task("core.demo_train", kwargs={"epochs": 10})
    assert again.get(timeout=30)["artifact"] == "core.demo:v3"
