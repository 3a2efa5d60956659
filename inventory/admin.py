"""Admin of the inventory app: policies, forecasts with charts and products at risk
(ranked by expected lost sales, GBP). The replenishment queue, vendors and purchase
orders are in :mod:`inventory.admin_purchasing`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin

from core.formatting import money

from . import (
    admin_purchasing,  # noqa: F401  (replenishment, vendors, orders)
    selectors,
)
from .charts import forecast_chart_svg
from .models import (
    Forecast,
    ForecastRun,
    InventoryPolicy,
    ModelChoice,
    ProductAtRisk,
)


@admin.register(InventoryPolicy)
class InventoryPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "scope",
        "category",
        "product",
        "lead_time_days",
        "review_period_days",
        "service_level",
        "min_order_qty",
        "pack_size",
        "max_days_of_cover",
    )
    list_filter = ("scope",)
    raw_id_fields = ("product",)


@admin.register(ForecastRun)
class ForecastRunAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "mode", "as_of", "n_products", "started_at")
    list_filter = ("status", "mode")
    readonly_fields = [f.name for f in ForecastRun._meta.fields]


class _ForecastBase(admin.ModelAdmin):
    list_display = (
        "product",
        "demand_class",
        "model_name",
        "mean_daily",
        "available",
        "assumed",
        "reorder_point_",
        "cover",
        "risk",
        "lost_sales",
    )
    list_select_related = ("product",)
    list_filter = ("demand_class", "stock_is_assumed")
    search_fields = ("product__stock_code", "product__description")
    readonly_fields = ("chart", "reason", "backtest")
    exclude = ("run",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(boolean=True, description="stock assumed")
    def assumed(self, obj):
        return obj.stock_is_assumed

    @admin.display(description="reorder point", ordering="reorder_point")
    def reorder_point_(self, obj):
        return f"{obj.reorder_point:,.0f}"

    @admin.display(description="days of cover", ordering="days_of_cover")
    def cover(self, obj):
        return "-" if obj.days_of_cover is None else f"{obj.days_of_cover:,.1f}"

    @admin.display(description="stock-out risk", ordering="stockout_risk")
    def risk(self, obj):
        return f"{obj.stockout_risk:.0%}"

    @admin.display(
        description="expected lost sales over lead time", ordering="expected_lost_sales"
    )
    def lost_sales(self, obj):
        return money(obj.expected_lost_sales, "GBP")

    @admin.display(description="history, forecast (80/95 %), stock, reorder point")
    def chart(self, obj):
        start = obj.run.as_of - timedelta(days=120)
        hist = selectors.demand_daily(
            product_ids=[obj.product_id], start=start, end=obj.run.as_of
        )
        history = [(d.date(), float(v)) for d, v in hist[obj.product_id].items()]
        points = list(
            obj.points.values("day", "mean", "lo_80", "hi_80", "lo_95", "hi_95")
        )
        return forecast_chart_svg(
            history=history,
            forecast=points,
            available=obj.available,
            reorder_point=obj.reorder_point,
        )


@admin.register(Forecast)
class ForecastAdmin(_ForecastBase):
    list_filter = ("run", "demand_class", "stock_is_assumed")


@admin.register(ProductAtRisk)
class ProductAtRiskAdmin(_ForecastBase):
    """At or below the reorder point, ranked by expected lost sales value over the
    lead time (unserved lead-time demand x list price, GBP), largest first."""

    ordering = ("-expected_lost_sales", "days_of_cover")
    list_display = (
        "product",
        "lost_sales",
        "mean_daily",
        "available",
        "assumed",
        "reorder_point_",
        "cover",
        "risk",
        "lead_time_days",
    )

    def get_queryset(self, request):
        ids = selectors.products_at_risk().values("pk")
        return super().get_queryset(request).filter(pk__in=ids)


@admin.register(ModelChoice)
class ModelChoiceAdmin(admin.ModelAdmin):
    list_display = ("product", "model_name", "demand_class", "selected_at")
    list_filter = ("demand_class",)
    search_fields = ("product__stock_code",)
    raw_id_fields = ("product",)
