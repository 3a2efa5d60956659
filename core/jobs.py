"""Jobs a person starts from the admin: a form, a tracked Celery task, a progress page.

Each app declares its jobs in ``<app>/jobs.py`` (discovered like ``admin.py``)::

    from core.jobs import Job, JobForm, register

    class EvaluateForm(JobForm):
        cutoff = forms.DateField(initial="2011-09-01", help_text="...")

    register(
        Job(
            name="recommender-evaluate",
            task="recommender.evaluate",
            title="Evaluate the recommenders",
            description="Compare every algorithm on the orders after a cut-off.",
            audience="merchandiser",
            form=EvaluateForm,
            permission="recommender.view_evaluationrun",
            results=lambda run: [("Evaluation run", url)],
        )
    )

An upload job's form has a ``file`` field (:class:`UploadJobForm`): the file is stored
under ``MEDIA_ROOT/uploads/`` (shared with the workers in production) and the task
receives its local ``path``; the import service reports every bad row with its number.
The admin lists the jobs at ``/admin/jobs/``; posting a job's form calls
:func:`core.launch.task_launch` and shows the run's progress page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms

from .models import TaskRun

AUDIENCES = {
    "merchandiser": "Merchandiser",
    "pricing analyst": "Pricing analyst",
    "inventory planner": "Inventory planner",
    "support lead": "Support lead",
    "operations": "Operations",
}

_jobs: dict[str, Job] = {}


class JobForm(forms.Form):
    """A job's parameters; ``task_kwargs()`` gives the task's keyword arguments."""

    def task_kwargs(self) -> dict:
        return {
            key: (value.isoformat() if hasattr(value, "isoformat") else value)
            for key, value in self.cleaned_data.items()
        }


class UploadJobForm(JobForm):
    """A job whose input is a file (CSV, optionally gzipped)."""

    #: accepted file name endings
    extensions: tuple[str, ...] = (".csv", ".csv.gz", ".gz", ".txt")
    #: largest accepted file, bytes (the full Online Retail history is 23 MB gzipped,
    #: 45 MB as CSV)
    max_bytes: int = 512 * 2**20
    file = forms.FileField(help_text="CSV file (.csv or .csv.gz)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(self.extensions):
            raise forms.ValidationError(
                f"{upload.name}: expected a file ending in {', '.join(self.extensions)}"
            )
        if not upload.size:
            raise forms.ValidationError(f"{upload.name} is empty")
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                f"{upload.name} is {upload.size / 2**20:,.0f} MB; at most "
                f"{self.max_bytes / 2**20:,.0f} MB (import larger files with the "
                "command line)"
            )
        return upload

    def task_kwargs(self) -> dict:
        kwargs = super().task_kwargs()
        kwargs.pop("file", None)
        kwargs["path"] = store_upload(self.cleaned_data["file"])
        return kwargs


def store_upload(upload) -> str:
    """Save an uploaded file under ``uploads/`` of the default storage; its path."""
    from django.core.files.storage import default_storage

    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", upload.name)[-80:] or "upload"
    name = default_storage.save(f"uploads/{uuid.uuid4().hex[:12]}-{safe}", upload)
    return default_storage.path(name)


@dataclass(frozen=True)
class Job:
    """A task a person may start from the admin.

    Parameters
    ----------
    name : str, URL slug (``"shop-import-orders"``).
    task : str, the tracked Celery task (``"shop.import_orders"``).
    title, description : str, what it does, in the user's words.
    audience : str, a key of :data:`AUDIENCES` (groups the jobs page).
    form : JobForm subclass, the parameters (None: no parameters).
    permission : str, ``app_label.codename`` needed to see and start it.
    results : callable(TaskRun) -> [(label, url)], links shown when it has run.
    """

    name: str
    task: str
    title: str
    description: str
    audience: str = "operations"
    form: type[JobForm] | None = None
    permission: str = ""
    results: Callable[[TaskRun], list[tuple[str, str]]] | None = field(
        default=None, compare=False
    )

    def allowed(self, user) -> bool:
        """Whether ``user`` may start it (and its task exists in this code base)."""
        from .launch import is_tracked

        return (
            bool(user.is_active and user.is_staff)
            and (not self.permission or user.has_perm(self.permission))
            and is_tracked(self.task)
        )

    def result_links(self, run: TaskRun) -> list[tuple[str, str]]:
        if self.results is None or run.status != TaskRun.Status.SUCCEEDED:
            return []
        try:
            return list(self.results(run))
        except Exception:  # a link is a convenience; never break the page
            return []


@dataclass(frozen=True)
class Link:
    """A page (not a task) shown beside the jobs of its audience, e.g. a preview."""

    name: str
    title: str
    url: Callable[[], str]
    audience: str = "operations"
    permission: str = ""

    def allowed(self, user) -> bool:
        return bool(user.is_active and user.is_staff) and (
            not self.permission or user.has_perm(self.permission)
        )


_links: dict[str, Link] = {}


def register_link(link: Link) -> Link:
    """Show ``link`` among the jobs of its audience (home page and jobs page)."""
    if link.audience not in AUDIENCES:
        raise ValueError(f"link {link.name}: audience must be one of {list(AUDIENCES)}")
    _links[link.name] = link
    return link


def links_for(user) -> list[Link]:
    jobs_discover()
    return [link for link in _links.values() if link.allowed(user)]


def register(job: Job) -> Job:
    """Add ``job`` to the admin's jobs page (a later registration replaces it)."""
    if job.audience not in AUDIENCES:
        raise ValueError(f"job {job.name}: audience must be one of {list(AUDIENCES)}")
    _jobs[job.name] = job
    return job


def jobs_discover() -> None:
    """Import every app's ``jobs`` module (called when the admin loads)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("jobs")


def job_get(name: str) -> Job | None:
    jobs_discover()
    return _jobs.get(name)


def jobs_for(user) -> list[Job]:
    """The jobs ``user`` may start, by audience then title."""
    jobs_discover()
    order = list(AUDIENCES)
    return sorted(
        (job for job in _jobs.values() if job.allowed(user)),
        key=lambda j: (order.index(j.audience), j.title),
    )


def job_for_task(task_name: str) -> Job | None:
    """The job that starts ``task_name`` (for the run's title and result links)."""
    jobs_discover()
    return next((j for j in _jobs.values() if j.task == task_name), None)


def task_label(task_name: str) -> str:
    """A task for people: its job's title (``"Upload stock counts"``), else its name
    in words with its app (``"shop.categorise_products"`` -> ``"Categorise products
    (shop)"``), never the dotted Celery name alone."""
    job = job_for_task(task_name)
    if job is not None:
        return job.title
    app, _, name = task_name.rpartition(".")
    words = name.replace("_", " ").strip().capitalize() or task_name
    return f"{words} ({app})" if app else words
