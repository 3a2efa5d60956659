"""Default schedules (idempotent, edits kept) and the admin's Run-now and last error."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.models import TaskRun
from core.schedules import DEFAULT_SCHEDULES, schedules_setup

pytestmark = pytest.mark.django_db


def test_setup_creates_defaults_once_and_keeps_admin_edits():
    first = schedules_setup()
    assert set(first.values()) == {"created"}
    tasks = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {
        "recommender.train",
        "inventory.forecast",
        "chatbot.train",
        "core.reap_task_runs",
    } <= tasks
    # the interface name, or the name the pricing app registers it under
    assert tasks & {"pricing.suggest", "pricing.suggest_prices"}
    nightly = PeriodicTask.objects.get(task="recommender.train")
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("2", "15")
    weekly = PeriodicTask.objects.get(name="pricing: weekly suggestions")
    assert weekly.crontab.day_of_week == "1"
    assert PeriodicTask.objects.get(task="chatbot.train").interval.every == 900

    nightly.enabled = False
    nightly.save()
    second = schedules_setup()
    assert set(second.values()) == {"kept"}
    assert PeriodicTask.objects.count() == len(DEFAULT_SCHEDULES)
    assert not PeriodicTask.objects.get(task="recommender.train").enabled

    schedules_setup(reset=True)
    assert PeriodicTask.objects.get(task="recommender.train").enabled


def test_command_with_demo_schedule(capsys):
    call_command("setup_schedules", "--demo")
    out = capsys.readouterr().out
    assert "created  core: demo retrain every minute" in out
    demo = PeriodicTask.objects.get(task="core.demo_train")
    assert demo.interval.every == 60


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(user)
    return client


def test_changelist_shows_last_run_and_error(staff_client):
    schedules_setup()
    TaskRun.objects.create(
        task_name="chatbot.train", status="failed", error="ValueError: no sales"
    )
    TaskRun.objects.create(task_name="chatbot.train", status="succeeded")
    response = staff_client.get("/admin/django_celery_beat/periodictask/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "ValueError: no sales" in html  # last error, even after a later success
    assert "Run now" in html


def test_run_now_confirms_then_sends_with_schedule_name(staff_client):
    schedules_setup(demo=True)
    demo = PeriodicTask.objects.get(task="core.demo_train")
    url = f"/admin/django_celery_beat/periodictask/{demo.pk}/run-now/"
    assert staff_client.get(url).status_code == 200
    assert not TaskRun.objects.exists()  # GET only asks
    response = staff_client.post(url)
    assert response.status_code == 302
    run = TaskRun.objects.get(task_name="core.demo_train")  # eager: ran in-process
    assert run.status == "succeeded"
    assert run.schedule == demo.name
    assert run.arguments == {"epochs": 50}


def test_run_now_of_unregistered_task_says_so(staff_client):
    schedules_setup()
    pt = PeriodicTask.objects.get(task="inventory.forecast")
    PeriodicTask.objects.filter(pk=pt.pk).update(task="nope.missing")
    response = staff_client.post(
        f"/admin/django_celery_beat/periodictask/{pt.pk}/run-now/", follow=True
    )
    assert "is not registered" in response.content.decode()


def test_taskrun_admin_filters(staff_client):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    TaskRun.objects.create(
        task_name="a.x",
        status="failed",
        error="boom",
        started_at=now,
        finished_at=now + timedelta(seconds=4),
    )
    TaskRun.objects.create(task_name="b.y", status="succeeded")
    response = staff_client.get("/admin/core/taskrun/?status__exact=failed")
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [r.task_name for r in rows] == ["a.x"]
    html = response.content.decode()
    assert "boom" in html
    assert "Duration of the finished runs" in html and "failed (1)" in html  # chart


def test_unregistered_task_is_flagged(capsys):
    schedules_setup()
    PeriodicTask.objects.filter(task="inventory.forecast").update(task="nope.gone")
    call_command("setup_schedules")
    err = capsys.readouterr().err
    assert "inventory: nightly forecast: task 'nope.gone' is not registered" in err
