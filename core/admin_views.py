"""Admin views of the suite's site: the home dashboard's context and the jobs pages.

Views validate, call one service (:func:`core.launch.task_launch`) and render.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .dashboard import data_sources, model_rows, queue_cards
from .exceptions import DomainError
from .jobs import AUDIENCES, job_get, jobs_for, links_for
from .launch import scheduling_mode, task_launch
from .models import TaskRun


def recent_runs(user, *, limit: int = 8) -> list[dict]:
    """The newest task runs with their job's title (for the home and jobs pages)."""
    if not user.has_perm("core.view_taskrun"):
        return []
    rows = []
    for run in TaskRun.objects.select_related("requested_by")[:limit]:
        rows.append({"run": run, "title": run.label})
    return rows


def _grouped_jobs(user) -> list[tuple[str, list]]:
    """``[(audience, [{"title", "url", "description", "is_job"}])]`` in order."""
    groups: dict[str, list] = {label: [] for label in AUDIENCES.values()}
    for job in jobs_for(user):
        groups[AUDIENCES[job.audience]].append(
            {
                "title": job.title,
                "description": job.description,
                "url": reverse("admin:job", args=[job.name]),
                "is_job": True,
            }
        )
    for link in links_for(user):
        groups[AUDIENCES[link.audience]].append(
            {"title": link.title, "description": "", "url": link.url(), "is_job": False}
        )
    return [(label, items) for label, items in groups.items() if items]


def dashboard_context(request) -> dict:
    """Everything the home page shows, for ``request.user``."""
    sources, today = data_sources(request.user)
    cards = queue_cards(request.user)
    return {
        "mode": scheduling_mode(),
        "queue_cards": cards,
        "waiting_total": sum(c["count"] or 0 for c in cards),
        "model_rows": model_rows(request.user, data_today=today),
        "data_rows": sources,
        "data_today": today,
        "job_groups": _grouped_jobs(request.user),
        "recent_runs": recent_runs(request.user),
        "failed_runs_url": reverse("admin:core_taskrun_changelist")
        + "?status__exact=failed",
    }


def jobs_view(request):
    """``/admin/jobs/``: every job this user may start, by audience."""
    context = {
        **admin.site.each_context(request),
        "title": "Start a job",
        "mode": scheduling_mode(),
        "job_groups": _grouped_jobs(request.user),
        "recent_runs": recent_runs(request.user, limit=15),
    }
    return TemplateResponse(request, "admin/core/jobs.html", context)


def job_view(request, name: str):
    """``/admin/jobs/<name>/``: the job's form; POST enqueues it and shows progress."""
    job = job_get(name)
    if job is None:
        raise Http404(f"no job named {name!r}")
    if not job.allowed(request.user):
        raise PermissionDenied
    form_class = job.form
    form = None
    if request.method == "POST":
        form = form_class(request.POST, request.FILES) if form_class else None
        if form is None or form.is_valid():
            try:
                run = task_launch(
                    name=job.task,
                    kwargs=form.task_kwargs() if form else {},
                    by=request.user,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"{job.title}: queued as run #{run.pk}.")
                url = reverse("admin:core_taskrun_change", args=[run.pk])
                return HttpResponseRedirect(url)
    elif form_class:
        form = form_class()
    context = {
        **admin.site.each_context(request),
        "title": job.title,
        "job": job,
        "form": form,
        "mode": scheduling_mode(),
        "is_multipart": bool(form and form.is_multipart()),
        "recent_runs": [
            {"run": run, "title": job.title}
            for run in TaskRun.objects.filter(task_name=job.task)[:10]
        ],
    }
    return TemplateResponse(request, "admin/core/job_form.html", context)
