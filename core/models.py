"""Shared models: timestamps, the trained-model registry, and task runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TaskRun(TimeStampedModel):
    """One execution of a background task (Celery or its management-command twin)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        RETRIED = "retried"
        SKIPPED = "skipped"

    task_name = models.CharField(max_length=120, db_index=True)
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    arguments = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.FloatField(default=0.0, help_text="0..1")
    progress_message = models.CharField(max_length=255, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    traceback = models.TextField(blank=True)
    worker = models.CharField(max_length=255, blank=True, help_text="Celery node")
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(
        null=True, blank=True, help_text="process that executes the run"
    )
    retries = models.PositiveIntegerField(
        default=0, help_text="earlier attempts of the same task id"
    )
    schedule = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="periodic task name"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="who started it from the admin (empty: a schedule or a command)",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["task_name", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.label} #{self.pk} ({self.status})"

    @property
    def label(self) -> str:
        """The task for people (its job's title; :func:`core.jobs.task_label`)."""
        from .jobs import task_label

        return task_label(self.task_name)

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class Lock(models.Model):
    """A named lease used by :mod:`core.locks` when no Redis is configured."""

    name = models.CharField(max_length=200, unique=True)
    owner = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"lock {self.name} held by {self.owner}"


class ModelArtifact(TimeStampedModel):
    """A trained model: one row per training run, one *active* row per kind.

    ``kind`` names the purpose (``recommender.purchases``, ``recommender.ratings``,
    ``chatbot.intents``, ``inventory.forecast`` ...); ``algorithm`` the estimator.
    The file under ``ARTIFACTS_ROOT`` is immutable and loads without unpickling
    (``.npz`` with ``allow_pickle=False`` or ``.safetensors``).
    """

    class Status(models.TextChoices):
        CANDIDATE = "candidate"
        ACTIVE = "active"
        RETIRED = "retired"
        REJECTED = "rejected"
        FAILED = "failed"

    kind = models.CharField(max_length=80, db_index=True)
    algorithm = models.CharField(max_length=80)
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.CANDIDATE, db_index=True
    )
    params = models.JSONField(default=dict, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    data_fingerprint = models.CharField(max_length=64, blank=True, db_index=True)
    data_window = models.JSONField(default=dict, blank=True)
    library_versions = models.JSONField(default=dict, blank=True)
    file = models.CharField(max_length=255, blank=True, help_text="relative path")
    sha256 = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    task_run = models.ForeignKey(
        TaskRun, null=True, blank=True, on_delete=models.SET_NULL
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "version"], name="artifact_kind_version_unique"
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status="active"),
                name="artifact_one_active_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version} ({self.algorithm}, {self.status})"

    @property
    def label(self) -> str:
        """Short id served with every prediction: ``<kind>:v<version>``."""
        return f"{self.kind}:v{self.version}"
