"""A job started in the admin waits for a worker, then runs on it (not in the web
process), and its run page follows it. Needs PostgreSQL and Redis (services pass)."""

from __future__ import annotations

import os

import pytest
from django import forms

from core import jobs
from core.jobs import Job, JobForm
from core.models import TaskRun

from .conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.slow]


class DemoForm(JobForm):
    epochs = forms.IntegerField(min_value=1, initial=20)
    seconds_per_epoch = forms.FloatField(min_value=0, initial=0.02)


def test_a_job_started_in_the_admin_waits_for_then_runs_on_a_worker(
    workers, redis_app, client, django_user_model
):
    user = django_user_model.objects.create_superuser("ops", "o@example.com", "pw")
    client.force_login(user)
    jobs.register(Job(name="test-demo-worker", task="core.demo_train",
                      title="Train the demo model", description="on a worker",
                      form=DemoForm))  # fmt: skip
    try:
        response = client.post(
            "/admin/jobs/test-demo-worker/", {"epochs": 20, "seconds_per_epoch": 0.02}
        )
        assert response.status_code == 302
        run = TaskRun.objects.get(task_name="core.demo_train")
        assert run.status == "pending"  # sent to the broker; no worker yet
        waiting = client.get(response.url).content.decode()
        assert "Waiting for a Celery worker" in waiting
        assert "schedules do not run" not in waiting  # not eager mode
        _, name = workers.start()
        done = wait_for(
            lambda: TaskRun.objects.filter(pk=run.pk, status="succeeded").first(),
            timeout=90,
        )
        assert done.worker == name and done.pid != os.getpid()
        assert TaskRun.objects.filter(task_name="core.demo_train").count() == 1
        page = client.get(response.url).content.decode()
        assert "succeeded" in page and "done" in page
    finally:
        jobs._jobs.pop("test-demo-worker", None)
