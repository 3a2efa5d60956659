"""Admin of the inventory app: policies, forecasts with charts, products at risk,
reorder suggestions (approve/reject) and purchase orders (approve/receive).
Actions call services; domain errors are shown as messages."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.utils.html import format_html

from core.exceptions import DomainError

from . import selectors, services
from .charts import forecast_chart_svg
from .models import (
    Forecast,
    ForecastRun,
    InventoryPolicy,
    ModelChoice,
    ProductAtRisk,
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderSuggestion,
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
    ordering = ("days_of_cover",)

    def get_queryset(self, request):
        ids = selectors.products_at_risk().values("pk")
        return super().get_queryset(request).filter(pk__in=ids)


@admin.register(ModelChoice)
class ModelChoiceAdmin(admin.ModelAdmin):
    list_display = ("product", "model_name", "demand_class", "selected_at")
    list_filter = ("demand_class",)
    search_fields = ("product__stock_code",)
    raw_id_fields = ("product",)


def _run(modeladmin, request, func, ok: str):
    try:
        result = func()
    except DomainError as exc:
        modeladmin.message_user(request, exc.message, level=messages.ERROR)
        return None
    modeladmin.message_user(request, ok.format(result=result), level=messages.SUCCESS)
    return result


@admin.register(ReorderSuggestion)
class ReorderSuggestionAdmin(admin.ModelAdmin):
    list_display = (
        "product",
        "quantity",
        "order_by",
        "expected_arrival",
        "status",
        "decided_by",
        "decided_at",
        "purchase_order",
    )
    list_filter = ("status", "order_by")
    search_fields = ("product__stock_code", "product__description")
    raw_id_fields = ("product", "forecast", "purchase_order")
    readonly_fields = ("decided_by", "decided_at", "purchase_order", "status")
    actions = ("approve", "reject")

    @admin.action(description="Approve into a purchase order")
    def approve(self, request, queryset):
        _run(
            self,
            request,
            lambda: services.suggestions_approve(suggestions=queryset, by=request.user),
            "purchase order {result.number} created (draft)",
        )

    @admin.action(description="Reject")
    def reject(self, request, queryset):
        _run(
            self,
            request,
            lambda: services.suggestions_reject(suggestions=queryset, by=request.user),
            "{result} suggestion(s) rejected",
        )


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0
    raw_id_fields = ("product",)
    readonly_fields = ("received_quantity",)


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status",
        "expected_at",
        "approved_by",
        "approved_at",
        "received_by",
        "received_at",
        "lines_",
    )
    list_filter = ("status",)
    inlines = [PurchaseOrderLineInline]
    readonly_fields = (
        "status",
        "created_by",
        "approved_by",
        "approved_at",
        "received_by",
        "received_at",
    )
    actions = ("approve", "receive")

    @admin.display(description="lines")
    def lines_(self, obj):
        return format_html("{}", obj.lines.count())

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.number = obj.number or services.purchasing._po_number()
        super().save_model(request, obj, form, change)

    @admin.action(description="Approve")
    def approve(self, request, queryset):
        for po in queryset:
            _run(
                self,
                request,
                lambda po=po: services.purchase_order_approve(
                    purchase_order=po, by=request.user
                ),
                "{result.number} approved",
            )

    @admin.action(description="Receive in full (raises stock)")
    def receive(self, request, queryset):
        for po in queryset:
            _run(
                self,
                request,
                lambda po=po: services.purchase_order_receive(
                    purchase_order=po, by=request.user
                ),
                "{result.number} received; stock raised",
            )
