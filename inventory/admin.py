"""Admin of the inventory app: policies, forecasts with charts and products at risk
(ranked by expected lost sales, GBP). The replenishment queue, vendors and purchase
orders are in :mod:`inventory.admin_purchasing`."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from core.adminkit import ReadOnlyAdminMixin, kv_table
from core.formatting import MISSING, day, moment, money, number, units

from . import (
    admin_purchasing,  # noqa: F401  (replenishment, vendors, orders)
    selectors,
)
from .charts import forecast_chart_svg, simulation_charts
from .models import (
    Forecast,
    ForecastRun,
    InventoryPolicy,
    ModelChoice,
    ProductAtRisk,
    SimulationRun,
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
class ForecastRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "status", "mode", "as_of", "n_products", "started_at")
    list_filter = ("status", "mode")
    readonly_fields = [f.name for f in ForecastRun._meta.fields]


class _ForecastBase(ReadOnlyAdminMixin, admin.ModelAdmin):
    # the decision columns first (cover, stock against the reorder point, what a
    # stock-out costs); the model's name last and cut to one line (full in its tooltip)
    list_display = (
        "product",
        "cover",
        "stock",
        "reorder_point_",
        "lost_sales",
        "risk",
        "demand",
        "demand_class",
        "model_name",
    )
    list_select_related = ("product",)
    list_filter = ("demand_class", "stock_is_assumed")
    search_fields = ("product__stock_code", "product__description")
    readonly_fields = ("chart", "reason", "backtest")
    exclude = ("run",)

    @admin.display(description="demand", ordering="mean_daily")
    def demand(self, obj):
        return units(obj.mean_daily, "units/day")

    @admin.display(description="available", ordering="available")
    def stock(self, obj):
        if obj.available is None:
            return MISSING
        if obj.stock_is_assumed:
            return format_html(
                '{} <small title="no stock count: assumed from recent demand">'
                "(assumed)</small>",
                number(obj.available),
            )
        return number(obj.available)

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
        description="lost sales over lead time", ordering="expected_lost_sales"
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
        "cover",
        "stock",
        "reorder_point_",
        "lead_time",
        "risk",
        "demand",
    )

    @admin.display(description="lead time", ordering="lead_time_days")
    def lead_time(self, obj):
        return units(obj.lead_time_days, "days", places=0)

    def get_queryset(self, request):
        ids = selectors.products_at_risk().values("pk")
        return super().get_queryset(request).filter(pk__in=ids)


@admin.register(ModelChoice)
class ModelChoiceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("product", "model_name", "demand_class", "selected_at")
    list_filter = ("demand_class",)
    search_fields = ("product__stock_code",)
    raw_id_fields = ("product",)


def _pct(value) -> str:
    return MISSING if value is None else f"{value:.1%}"


@admin.register(SimulationRun)
class SimulationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Replays of the real demand: our policy beside the hand-made min/max rule
    (``manage.py simulate_inventory``); the targets of issue 18.5 checked."""

    list_display = (
        "id",
        "created",
        "window",
        "n_products",
        "csl",
        "fill",
        "stock_value",
        "verdict",
    )
    fields = (
        "created",
        "window",
        "n_products",
        "comparison",
        "charts",
        "params_",
        "worst",
    )
    readonly_fields = fields

    @admin.display(description="run at", ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    @admin.display(description="window", ordering="window_end")
    def window(self, obj):
        return f"{day(obj.window_start)} – {day(obj.window_end)}"

    @admin.display(description="cycle service level: ours / rule (target)")
    def csl(self, obj):
        s = obj.summary
        b = s.get("baseline", {})
        return (
            f"{_pct(s.get('cycle_service_level_mean'))} / "
            f"{_pct(b.get('cycle_service_level_mean'))} "
            f"({_pct(s.get('target_service_level'))})"
        )

    @admin.display(description="fill rate: ours / rule")
    def fill(self, obj):
        s = obj.summary
        b = s.get("baseline", {})
        return (
            f"{_pct(s.get('fill_rate_overall'))} / {_pct(b.get('fill_rate_overall'))}"
        )

    @admin.display(description="avg stock value: ours / rule")
    def stock_value(self, obj):
        s = obj.summary
        b = s.get("baseline", {})
        ratio = s.get("comparison", {}).get("stock_value_ratio")
        text = (
            f"{money(s.get('average_stock_value'), places=0)} / "
            f"{money(b.get('average_stock_value'), places=0)}"
        )
        return f"{text} ({ratio:.2f}x)" if ratio is not None else text

    @admin.display(description="targets met")
    def verdict(self, obj):
        c = obj.summary.get("comparison", {})
        checks = (
            ("CSL ±2 pts", c.get("csl_within_2_points")),
            ("fill ≥ rule", c.get("fill_rate_at_least_baseline")),
            ("stock ≤ 0.75x", c.get("stock_value_at_most_075")),
        )
        return format_html_join(
            " ",
            "<span title='{}'>{} {}</span>",
            ((name, "✔" if ok else "✘", name) for name, ok in checks),
        )

    @admin.display(description="ours beside the min/max rule")
    def comparison(self, obj):
        s = obj.summary
        b = s.get("baseline", {})
        rows = [
            ("cycle service level", _pct, "cycle_service_level_mean"),
            ("fill rate (all units)", _pct, "fill_rate_overall"),
            ("fill rate (mean of products)", _pct, "fill_rate_mean"),
            (
                "average stock value (GBP, at unit cost)",
                lambda v: money(v, places=0),
                "average_stock_value",
            ),
            (
                "stock-out days per product",
                lambda v: number(v, places=2),
                "stockout_days_mean",
            ),
            ("products never out of stock", number, "products_without_stockout"),
            ("units lost (demand not served)", number, "lost_units"),
            (
                "products losing 80 % of those units",
                number,
                "products_with_80pct_of_lost",
            ),
            ("purchase orders placed", number, "orders"),
        ]
        body = format_html_join(
            "",
            "<tr><th>{}</th><td style='text-align:right'>{}</td>"
            "<td style='text-align:right'>{}</td></tr>",
            ((label, fmt(s.get(key)), fmt(b.get(key))) for label, fmt, key in rows),
        )
        return format_html(
            "<table><thead><tr><th></th><th>ours</th><th>min/max rule</th></tr>"
            "</thead><tbody>{}</tbody></table><p>target cycle service level {}</p>",
            body,
            _pct(s.get("target_service_level")),
        )

    @admin.display(description="charts")
    def charts(self, obj):
        return simulation_charts(obj.summary)

    @admin.display(description="parameters")
    def params_(self, obj):
        return kv_table(obj.params)

    @admin.display(description="lowest fill rates (ours)")
    def worst(self, obj):
        rows = sorted(obj.products, key=lambda r: r["fill_rate"])[:15]
        body = format_html_join(
            "",
            "<tr><td>{}</td><td style='text-align:right'>{}</td>"
            "<td style='text-align:right'>{}</td><td style='text-align:right'>{}</td>"
            "<td style='text-align:right'>{}</td></tr>",
            (
                (
                    r["stock_code"],
                    _pct(r["fill_rate"]),
                    _pct(r["baseline"]["fill_rate"]),
                    money(r.get("average_stock_value"), places=2),
                    money(r["baseline"].get("average_stock_value"), places=2),
                )
                for r in rows
            ),
        )
        return format_html(
            "<table><thead><tr><th>stock code</th><th>fill ours</th><th>fill rule</th>"
            "<th>avg stock value ours</th><th>rule</th></tr></thead><tbody>{}</tbody>"
            "</table>",
            body,
        )
