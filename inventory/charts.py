"""Inventory charts (drawn by :mod:`core.charts`): a product's demand and its stock."""

from __future__ import annotations

from datetime import date

from django.utils.safestring import SafeString, mark_safe

from core.charts import Chart, bar_chart


def projected_stock(available: float, means: list[float]) -> list[float]:
    """Units on hand after each forecast day: ``available`` less the mean demand."""
    level, out = float(available), []
    for mean in means:
        level = max(level - float(mean), 0.0)
        out.append(level)
    return out


def forecast_chart_svg(
    *,
    history: list[tuple[date, float]],
    forecast: list[dict],
    available: float,
    reorder_point: float,
    width: int = 760,
) -> SafeString:
    """Two panels on one time axis: demand (history, forecast mean, 80/95 % bands)
    in units/day above; projected stock and the reorder point in units below.

    ``forecast`` rows: ``day``, ``mean``, ``lo_80``, ``hi_80``, ``lo_95``, ``hi_95``
    (units/day).
    """
    chart = Chart(title="Demand and stock", x_label="day", width=width)
    demand = chart.panel(y_label="units / day", y_format="auto", y_min=0)
    days = [r["day"] for r in forecast]
    if forecast:
        demand.band(
            days,
            [r["lo_95"] for r in forecast],
            [r["hi_95"] for r in forecast],
            label="95 % interval",
            color="sky",
            opacity=0.3,
        )
        demand.band(
            days,
            [r["lo_80"] for r in forecast],
            [r["hi_80"] for r in forecast],
            label="80 % interval",
            color="sky",
            opacity=0.55,
        )
    if history:
        demand.line(
            [d for d, _ in history],
            [v for _, v in history],
            label="demand history",
            color="grey",
            width=1.2,
        )
    if forecast:
        demand.line(days, [r["mean"] for r in forecast], label="forecast mean")
        stock = chart.panel(y_label="units on hand", y_format="auto", y_min=0)
        stock.line(
            days,
            projected_stock(available, [r["mean"] for r in forecast]),
            label=f"projected stock (from {available:,.0f} available)",
            color="green",
            step=True,
        )
        stock.hline(
            reorder_point,
            label=f"reorder point {reorder_point:,.0f}",
            color="red",
        )
    return chart.svg()


def simulation_charts(summary: dict) -> SafeString:
    """Two bar charts of a simulation run: ours beside the min/max rule, for the
    average stock value (GBP) and for the fill rate and cycle service level."""

    base = summary.get("baseline") or {}
    if not summary.get("products") or not base:
        return bar_chart([], title="Ours beside the min/max rule")
    money_rows = [  # GBP thousands: the axis then needs no 1e6 offset
        ("ours", summary["average_stock_value"] / 1000),
        ("min/max rule", base["average_stock_value"] / 1000),
    ]
    share_rows = [
        ("fill rate, ours", summary["fill_rate_overall"]),
        ("fill rate, rule", base["fill_rate_overall"]),
        ("cycle service level, ours", summary["cycle_service_level_mean"]),
        ("cycle service level, rule", base["cycle_service_level_mean"]),
    ]
    stock = bar_chart(
        money_rows,
        title="Average stock value",
        x_label="GBP thousand, at unit cost",
        value_format="£{:,.0f}k",
        colors=["blue", "orange"],
    )
    service = bar_chart(
        share_rows,
        title=f"Service (target {summary['target_service_level']:.0%})",
        x_label="share",
        value_format="{:.1%}",
        colors=["blue", "orange", "blue", "orange"],
        x_max=1.0,
    )
    return mark_safe(f"{stock}{service}")  # both escaped SVG from core.charts
