"""Each app's charts are drawn by core.charts: separate panels, units, no clipping."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

from chatbot.charts import score_bars
from inventory.charts import forecast_chart_svg, projected_stock
from pricing.charts import demand_chart, histogram_chart, objective_chart


def _axes_labels(svg: str) -> list[str]:
    return re.findall(r'<g id="[^"]*axes_\d+"', svg)


def test_forecast_chart_puts_demand_and_stock_on_separate_panels():
    start = date(2011, 11, 1)
    history = [(start + timedelta(days=i), float(i % 5)) for i in range(30)]
    forecast = [
        {
            "day": start + timedelta(days=30 + i),
            "mean": 4.0,
            "lo_80": 2.0,
            "hi_80": 6.0,
            "lo_95": 1.0,
            "hi_95": 9.0,
        }
        for i in range(14)
    ]
    svg = forecast_chart_svg(
        history=history, forecast=forecast, available=60, reorder_point=20
    )
    assert len(_axes_labels(svg)) == 2
    assert "units / day" in svg and "units on hand" in svg
    for legend in ("95 % interval", "80 % interval", "forecast mean", "demand history"):
        assert legend in svg
    assert "reorder point 20" in svg and "from 60 available" in svg


def test_projected_stock_never_goes_below_zero():
    assert projected_stock(10, [4, 4, 4, 4]) == [6.0, 2.0, 0.0, 0.0]


def _estimate(**extra):
    base = {
        "elasticity": -1.8,
        "ci_low": -2.6,
        "ci_high": -1.0,
        "anchor_price": 2.5,
        "anchor_units": 40.0,
        "min_price": 2.1,
        "max_price": 2.95,
        "status": "identified",
        "points": [[2.1, 55.0], [2.5, 41.0], [2.95, 30.0]],
    }
    return SimpleNamespace(**{**base, **extra})


def test_pricing_charts_mark_prices_in_gbp_and_keep_the_band():
    est = _estimate()
    svg = demand_chart(est, current=2.5, suggested=2.75)
    assert "current £2.50" in svg and "suggested £2.75" in svg
    assert "95 % interval" in svg and "observed weeks" in svg
    profit = objective_chart(est, cost=1.2, current=2.5, suggested=2.75)
    assert "Expected weekly profit vs price" in profit and "GBP / week" in profit
    assert demand_chart(_estimate(elasticity=None)) == ""


def test_elasticity_histogram_marks_the_median():
    svg = histogram_chart([-1.0, -2.0, -3.0, None], title="Elasticities", x_label="e")
    assert "median -2.00" in svg and "3 products" in svg
    assert histogram_chart([], title="none", x_label="e") == ""


def test_chatbot_scores_are_coloured_bars_with_two_decimals():
    svg = score_bars([("refund", 0.62), ("track_order", 0.97)], title="F1 per intent")
    assert "0.62" in svg and "0.97" in svg and "track_order" in svg
    assert score_bars([], title="F1") == "-"
