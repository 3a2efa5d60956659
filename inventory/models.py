"""Models of the inventory app: policies, forecasts, reorder suggestions, purchases.

Stock levels themselves live in ``shop.StockLevel`` and change only through
``shop.services.stock``; this app records why (forecasts, suggestions, purchase orders).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.models import TimeStampedModel


class InventoryPolicy(TimeStampedModel):
    """Policy parameters for the whole shop, a category or one product.

    Empty fields inherit: product -> category -> shop -> ``inventory.conf`` defaults.
    """

    class Scope(models.TextChoices):
        SHOP = "shop"
        CATEGORY = "category"
        PRODUCT = "product"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    category = models.OneToOneField(
        "shop.Category", null=True, blank=True, on_delete=models.CASCADE
    )
    product = models.OneToOneField(
        "shop.Product",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="inventory_policy",
    )
    lead_time_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="calendar days from order to receipt"
    )
    review_period_days = models.PositiveIntegerField(null=True, blank=True)
    service_level = models.FloatField(
        null=True, blank=True, help_text="cycle service level, e.g. 0.95"
    )
    holding_cost_rate = models.FloatField(
        null=True, blank=True, help_text="per year, fraction of unit cost"
    )
    ordering_cost = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, help_text="GBP/order"
    )
    min_order_qty = models.PositiveIntegerField(null=True, blank=True)
    pack_size = models.PositiveIntegerField(null=True, blank=True)
    max_days_of_cover = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="calendar days of mean demand an order may lift the stock to",
    )

    class Meta:
        verbose_name_plural = "inventory policies"
        constraints = [
            models.UniqueConstraint(
                fields=["scope"],
                condition=Q(scope="shop"),
                name="inventory_one_shop_policy",
            ),
            models.CheckConstraint(
                condition=Q(service_level__isnull=True)
                | Q(service_level__gt=0, service_level__lt=1),
                name="inventory_policy_service_level_range",
            ),
            models.CheckConstraint(
                condition=Q(pack_size__isnull=True) | Q(pack_size__gte=1),
                name="inventory_policy_pack_size_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_days_of_cover__isnull=True)
                | Q(max_days_of_cover__gte=1),
                name="inventory_policy_max_cover_positive",
            ),
        ]

    def __str__(self) -> str:
        target = self.product or self.category or "shop"
        return f"{self.scope} policy: {target}"


class ForecastRun(TimeStampedModel):
    """One forecast of the catalogue (nightly or on demand), possibly in chunks."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class Mode(models.TextChoices):
        SELECT = "select", "backtest and select models"
        REFIT = "refit", "refit the chosen models"

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.RUNNING, db_index=True
    )
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.REFIT)
    as_of = models.DateField(help_text="last day of history used")
    horizon_days = models.PositiveIntegerField()
    data_fingerprint = models.CharField(max_length=64, db_index=True)
    n_products = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_run = models.ForeignKey(
        "core.TaskRun", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"forecast run #{self.pk} as of {self.as_of} ({self.status})"


class Forecast(TimeStampedModel):
    """A product's forecast in one run, the model that made it and why, and the
    policy numbers derived from it (units; money in GBP)."""

    run = models.ForeignKey(
        ForecastRun, on_delete=models.CASCADE, related_name="forecasts"
    )
    product = models.ForeignKey(
        "shop.Product", on_delete=models.CASCADE, related_name="forecasts"
    )
    model_name = models.CharField(max_length=200)
    reason = models.TextField()
    demand_class = models.CharField(max_length=16, db_index=True)
    adi = models.FloatField(null=True, blank=True)
    cv2 = models.FloatField(null=True, blank=True)
    mean_daily = models.FloatField(help_text="units per calendar day over the horizon")
    sigma_daily = models.FloatField(help_text="backtest error std, units/trading day")
    lead_time_sigma = models.FloatField(
        null=True, blank=True, help_text="std of the lead-time demand error, units"
    )
    backtest = models.JSONField(default=dict, blank=True)
    lead_time_days = models.PositiveIntegerField()
    service_level = models.FloatField(
        help_text="cycle service level the policy numbers were set at (this "
        "product's, allocated when INVENTORY['SERVICE_LEVEL_RANGE'] is set)"
    )
    policy_service_level = models.FloatField(
        null=True, blank=True, help_text="the policy's target (the pool's mean)"
    )
    safety_stock = models.FloatField()
    reorder_point = models.FloatField()
    order_up_to = models.FloatField()
    cycle_demand = models.FloatField(
        null=True,
        blank=True,
        help_text="units: forecast demand over lead time + review period",
    )
    cycle_safety_stock = models.FloatField(
        null=True,
        blank=True,
        help_text="units: safety stock over lead time + review period; "
        "order_up_to = cycle_demand + cycle_safety_stock (or the reorder point "
        "when that is higher)",
    )
    eoq = models.FloatField()
    available = models.IntegerField(help_text="on hand - reserved at run time")
    stock_is_assumed = models.BooleanField(
        default=False, help_text="no stock count: the level is assumed or missing"
    )
    days_of_cover = models.FloatField(null=True, blank=True, db_index=True)
    stockout_risk = models.FloatField(default=0.0)
    expected_lost_sales = models.FloatField(
        default=0.0,
        db_index=True,
        help_text="GBP: expected unserved lead-time demand x list price",
    )

    class Meta:
        ordering = ["-run_id", "product_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "product"], name="forecast_run_product_unique"
            )
        ]

    def __str__(self) -> str:
        return f"forecast of {self.product} (run #{self.run_id})"


class ForecastPoint(models.Model):
    """One calendar day of a forecast: mean and 80/95 % intervals (units)."""

    forecast = models.ForeignKey(
        Forecast, on_delete=models.CASCADE, related_name="points"
    )
    day = models.DateField()
    is_trading_day = models.BooleanField(default=True)
    mean = models.FloatField()
    lo_80 = models.FloatField()
    hi_80 = models.FloatField()
    lo_95 = models.FloatField()
    hi_95 = models.FloatField()

    class Meta:
        ordering = ["forecast_id", "day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.mean:,.1f} units"


class ModelChoice(TimeStampedModel):
    """The models the last backtest chose for a product (refit nightly)."""

    product = models.OneToOneField(
        "shop.Product", on_delete=models.CASCADE, related_name="forecast_model"
    )
    members = models.JSONField(help_text="candidate names averaged")
    model_name = models.CharField(max_length=200)
    reason = models.TextField()
    demand_class = models.CharField(max_length=16)
    backtest = models.JSONField(default=dict, blank=True)
    selected_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.model_name} for {self.product}"


class Vendor(TimeStampedModel):
    """A supplier: its usual lead time and the products it sells (``VendorProduct``).

    A vendor without a lead time gets the policy's lead time, and the suggestions
    that rely on it are flagged ("lead time: policy default").
    """

    name = models.CharField(max_length=120, unique=True)
    lead_time_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="calendar days from order to receipt"
    )
    email = models.EmailField(blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VendorProduct(TimeStampedModel):
    """What a vendor charges for a product and on which terms (Odoo's supplier info).

    ``unit_cost`` in GBP per unit; ``min_order_qty`` and ``pack_size`` in units;
    ``lead_time_days`` (optional) overrides the vendor's.
    """

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "shop.Product", on_delete=models.CASCADE, related_name="vendor_items"
    )
    vendor_code = models.CharField(max_length=64, blank=True)
    unit_cost = models.DecimalField(
        max_digits=12, decimal_places=4, help_text="GBP per unit"
    )
    min_order_qty = models.PositiveIntegerField(default=1, help_text="units")
    pack_size = models.PositiveIntegerField(default=1, help_text="units per pack")
    lead_time_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="calendar days; empty = the vendor's"
    )
    is_preferred = models.BooleanField(
        default=False, help_text="the vendor suggestions buy this product from"
    )

    class Meta:
        ordering = ["product_id", "-is_preferred", "unit_cost"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "product"], name="vendor_product_unique"
            ),
            models.CheckConstraint(
                condition=Q(pack_size__gte=1), name="vendor_product_pack_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="vendor_product_cost_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.stock_code} from {self.vendor}"


class PurchaseOrder(TimeStampedModel):
    """An order to the supplier; receiving it raises stock via shop.services.stock."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        APPROVED = "approved"
        RECEIVED = "received"
        CANCELLED = "cancelled"

    number = models.CharField(max_length=32, unique=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    vendor = models.ForeignKey(
        Vendor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase_orders",
    )
    supplier = models.CharField(max_length=120, blank=True)
    expected_at = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"PO {self.number} ({self.status})"

    @property
    def total(self):
        """Sum of the line values, GBP (lines without a unit cost count 0)."""
        from decimal import Decimal

        return sum(
            (line.line_value or Decimal("0") for line in self.lines.all()),
            Decimal("0"),
        )


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    product = models.ForeignKey(
        "shop.Product", on_delete=models.PROTECT, related_name="purchase_lines"
    )
    quantity = models.PositiveIntegerField()
    unit_cost = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="GBP per unit",
    )
    received_quantity = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["purchase_order_id", "id"]

    def __str__(self) -> str:
        return f"{self.quantity:,} x {self.product}"

    @property
    def line_value(self):
        """quantity x unit cost, GBP (None without a cost)."""
        if self.unit_cost is None:
            return None
        return self.quantity * self.unit_cost


class ReorderSuggestion(TimeStampedModel):
    """A suggested purchase: product, quantity (whole packs), order-by date, why."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        SUPERSEDED = "superseded"
        SNOOZED = "snoozed"

    product = models.ForeignKey(
        "shop.Product", on_delete=models.CASCADE, related_name="reorder_suggestions"
    )
    vendor = models.ForeignKey(
        Vendor, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit_cost = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True, help_text="GBP/unit"
    )
    cost_source = models.CharField(
        max_length=40, blank=True, help_text="vendor price, cost price, or assumed"
    )
    lead_time_days = models.PositiveIntegerField(null=True, blank=True)
    lead_time_source = models.CharField(max_length=60, blank=True)
    min_order_qty = models.PositiveIntegerField(null=True, blank=True)
    pack_size = models.PositiveIntegerField(null=True, blank=True)
    on_order = models.IntegerField(default=0, help_text="units on open orders")
    snoozed_until = models.DateField(null=True, blank=True)
    forecast = models.ForeignKey(
        Forecast, null=True, blank=True, on_delete=models.SET_NULL
    )
    quantity = models.PositiveIntegerField()
    order_by = models.DateField()
    expected_arrival = models.DateField()
    reason = models.TextField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    purchase_order = models.ForeignKey(
        PurchaseOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )

    class Meta:
        ordering = ["order_by", "-created_at"]

    def __str__(self) -> str:
        return f"reorder {self.quantity} x {self.product.stock_code} by {self.order_by}"

    @property
    def line_value(self):
        """quantity x unit cost, GBP (None without a cost)."""
        if self.unit_cost is None:
            return None
        return self.quantity * self.unit_cost


class ProductAtRisk(Forecast):
    """Admin view of the latest run's forecasts at or below the reorder point."""

    class Meta:
        proxy = True
        verbose_name = "product at risk"
        verbose_name_plural = "products at risk"


class SimulationRun(TimeStampedModel):
    """One replay of the real demand: our policy beside the hand-made min/max rule
    on the same products and window (``manage.py simulate_inventory``).

    ``summary``: ``{"ours": {...}, "baseline": {...}, "comparison": {...}}`` (fill
    rates and cycle service levels as shares, average stock value in GBP);
    ``products``: one row per product with both policies' results.
    """

    window_start = models.DateField()
    window_end = models.DateField()
    n_products = models.PositiveIntegerField()
    params = models.JSONField(default=dict)
    summary = models.JSONField(default=dict)
    products = models.JSONField(default=list)
    task_run = models.ForeignKey(
        "core.TaskRun", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return (
            f"simulation #{self.pk}: {self.n_products} products, "
            f"{self.window_start}..{self.window_end}"
        )
