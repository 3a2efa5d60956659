"""Admin: task runs (filterable), model artifacts, and the periodic-task schedules with
a "Run now" button and the last run/error of each schedule."""

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

from .charts import Chart
from .models import Lock, ModelArtifact, TaskRun
from .scheduling import schedule_run_now


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "task_name",
        "status",
        "schedule",
        "started_at",
        "finished_at",
        "duration",
        "progress_bar",
        "retries",
        "short_error",
    )
    list_filter = ("status", "task_name", "schedule", "started_at")
    search_fields = ("task_name", "task_id", "error", "schedule")
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in TaskRun._meta.fields] + ["duration"]

    @admin.display(description="duration (s)")
    def duration(self, obj: TaskRun):
        value = obj.duration_seconds
        return None if value is None else round(value, 1)

    @admin.display(description="progress")
    def progress_bar(self, obj: TaskRun):
        pct = round(100 * (obj.progress or 0))
        return format_html(
            '<progress max="100" value="{}" style="width:80px"></progress> {}%',
            pct,
            pct,
        )

    @admin.display(description="error")
    def short_error(self, obj: TaskRun):
        return (obj.error or "")[:120]

    def has_add_permission(self, request):
        return False

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is not None:
            runs = cl.queryset.filter(
                finished_at__isnull=False, started_at__isnull=False
            )
            response.context_data["run_chart"] = run_duration_chart(list(runs[:60]))
        return response


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
class ModelArtifactAdmin(admin.ModelAdmin):
    list_display = (
        "kind",
        "version",
        "algorithm",
        "status",
        "created_at",
        "activated_at",
        "sha256",
    )
    list_filter = ("kind", "status", "algorithm")
    search_fields = ("kind", "algorithm", "sha256")
    readonly_fields = [f.name for f in ModelArtifact._meta.fields]


@admin.register(Lock)
class LockAdmin(admin.ModelAdmin):
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
    """django-celery-beat's admin plus last run, last error and a Run-now button."""

    list_display = (
        "name",
        "enabled",
        "task",
        "scheduler",
        "last_run_at",
        "last_status",
        "last_error",
        "run_now_button",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _last_status=_last_run("status"),
                _last_error=_last_failure("error"),
                _last_error_at=_last_failure("created_at"),
            )
        )

    @admin.display(description="last run")
    def last_status(self, obj):
        return obj._last_status or "-"

    @admin.display(description="last error")
    def last_error(self, obj):
        if not obj._last_error:
            return "-"
        return format_html(
            "{}<br><small>{}</small>",
            obj._last_error[:160],
            obj._last_error_at.strftime("%Y-%m-%d %H:%M") if obj._last_error_at else "",
        )

    @admin.display(description="")
    def run_now_button(self, obj):
        url = reverse("admin:core_periodictask_run_now", args=[obj.pk])
        return format_html('<a class="button" href="{}">Run now</a>', url)

    def get_urls(self):
        extra = [
            path(
                "<int:pk>/run-now/",
                self.admin_site.admin_view(self.run_now_view),
                name="core_periodictask_run_now",
            )
        ]
        return extra + super().get_urls()

    def run_now_view(self, request, pk: int):
        task = get_object_or_404(PeriodicTask, pk=pk)
        if not self.has_change_permission(request, task):
            return HttpResponseRedirect(reverse("admin:index"))
        changelist = reverse("admin:django_celery_beat_periodictask_changelist")
        if request.method == "POST":
            try:
                task_id = schedule_run_now(periodic_task=task)
            except Exception as exc:  # unknown task, broker down: say so
                self.message_user(
                    request, f"Could not run {task.task}: {exc}", level=messages.ERROR
                )
            else:
                self.message_user(request, f"{task.task} sent (task id {task_id}).")
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
