"""Jobs started from the admin: enqueued as tracked tasks (never run inside the
request), with a progress page; uploads report each bad row; a dead broker is said."""

from __future__ import annotations

import os

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from core import jobs
from core.jobs import Job, JobForm
from core.models import TaskRun
from shop.models import ImportIssue, ImportReport
from tests.shop.conftest import HEADER

pytestmark = pytest.mark.django_db


class DemoForm(JobForm):
    epochs = forms.IntegerField(min_value=1, max_value=500, initial=5)
    seconds_per_epoch = forms.FloatField(min_value=0, initial=0)


@pytest.fixture
def demo_job():
    job = jobs.register(
        Job(
            name="test-demo",
            task="core.demo_train",
            title="Train the demo model",
            description="A tiny model, for the tests.",
            form=DemoForm,
            results=lambda run: [("the model", f"/m/{run.metrics['artifact']}")],
        )
    )
    yield job
    jobs._jobs.pop("test-demo", None)


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    client.force_login(user)
    return user


def test_job_is_queued_then_runs_and_its_page_shows_progress_and_result(
    client, staff, demo_job, queued_tasks
):
    page = client.get("/admin/jobs/test-demo/")
    assert page.status_code == 200 and "Train the demo model" in page.content.decode()
    response = client.post(
        "/admin/jobs/test-demo/", {"epochs": 3, "seconds_per_epoch": 0}
    )
    run = TaskRun.objects.get(task_name="core.demo_train")
    assert response.status_code == 302
    assert response.url == f"/admin/core/taskrun/{run.pk}/change/"
    assert run.status == TaskRun.Status.PENDING  # the request did not run it
    assert run.requested_by == staff and run.arguments["epochs"] == 3
    pending = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in pending and "queued" in pending

    assert queued_tasks.run_all() == 1
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED  # the same row, adopted
    assert TaskRun.objects.filter(task_name="core.demo_train").count() == 1
    done = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' not in done
    assert "the model" in done and f"/m/{run.metrics['artifact']}" in done
    assert "started by" in done and "boss" in done


def test_bad_parameters_are_refused_naming_the_field(client, staff, demo_job):
    response = client.post("/admin/jobs/test-demo/", {"epochs": 0})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1" in html
    assert not TaskRun.objects.exists()


def test_unknown_job_is_404_and_a_job_needs_its_permission(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get("/admin/jobs/nope/").status_code == 404
    assert client.get("/admin/jobs/recommender-evaluate/").status_code == 403
    assert (
        "Evaluate the recommenders" not in client.get("/admin/jobs/").content.decode()
    )


def test_order_upload_reports_every_bad_row_by_number(
    client, staff, queued_tasks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    rows = [
        ["536365", "85123A", "WHITE HANGING HEART", "6", "2010-12-01 08:26", "2.55",
         "17850", "United Kingdom"],
        ["536366", "22633", "HAND WARMER", "abc", "2010-12-01 08:28", "1.85",
         "17850", "United Kingdom"],
        ["536367", "84879", "BIRD ORNAMENT", "32", "not a date", "1.69",
         "13047", "United Kingdom"],
    ]  # fmt: skip
    body = ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in rows) + "\n"
    upload = SimpleUploadedFile("orders.csv", body.encode(), content_type="text/csv")
    response = client.post("/admin/jobs/shop-import-orders/", {"file": upload})
    assert response.status_code == 302
    queued_tasks.run_all()
    run = TaskRun.objects.get(task_name="shop.import_orders")
    assert run.status == TaskRun.Status.SUCCEEDED, run.error
    report = ImportReport.objects.get(pk=run.metrics["report"])
    rejected = ImportIssue.objects.filter(report=report, action="rejected")
    assert sorted(rejected.values_list("row_number", flat=True)) == [2, 3]
    page = client.get(response.url).content.decode()
    assert f"Import report #{report.pk}" in page
    assert "2 rejected rows, by row number" in page
    issues = client.get(
        f"/admin/shop/importissue/?report__id__exact={report.pk}&action__exact=rejected"
    ).content.decode()
    assert "quantity" in issues.lower() and "date" in issues.lower()


def test_upload_of_the_wrong_kind_of_file_is_refused(client, staff):
    upload = SimpleUploadedFile("orders.xlsx", b"PK\x03\x04", content_type="x")
    response = client.post("/admin/jobs/shop-import-orders/", {"file": upload})
    assert response.status_code == 200
    assert "orders.xlsx: expected a file ending in .csv" in response.content.decode()
    assert not TaskRun.objects.exists()


def test_a_dead_broker_is_said_and_the_run_marked_failed(
    client, staff, demo_job, settings, monkeypatch
):
    from celery.app.task import Task
    from kombu.exceptions import OperationalError

    settings.CELERY_TASK_ALWAYS_EAGER = False

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(Task, "apply_async", refuse)
    monkeypatch.setattr("core.launch.after_commit", lambda fn: fn())
    response = client.post(
        "/admin/jobs/test-demo/", {"epochs": 3, "seconds_per_epoch": 0}, follow=True
    )
    html = response.content.decode()
    assert "ould not reach the Celery broker (OperationalError)" in html
    run = TaskRun.objects.get(task_name="core.demo_train")
    assert run.status == TaskRun.Status.FAILED and "6379" in run.error


def test_eager_mode_says_schedules_do_not_run(client, staff, settings):
    assert (
        "No Celery worker: schedules do not run"
        in client.get("/admin/").content.decode()
    )
    jobs_page = client.get("/admin/jobs/").content.decode()
    assert "make worker" in jobs_page and "make beat" in jobs_page
    schedules = client.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert "schedules do not run" in schedules
    settings.CELERY_TASK_ALWAYS_EAGER = False
    assert "schedules do not run" not in client.get("/admin/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_web_process_runs_the_task_in_a_background_thread(
    client, django_user_model
):
    import threading

    from core.launch import local_executor

    user = django_user_model.objects.create_superuser("boss", "b@example.com", "pw")
    client.force_login(user)
    jobs.register(
        Job(
            name="test-demo-thread",
            task="core.demo_train",
            title="Train the demo model",
            description="run by the web process's task thread",
            form=DemoForm,
        )
    )
    gate = threading.Event()
    local_executor().submit(gate.wait, 60)  # holds the one task thread
    try:
        response = client.post(
            "/admin/jobs/test-demo-thread/", {"epochs": 5, "seconds_per_epoch": 0}
        )
        assert response.status_code == 302  # answered while the task waits its turn
        run = TaskRun.objects.get(task_name="core.demo_train")
        assert run.status == "pending"
        gate.set()
        local_executor().submit(lambda: None).result(timeout=120)  # after the task
        run.refresh_from_db()
        assert run.status == "succeeded", run.error
        assert run.pid == os.getpid()  # the web process, not a worker
    finally:
        gate.set()
        jobs._jobs.pop("test-demo-thread", None)


def test_a_job_whose_task_is_not_registered_is_not_offered(client, staff):
    jobs.register(Job(name="test-ghost", task="nope.gone", title="Ghost job",
                      description="its task does not exist"))  # fmt: skip
    try:
        assert "Ghost job" not in client.get("/admin/jobs/").content.decode()
        assert client.get("/admin/jobs/test-ghost/").status_code == 403
    finally:
        jobs._jobs.pop("test-ghost", None)


def test_results_list_each_rejected_row_one_per_line():
    from core.adminkit import flatten

    rows = [f"row {n}: on_hand: not a number" for n in range(2, 1005)]
    ((key, text),) = flatten({"rejected_rows": rows})
    assert (
        key == "rejected_rows"
        and text.splitlines()[0] == "row 2: on_hand: not a number"
    )
    assert "row 1001:" in text and "… 3 more (1,003 in all)" in text


def test_each_upload_job_explains_its_own_file(client, staff):
    orders = client.get("/admin/jobs/shop-import-orders/").content.decode()
    assert "Online Retail layout (InvoiceNo" in orders
    assert "product,on_hand" not in orders


def test_a_failed_run_says_where_it_stopped_and_tasks_read_as_words(client, staff):
    """V2 15.1: a failed run's page read "0 % · queued" under "failed"; lists and
    titles showed the Celery names ("shop.categorise_products")."""
    from core.jobs import task_label

    run = TaskRun.objects.create(
        task_name="shop.categorise_products", status="failed",
        progress=0.0, progress_message="queued", error="ValueError: no products",
    )  # fmt: skip
    page = client.get(f"/admin/core/taskrun/{run.pk}/change/").content.decode()
    message = page.split('<p class="message">', 1)[1].split("</p>", 1)[0]
    assert "stopped at 0 %" in message and "queued" not in message
    assert "Categorise products (shop)" in page
    listing = client.get("/admin/core/taskrun/").content.decode()
    assert "Categorise products (shop)" in listing
    assert ">shop.categorise_products<" not in listing
    assert str(run) == f"Categorise products (shop) #{run.pk} (failed)"
    assert task_label("inventory.import_stock") != "inventory.import_stock"
