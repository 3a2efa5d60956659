"""Pricing charts (drawn by :mod:`core.charts`).

* demand chart: the fitted constant-elasticity demand curve with the band of its 95 %
  confidence interval, over the observed weekly (list price, units) points, current and
  suggested prices marked;
* objective chart: expected weekly profit (or revenue) against price;
* histogram of elasticities (the estimates list).
"""

from __future__ import annotations

import numpy as np
from django.utils.safestring import SafeString

from core.charts import Chart

from .algorithms.optimizer import demand

PRICE = "£{:,.2f}"


def _grid(est, current: float | None, suggested: float | None) -> np.ndarray:
    prices = [p for p, _ in est.points] + [
        v for v in (current, suggested, est.min_price, est.max_price) if v
    ]
    lo, hi = min(prices), max(prices)
    return np.linspace(lo * 0.85, hi * 1.15, 80)


def _mark(panel, current: float | None, suggested: float | None) -> None:
    if current:
        panel.vline(current, label=f"current £{current:,.2f}", color="red")
    if suggested:
        panel.vline(suggested, label=f"suggested £{suggested:,.2f}", color="green")


def _curves(est, grid: np.ndarray, margin: np.ndarray) -> list[np.ndarray]:
    kw = {"anchor_price": est.anchor_price, "anchor_units": est.anchor_units}
    return [
        margin * demand(grid, elasticity=e, **kw)
        for e in (est.elasticity, est.ci_low, est.ci_high)
    ]


def demand_chart(
    est, *, current: float | None = None, suggested: float | None = None
) -> SafeString | str:
    """The fitted demand curve over the observed points ('' without an estimate)."""
    if est.elasticity is None or not est.anchor_price or not est.points:
        return ""
    grid = _grid(est, current, suggested)
    fitted, low, high = _curves(est, grid, np.ones_like(grid))
    chart = Chart(
        title=f"Demand: elasticity {est.elasticity:.2f} ({est.status})",
        x_label="list price (GBP)",
        x_format=PRICE,
        width=480,
    )
    panel = chart.panel(y_label="units / week (season-adjusted)", y_min=0)
    panel.band(
        grid,
        np.minimum(low, high),
        np.maximum(low, high),
        label="95 % interval",
        color="sky",
    )
    panel.scatter(
        [p[0] for p in est.points],
        [p[1] for p in est.points],
        label="observed weeks",
        color="grey",
        size=10,
    )
    panel.line(grid, fitted, label="fitted demand", color="blue")
    _mark(panel, current, suggested)
    return chart.svg()


def objective_chart(
    est,
    *,
    cost: float | None,
    current: float | None = None,
    suggested: float | None = None,
) -> SafeString | str:
    """Expected weekly profit (revenue when ``cost`` is None) against price."""
    if est.elasticity is None or not est.anchor_price:
        return ""
    grid = _grid(est, current, suggested)
    fitted, low, high = _curves(est, grid, grid - (cost or 0.0))
    name = "profit" if cost is not None else "revenue"
    chart = Chart(
        title=f"Expected weekly {name} vs price",
        x_label="list price (GBP)",
        x_format=PRICE,
        width=480,
    )
    panel = chart.panel(y_label=f"{name}, GBP / week", y_format="£{:,.0f}")
    panel.band(
        grid,
        np.minimum(low, high),
        np.maximum(low, high),
        label="95 % interval",
        color="sky",
    )
    panel.line(grid, fitted, label=f"expected {name}", color="blue")
    _mark(panel, current, suggested)
    return chart.svg()


def histogram_chart(values, *, title: str, x_label: str, bins: int = 30) -> str:
    """Histogram of ``values`` (e.g. the current elasticities), 1st-99th percentile,
    with the median marked; '' when there is none."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], float)
    if v.size == 0:
        return ""
    lo, hi = np.quantile(v, [0.01, 0.99])
    chart = Chart(title=title, x_label=x_label, width=480)
    panel = chart.panel(y_label="products", y_format="{:,.0f}")
    panel.histogram(np.clip(v, lo, hi), bins=bins, label=f"{v.size:,} products")
    median = float(np.median(v))
    panel.vline(median, label=f"median {median:.2f}", color="red")
    return chart.svg()
