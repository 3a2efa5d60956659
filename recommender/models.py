"""Models of the recommender app (the trained models themselves are
``core.ModelArtifact`` rows; these are what serving and evaluation add)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import ModelArtifact, TaskRun, TimeStampedModel


class EvaluationRun(TimeStampedModel):
    """One run of ``evaluate_recommenders``: every algorithm on one temporal split."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    cutoff = models.DateTimeField(help_text="train before, test from this instant")
    k = models.PositiveSmallIntegerField(default=10)
    split = models.JSONField(
        default=dict, blank=True, help_text="users, items, test sizes, data fingerprint"
    )
    summary = models.TextField(blank=True)
    task_run = models.ForeignKey(
        TaskRun, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"evaluation #{self.pk} @ {self.cutoff:%Y-%m-%d} ({self.status})"


class EvaluationResult(models.Model):
    """Metrics of one algorithm on one variant ("all" or "new") of an evaluation run.

    ``metrics`` keys use the field's names at ``run.k``: ``ndcg@10``, ``recall@10``,
    ``precision@10``, ``map@10``, ``hit_rate@10``, ``coverage``, ``revenue@10``
    (share of held-out spend, GBP, captured in the top k).
    """

    run = models.ForeignKey(
        EvaluationRun, on_delete=models.CASCADE, related_name="results"
    )
    algorithm = models.CharField(max_length=80, db_index=True)
    variant = models.CharField(max_length=8, default="all")
    metrics = models.JSONField(default=dict)
    fit_seconds = models.FloatField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run_id", "variant", "algorithm"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "algorithm", "variant"], name="evalresult_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.algorithm} on {self.variant} customers (run {self.run_id})"


class PinnedRule(TimeStampedModel):
    """A merchandiser's rule: show ``product`` at ``position`` while it is valid.

    Applies to customers of ``country`` (blank: every country) and, for product
    pages and baskets, to products of ``category`` (blank: any). Pinned products
    still pass the business filters (inactive, out of stock, already bought); the
    pin keeps its own strategy ("pinned") and reason, the answer's strategy stays
    the model's. ``clean()`` refuses a product that is not sellable shop
    merchandise (field ``product``: a MovieLens film, postage, unpriced) and a
    demo data set's genre (field ``category``).
    """

    class Surface(models.TextChoices):
        ALL = "all"
        CUSTOMER = "customer"
        SIMILAR = "similar"
        BASKET = "basket"

    product = models.ForeignKey(
        "shop.Product", on_delete=models.CASCADE, related_name="pinned_rules"
    )
    surface = models.CharField(
        max_length=10, choices=Surface.choices, default=Surface.ALL
    )
    position = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="1 = first; a position past the end of the answer puts it last",
    )
    country = models.CharField(max_length=64, blank=True)
    category = models.ForeignKey(
        "shop.Category", null=True, blank=True, on_delete=models.CASCADE
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True, help_text="shown as the reason")

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True)
                | Q(starts_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="pinnedrule_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"pin {self.product} at {self.position}"

    def clean(self) -> None:
        from shop.models import Category, Product

        errors = {}
        if self.product_id is not None:
            if not Product.objects.sellable().filter(pk=self.product_id).exists():
                product = Product.objects.filter(pk=self.product_id).first()
                errors["product"] = (
                    f"{product} is not shop merchandise for sale (demo rating data, "
                    "a service code, inactive, or without a price or description): "
                    "only sellable products can be pinned"
                )
        if self.category_id is not None:
            if not Category.objects.of_shop().filter(pk=self.category_id).exists():
                errors["category"] = (
                    "a genre of a demo rating data set is not a shop category"
                )
        if errors:
            raise ValidationError(errors)

    def is_valid_at(self, when=None) -> bool:
        when = when or timezone.now()
        return (
            self.is_active
            and (self.starts_at is None or self.starts_at <= when)
            and (self.ends_at is None or when < self.ends_at)
        )


class ProductNeighbours(TimeStampedModel):
    """Neighbours of a product computed outside a full training run (cold start).

    Written by the ``recommender.cold_start_product`` task when a product is
    created: its content vector (float32 bytes, no pickle) and its nearest
    products by description, so it is recommendable before the next retraining.
    """

    product = models.OneToOneField(
        "shop.Product", on_delete=models.CASCADE, related_name="rec_neighbours"
    )
    method = models.CharField(max_length=32, default="content")
    neighbour_ids = models.JSONField(default=list, help_text="product pks, best first")
    scores = models.JSONField(default=list)
    vector = models.BinaryField(blank=True, default=b"")
    model_version = models.CharField(max_length=80, blank=True)

    class Meta:
        verbose_name = "product neighbours"
        verbose_name_plural = "product neighbours"

    def __str__(self) -> str:
        return f"neighbours of {self.product_id} ({self.method})"


class PrecomputedRecommendation(TimeStampedModel):
    """A customer's top list on one surface, computed in batch and served by the API.

    One row per (customer, surface) for the serving models in ``serving_key`` (the
    active artifacts' labels and what else the list depends on): the API serves it
    while that key is still current and the customer has no order (``created_at``)
    or purchase event (``occurred_at``, shop clock) after ``computed_at`` /
    ``history_at``; otherwise it scores online (``recommender.services.precompute``).
    ``items`` are (product_id, score, reason, strategy) before pins and the business
    filters, which are applied when served. Personal data derived from the customer:
    dropped when the customer is erased.
    """

    customer = models.ForeignKey(
        "shop.Customer", on_delete=models.CASCADE, related_name="precomputed_recs"
    )
    surface = models.CharField(max_length=32, default="for_you")
    items = models.JSONField(default=list)
    strategy = models.CharField(max_length=40)
    explanation = models.CharField(max_length=200, blank=True)
    model_version = models.CharField(max_length=80, blank=True)
    serving_key = models.CharField(
        max_length=255, blank=True, help_text="models and settings it was computed for"
    )
    computed_at = models.DateTimeField(
        null=True, help_text="wall clock when the history was read"
    )
    history_at = models.DateTimeField(
        null=True,
        help_text="shop clock (shop.clock.shop_now) when the history was read",
    )
    no_purchases = models.BooleanField(
        default=False,
        help_text="computed without purchases (from views or ratings): a new view or "
        "add-to-cart makes it stale too",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "surface"], name="precomputed_customer_surface"
            )
        ]

    def __str__(self) -> str:
        return f"{self.surface} of customer {self.customer_id}"


class RecommenderModelManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind__startswith="recommender.")


class RecommenderModel(ModelArtifact):
    """The trained recommenders in the registry (a proxy of ``core.ModelArtifact``)."""

    objects = RecommenderModelManager()

    class Meta:
        proxy = True
        verbose_name = "trained recommender"
        ordering = ["kind", "-version"]
