"""A/B experiments on recommendation surfaces: experiments, variants, impressions,
the shipped serving configuration of each surface, and the audit trail."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from core.models import TimeStampedModel


def new_salt() -> str:
    return secrets.token_hex(8)


class Experiment(TimeStampedModel):
    """An A/B test of recommendation serving configurations on one or more surfaces."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        RUNNING = "running"
        STOPPED = "stopped"
        SHIPPED = "shipped"

    class Metric(models.TextChoices):
        REVENUE_PER_ASSIGNED = (
            "revenue_per_assigned",
            "revenue per assigned customer (intent-to-treat)",
        )

    class Guardrail(models.TextChoices):
        CONVERSION = "conversion", "conversion"
        AOV = "aov", "average order value"
        LATENCY = "latency_p95", "latency p95"

    name = models.CharField(max_length=120, unique=True)
    hypothesis = models.TextField(
        help_text="what the treatment should change, and why (one or two sentences)"
    )
    surfaces = models.JSONField(
        default=list, help_text="recommendation surfaces under test"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    salt = models.CharField(
        max_length=32,
        default=new_salt,
        editable=False,
        help_text="hashed with the customer id (or session key) to assign variants",
    )
    planned_start = models.DateTimeField(
        null=True, blank=True, help_text="when it is meant to start (empty: on start)"
    )
    planned_stop = models.DateTimeField(
        null=True, blank=True, help_text="when it is meant to stop (empty: open)"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    primary_metric = models.CharField(
        max_length=32, choices=Metric.choices, default=Metric.REVENUE_PER_ASSIGNED
    )
    guardrails = models.JSONField(
        default=list, blank=True, help_text="conversion, aov, latency_p95"
    )
    attribution_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="days after an impression in which a purchase of a recommended "
        "product counts as revenue from recommendations",
    )
    pre_period_days = models.PositiveSmallIntegerField(
        default=90, help_text="days before the start whose spend is CUPED's covariate"
    )
    shipped_variant = models.ForeignKey(
        "Variant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Variant(models.Model):
    """One arm of an experiment: a share of traffic and a serving configuration.

    ``serving_config`` keys (all optional): ``holdout`` (true: no recommendations),
    ``strategy`` (``model``: the active model's fallback chain, or ``bestsellers``),
    ``k`` (at most this many items).
    """

    experiment = models.ForeignKey(
        Experiment, on_delete=models.CASCADE, related_name="variants"
    )
    name = models.SlugField(max_length=40)
    share = models.DecimalField(
        max_digits=5, decimal_places=4, help_text="share of traffic, 0..1"
    )
    is_control = models.BooleanField(default=False)
    serving_config = models.JSONField(default=dict, blank=True)
    description = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["experiment_id", "-is_control", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "name"], name="variant_name_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.share:.0%})"


class Impression(models.Model):
    """One recommendation response: who saw which products, in which variant."""

    recommendation_id = models.CharField(max_length=32, unique=True)
    surface = models.CharField(max_length=32, db_index=True)
    experiment = models.ForeignKey(
        Experiment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="impressions",
    )
    variant = models.ForeignKey(
        Variant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="impressions",
    )
    unit = models.CharField(
        max_length=80, blank=True, help_text="c:<customer pk> or s:<session key>"
    )
    customer = models.ForeignKey(
        "shop.Customer",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    session_key = models.CharField(max_length=64, blank=True)
    served_at = models.DateTimeField(db_index=True)
    product_ids = models.JSONField(default=list, blank=True)
    strategy = models.CharField(max_length=32, blank=True)
    model_version = models.CharField(max_length=64, blank=True)
    latency_ms = models.FloatField(
        default=0.0, help_text="time to compute the recommendations, ms"
    )

    class Meta:
        ordering = ["-served_at", "-id"]
        indexes = [models.Index(fields=["experiment", "variant", "unit"])]

    def __str__(self) -> str:
        return f"{self.surface} {self.recommendation_id[:8]}"


class SurfaceConfig(models.Model):
    """The serving configuration of a surface outside experiments (set by shipping)."""

    surface = models.CharField(max_length=32, unique=True)
    serving_config = models.JSONField(default=dict, blank=True)
    shipped_from = models.ForeignKey(
        Variant, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"serving configuration of {self.surface}"


class ExperimentAudit(models.Model):
    """Who started, stopped or shipped an experiment, and what it changed."""

    experiment = models.ForeignKey(
        Experiment, on_delete=models.PROTECT, related_name="audit"
    )
    action = models.CharField(max_length=16)
    at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.experiment}"
