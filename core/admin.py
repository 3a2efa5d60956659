from django.contrib import admin

from .models import ModelArtifact, TaskRun


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    list_display = ("id", "task_name", "status", "started_at", "finished_at",
                    "duration_seconds", "progress")
    list_filter = ("status", "task_name")
    search_fields = ("task_name", "task_id", "error")
    readonly_fields = [f.name for f in TaskRun._meta.fields]


@admin.register(ModelArtifact)
class ModelArtifactAdmin(admin.ModelAdmin):
    list_display = ("kind", "version", "algorithm", "status", "created_at",
                    "activated_at", "sha256")
    list_filter = ("kind", "status", "algorithm")
    search_fields = ("kind", "algorithm", "sha256")
    readonly_fields = [f.name for f in ModelArtifact._meta.fields]
