"""Admin of operations: task runs (each run's page is its progress page), trained
models, locks, and the periodic-task schedules (last run, last error, Run now)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django_celery_beat.admin import PeriodicTaskAdmin as BasePeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from .adminkit import ReadOnlyAdminMixin, column, flatten, kv_table
from .charts import Chart
from .exceptions import DomainError, NotFound
from .formatting import age, duration, moment
from .jobs import job_for_task, task_label
from .launch import is_eager, is_tracked, local_executor, scheduling_mode, task_launch
from .models import Lock, ModelArtifact, TaskRun
from .scheduling import schedule_run_now


class TaskFilter(admin.SimpleListFilter):
    """Runs of one task, named for people (:func:`core.jobs.task_label`)."""

    title = "task"
    parameter_name = "task_name"

    def lookups(self, request, model_admin):
        names = TaskRun.objects.order_by().values_list("task_name", flat=True)
        return sorted(
            ((name, task_label(name)) for name in set(names)), key=lambda r: r[1]
        )

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(task_name=value) if value else queryset


@admin.register(TaskRun)
class TaskRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Task runs: a queue of failures (filter by status) and, per run, its progress."""

    list_display = (
        "run",
        "job",
        "status_badge",
        "progress_bar",
        "started",
        column("duration_seconds", duration, "duration", ordering="finished_at"),
        "origin",
        "short_error",
    )
    list_display_links = ("run", "job")
    list_filter = ("status", TaskFilter, "schedule", "started_at")
    search_fields = ("task_name", "task_id", "error", "schedule")
    date_hierarchy = "started_at"
    list_select_related = ("requested_by",)
    change_form_template = "admin/core/taskrun/change_form.html"
    fields = ("task_name", "task_id", "worker", "host", "pid", "retries")
    readonly_fields = fields

    @admin.display(description="run", ordering="id")
    def run(self, obj: TaskRun):
        return f"#{obj.pk}"

    @admin.display(description="job", ordering="task_name")
    def job(self, obj: TaskRun):
        return obj.label

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: TaskRun):
        from .templatetags.suite import status_badge

        return status_badge(obj.status)

    @admin.display(description="progress", ordering="progress")
    def progress_bar(self, obj: TaskRun):
        pct = round(100 * (obj.progress or 0))
        return format_html(
            '<span style="white-space:nowrap"><progress max="100" value="{}" '
            'style="width:60px"></progress> {} %</span>',
            pct,
            pct,
        )

    @admin.display(description="started", ordering="started_at")
    def started(self, obj: TaskRun):
        return format_html(
            '<span title="{}">{}</span>',
            moment(obj.started_at or obj.created_at),
            age(obj.started_at or obj.created_at),
        )

    @admin.display(description="started by")
    def origin(self, obj: TaskRun):
        if obj.requested_by_id:
            return str(obj.requested_by)
        return f"schedule: {obj.schedule}" if obj.schedule else "command or worker"

    @admin.display(description="error")
    def short_error(self, obj: TaskRun):
        return (obj.error or "")[:120]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is not None:
            runs = cl.queryset.filter(
                finished_at__isnull=False, started_at__isnull=False
            )
            response.context_data["run_chart"] = run_duration_chart(list(runs[:60]))
            response.context_data["mode"] = scheduling_mode()
        return response

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            job = job_for_task(obj.task_name)
            waiting = obj.status == TaskRun.Status.PENDING and not is_eager()
            context.update(
                {
                    "run": obj,
                    "job": job,
                    "mode": scheduling_mode(),
                    "results": job.result_links(obj) if job else [],
                    "arguments": flatten(obj.arguments or {}),
                    "metrics": flatten(obj.metrics or {}),
                    "live": obj.status
                    in (TaskRun.Status.PENDING, TaskRun.Status.RUNNING),
                    "waiting_for_worker": waiting,
                }
            )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


def run_duration_chart(runs: list[TaskRun]):
    """Duration (s) of finished ``runs`` against their start, one colour per status."""
    chart = Chart(title="Duration of the finished runs in this list", x_label="started")
    panel = chart.panel(y_label="duration (s)", y_format="{:,.0f}", y_min=0, height=140)
    colors = {"succeeded": "green", "failed": "red", "retried": "orange"}
    for status in ("succeeded", "failed", "retried", "skipped"):
        group = [r for r in runs if r.status == status]
        if group:
            panel.scatter(
                [r.started_at for r in group],
                [r.duration_seconds for r in group],
                label=f"{status} ({len(group)})",
                color=colors.get(status, "grey"),
                size=22,
            )
    return None if chart.is_empty else chart.svg()


@admin.register(ModelArtifact)
class ModelArtifactAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every trained model; one active per kind. Recommenders are activated from
    Recommender › Recommender models; other kinds by their training task."""

    list_display = (
        "label",
        "algorithm",
        "status",
        "created",
        "activated",
        "size",
    )
    list_filter = ("kind", "status", "algorithm")
    search_fields = ("kind", "algorithm", "sha256")
    fields = (
        "kind",
        "version",
        "algorithm",
        "status",
        "metrics_table",
        "params_table",
        "window_table",
        "file",
        "sha256",
        "size",
        "library",
        "task_run",
        "created_at",
        "activated_at",
        "notes",
    )
    readonly_fields = fields

    @admin.display(description="model", ordering="kind")
    def label(self, obj):
        return obj.label

    @admin.display(description="trained", ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    @admin.display(description="activated", ordering="activated_at")
    def activated(self, obj):
        return moment(obj.activated_at)

    @admin.display(description="file size", ordering="size_bytes")
    def size(self, obj):
        return f"{obj.size_bytes / 1e6:,.1f} MB"

    @admin.display(description="metrics")
    def metrics_table(self, obj):
        return kv_table(obj.metrics)

    @admin.display(description="parameters")
    def params_table(self, obj):
        return kv_table(obj.params)

    @admin.display(description="data window")
    def window_table(self, obj):
        return kv_table(obj.data_window)

    @admin.display(description="library versions")
    def library(self, obj):
        return ", ".join(f"{k} {v}" for k, v in (obj.library_versions or {}).items())


@admin.register(Lock)
class LockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "owner", "acquired_at", "expires_at")


def _last_run(field: str):
    runs = TaskRun.objects.filter(task_name=OuterRef("task")).order_by("-created_at")
    return Subquery(runs.values(field)[:1])


def _last_failure(field: str):
    runs = TaskRun.objects.filter(
        task_name=OuterRef("task"), status=TaskRun.Status.FAILED
    ).order_by("-created_at")
    return Subquery(runs.values(field)[:1])


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BasePeriodicTaskAdmin):
    """django-celery-beat's admin plus last run, last error and a Run-now button;
    in eager mode the list says that schedules do not run."""

    list_display = (
        "name",
        "run_now_button",
        "enabled",
        "last_status",
        "last_error",
        "scheduler",
        "task",
    )
    change_list_template = "admin/core/periodictask/change_list.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _last_status=_last_run("status"),
                _last_at=_last_run("created_at"),
                _last_error=_last_failure("error"),
                _last_error_at=_last_failure("created_at"),
            )
        )

    @admin.display(description="last run")
    def last_status(self, obj):
        from .templatetags.suite import status_badge

        if not obj._last_status:
            return "never"
        return format_html("{} {}", status_badge(obj._last_status), age(obj._last_at))

    @admin.display(description="last error")
    def last_error(self, obj):
        if not obj._last_error:
            return "-"
        return format_html(
            "{}<br><small>{}</small>",
            obj._last_error[:160],
            moment(obj._last_error_at),
        )

    @admin.display(description="")
    def run_now_button(self, obj):
        url = reverse("admin:core_periodictask_run_now", args=[obj.pk])
        return format_html(
            '<a class="button" style="white-space:nowrap" href="{}">Run now</a>', url
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "mode": scheduling_mode()}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/run-now/",
                self.admin_site.admin_view(self.run_now_view),
                name="core_periodictask_run_now",
            )
        ]
        return extra + super().get_urls()

    def _run_now(self, request, task: PeriodicTask):
        """Send the schedule's task now (never inside this request); where to go."""
        from config.celery import app

        changelist = reverse("admin:django_celery_beat_periodictask_changelist")
        app.loader.import_default_modules()
        if task.task not in app.tasks:
            raise NotFound(f"task {task.task!r} is not registered", field="task")
        if is_tracked(task.task):
            run = task_launch(
                name=task.task,
                kwargs=json.loads(task.kwargs or "{}"),
                by=request.user,
                schedule=task.name,
            )
            self.message_user(request, f"{task.task} queued as run #{run.pk}.")
            return reverse("admin:core_taskrun_change", args=[run.pk])
        if is_eager():
            local_executor().submit(schedule_run_now, periodic_task=task)
            self.message_user(request, f"{task.task} started in the background.")
        else:
            task_id = schedule_run_now(periodic_task=task)
            self.message_user(request, f"{task.task} sent (task id {task_id}).")
        return changelist

    def run_now_view(self, request, pk: int):
        task = get_object_or_404(PeriodicTask, pk=pk)
        if not self.has_change_permission(request, task):
            return HttpResponseRedirect(reverse("admin:index"))
        changelist = reverse("admin:django_celery_beat_periodictask_changelist")
        if request.method == "POST":
            try:
                return HttpResponseRedirect(self._run_now(request, task))
            except DomainError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
            except Exception as exc:  # broker down: say so
                self.message_user(
                    request, f"Could not run {task.task}: {exc}", level=messages.ERROR
                )
            return HttpResponseRedirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Run {task.name} now?",
            "periodic_task": task,
            "arguments": json.dumps(
                {
                    "args": json.loads(task.args or "[]"),
                    "kwargs": json.loads(task.kwargs or "{}"),
                }
            ),
            "opts": self.model._meta,
            "changelist_url": changelist,
        }
        return TemplateResponse(request, "admin/core/run_now_confirm.html", context)
