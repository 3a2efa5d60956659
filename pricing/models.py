"""Models of the pricing app: rules, competitor prices, elasticities and suggestions.

Prices are ``Decimal`` GBP. List prices themselves live on ``shop.Product`` and change
only through ``shop.services.catalog.product_set_price`` (which records the history);
this app only proposes them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel

PRICE = {"max_digits": 12, "decimal_places": 2}


class PricingRule(TimeStampedModel):
    """Constraints for suggestions, shop-wide, per category or per product.

    Empty fields inherit: product rule -> category rule -> shop-wide rule ->
    ``pricing.conf.DEFAULTS``. Shares are fractions (0.10 = 10 %).
    """

    class Scope(models.TextChoices):
        SHOP = "shop", "shop-wide"
        CATEGORY = "category"
        PRODUCT = "product"

    class Objective(models.TextChoices):
        AUTO = "auto", "profit when a cost is known, else revenue"
        PROFIT = "profit"
        REVENUE = "revenue"

    scope = models.CharField(max_length=10, choices=Scope.choices, db_index=True)
    category = models.CharField(
        max_length=120, blank=True, help_text="derived category name (category scope)"
    )
    product = models.ForeignKey(
        "shop.Product",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pricing_rules",
    )
    objective = models.CharField(
        max_length=8, choices=Objective.choices, default=Objective.AUTO
    )
    min_margin = models.FloatField(null=True, blank=True, help_text="(p - c) / p")
    max_change = models.FloatField(null=True, blank=True, help_text="+/- per step")
    extrapolation = models.FloatField(
        null=True, blank=True, help_text="share beyond the observed price range"
    )
    endings = models.JSONField(
        null=True, blank=True, help_text="price endings, e.g. [0.49, 0.99]"
    )
    competitor_below = models.FloatField(null=True, blank=True)
    competitor_above = models.FloatField(null=True, blank=True)
    assumed_margin = models.FloatField(
        null=True, blank=True, help_text="margin assumed when the product has no cost"
    )
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["scope", "category", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(scope="product", is_active=True),
                name="pricing_rule_one_active_per_product",
            ),
            models.UniqueConstraint(
                fields=["category"],
                condition=Q(scope="category", is_active=True),
                name="pricing_rule_one_active_per_category",
            ),
            models.UniqueConstraint(
                fields=["scope"],
                condition=Q(scope="shop", is_active=True),
                name="pricing_rule_one_active_shop_wide",
            ),
        ]

    def __str__(self) -> str:
        target = {"product": self.product, "category": self.category}.get(
            self.scope, "shop"
        )
        return f"{self.get_scope_display()} rule: {target}"

    def clean(self) -> None:
        if self.scope == self.Scope.PRODUCT and not self.product_id:
            raise ValidationError({"product": "a product rule needs a product"})
        if self.scope == self.Scope.CATEGORY and not self.category:
            raise ValidationError({"category": "a category rule needs a category"})
        for name in (
            "min_margin",
            "max_change",
            "extrapolation",
            "competitor_below",
            "competitor_above",
            "assumed_margin",
        ):
            value = getattr(self, name)
            if value is not None and not 0 <= value < 1:
                raise ValidationError({name: "must be a fraction in [0, 1)"})


class CompetitorPrice(TimeStampedModel):
    """A competitor's observed price for one of our products (GBP)."""

    product = models.ForeignKey(
        "shop.Product", on_delete=models.CASCADE, related_name="competitor_prices"
    )
    competitor = models.CharField(max_length=120)
    price = models.DecimalField(**PRICE)
    observed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-observed_at"]

    def __str__(self) -> str:
        return f"{self.competitor}: {self.price} GBP for {self.product}"


class ElasticityEstimate(TimeStampedModel):
    """One product's price elasticity from one estimation run (an artifact version)."""

    class Status(models.TextChoices):
        IDENTIFIED = "identified"
        POOLED = "pooled", "pooled toward its category"
        NO_SALES = "no_sales"
        ZERO_PRICE = "zero_price"
        ZERO_DEMAND = "zero_demand"
        TOO_FEW_POINTS = "too_few_points"
        NO_PRICE_CHANGE = "no_price_change"
        COLLINEAR = "collinear"
        FIT_FAILED = "fit_failed"
        PRIOR = "prior", "category prior (price never moved)"

    product = models.ForeignKey(
        "shop.Product", on_delete=models.CASCADE, related_name="elasticity_estimates"
    )
    artifact = models.ForeignKey(
        "core.ModelArtifact", null=True, blank=True, on_delete=models.SET_NULL
    )
    is_current = models.BooleanField(default=True, db_index=True)
    category = models.CharField(max_length=120, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, db_index=True)
    message = models.CharField(max_length=500, blank=True)
    elasticity = models.FloatField(null=True, blank=True)
    se = models.FloatField(null=True, blank=True)
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    raw_elasticity = models.FloatField(null=True, blank=True)
    raw_se = models.FloatField(null=True, blank=True)
    pooled = models.BooleanField(default=False)
    quality = models.CharField(max_length=8, default="none", db_index=True)
    n_weeks = models.PositiveIntegerField(default=0)
    n_prices = models.PositiveIntegerField(default=0)
    n_lines = models.PositiveIntegerField(default=0)
    n_free_lines = models.PositiveIntegerField(
        default=0, help_text="sold lines at a price <= 0 GBP, left out of the fit"
    )
    reference_channel = models.CharField(max_length=12, blank=True)
    anchor_price = models.FloatField(null=True, blank=True, help_text="GBP")
    anchor_units = models.FloatField(null=True, blank=True, help_text="units/week")
    min_price = models.FloatField(null=True, blank=True)
    max_price = models.FloatField(null=True, blank=True)
    last_price = models.FloatField(null=True, blank=True)
    points = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "product_id"]
        indexes = [models.Index(fields=["product", "is_current"])]

    def __str__(self) -> str:
        value = "-" if self.elasticity is None else f"{self.elasticity:.2f}"
        return f"elasticity {value} ({self.status}) of {self.product_id}"

    @property
    def model_version(self) -> str:
        return self.artifact.label if self.artifact_id else ""


class PriceSuggestion(TimeStampedModel):
    """A proposed list price, applied only after a person approves it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed"
        APPROVED = "approved"
        EDITED = "edited", "approved at an edited price"
        REJECTED = "rejected"
        SCHEDULED = "scheduled", "approved, takes effect on its date"
        APPLIED = "applied"
        SUPERSEDED = "superseded", "superseded by a newer suggestion"
        ROLLED_BACK = "rolled_back", "rolled back"

    class Kind(models.TextChoices):
        OPTIMISE = "optimise", "profit/revenue optimisation"
        MARKDOWN = "markdown", "overstock markdown"

    OPEN = (Status.PROPOSED,)

    product = models.ForeignKey(
        "shop.Product", on_delete=models.CASCADE, related_name="price_suggestions"
    )
    estimate = models.ForeignKey(
        ElasticityEstimate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )
    kind = models.CharField(
        max_length=10, choices=Kind.choices, default=Kind.OPTIMISE, db_index=True
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PROPOSED, db_index=True
    )
    current_price = models.DecimalField(**PRICE)
    suggested_price = models.DecimalField(**PRICE)
    edited_price = models.DecimalField(
        **PRICE, null=True, blank=True, help_text="a reviewer's price (edit)"
    )
    currency = models.CharField(max_length=3, default="GBP")
    objective = models.CharField(max_length=8, default="profit")
    unit_cost = models.DecimalField(**PRICE, null=True, blank=True)
    cost_source = models.CharField(max_length=120, blank=True)
    elasticity = models.FloatField(null=True, blank=True)
    elasticity_low = models.FloatField(null=True, blank=True)
    elasticity_high = models.FloatField(null=True, blank=True)
    units_now = models.FloatField(default=0, help_text="expected units/week now")
    units_change = models.FloatField(default=0, help_text="units/week")
    units_change_low = models.FloatField(default=0)
    units_change_high = models.FloatField(default=0)
    revenue_change = models.FloatField(default=0, help_text="GBP/week")
    revenue_change_low = models.FloatField(default=0)
    revenue_change_high = models.FloatField(default=0)
    profit_change = models.FloatField(null=True, blank=True, help_text="GBP/week")
    profit_change_low = models.FloatField(null=True, blank=True)
    profit_change_high = models.FloatField(null=True, blank=True)
    binding_constraint = models.CharField(max_length=255, blank=True)
    inelastic = models.BooleanField(default=False)
    uncertain = models.BooleanField(
        default=False,
        db_index=True,
        help_text="the expected profit (revenue) interval crosses 0: left out of "
        "bulk approval unless asked",
    )
    rule_conflict = models.CharField(
        max_length=500,
        blank=True,
        help_text="the pricing rules that leave no feasible price (fix them first)",
    )
    days_of_cover = models.FloatField(
        null=True, blank=True, help_text="markdowns: days the stock lasts (days)"
    )
    rationale = models.TextField(blank=True)
    decision = models.JSONField(default=dict, blank=True, help_text="solver details")
    model_version = models.CharField(max_length=80, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=255, blank=True)
    effective_from = models.DateTimeField(
        null=True, blank=True, help_text="when the approved price takes effect"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    price_change = models.ForeignKey(
        "shop.PriceChange",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rollback_change = models.ForeignKey(
        "shop.PriceChange",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="the price change that restored the previous price",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "kind"],
                condition=Q(status="proposed"),
                name="pricing_one_open_suggestion_per_product_kind",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.product.stock_code}: {self.current_price} -> "
            f"{self.suggested_price} GBP ({self.status})"
        )

    @property
    def objective_interval(self) -> tuple[float | None, float | None, float | None]:
        """(low, expected, high) weekly change of the objective, GBP/week: profit
        when a unit cost is known, else revenue."""
        if self.profit_change is not None:
            return self.profit_change_low, self.profit_change, self.profit_change_high
        return self.revenue_change_low, self.revenue_change, self.revenue_change_high

    @property
    def final_price(self):
        return (
            self.edited_price
            if self.edited_price is not None
            else (self.suggested_price)
        )


class PriceReadout(TimeStampedModel):
    """'Did it work': an applied price change measured after N weeks against its
    forecast (see ``pricing.algorithms.readout``). Per week: units, GBP."""

    suggestion = models.OneToOneField(
        PriceSuggestion, on_delete=models.CASCADE, related_name="readout"
    )
    weeks = models.PositiveIntegerField()
    changed_at = models.DateTimeField()
    objective = models.CharField(max_length=8)
    market_ratio = models.FloatField(help_text="other products' units after / before")
    units_baseline = models.FloatField(help_text="units/week the old price would sell")
    units_after = models.FloatField(help_text="units/week sold")
    units_forecast = models.FloatField(help_text="units/week forecast")
    units_forecast_low = models.FloatField()
    units_forecast_high = models.FloatField()
    revenue_baseline = models.FloatField(help_text="GBP/week")
    revenue_after = models.FloatField(help_text="GBP/week")
    profit_baseline = models.FloatField(null=True, blank=True, help_text="GBP/week")
    profit_after = models.FloatField(null=True, blank=True, help_text="GBP/week")
    expected_change = models.FloatField(help_text="objective, GBP/week")
    expected_change_low = models.FloatField()
    expected_change_high = models.FloatField()
    realised_change = models.FloatField(help_text="objective, GBP/week")
    noise_band = models.FloatField(
        default=0.0, help_text="+/- GBP/week of ordinary weekly variation"
    )
    hit = models.BooleanField(
        help_text="realised change within the expected interval +/- the noise band"
    )
    direction_right = models.BooleanField(help_text="same sign as expected")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"readout of suggestion {self.suggestion_id} after {self.weeks} weeks"
