"""The experiment's chart (drawn by :mod:`core.charts`): lift over time."""

from __future__ import annotations

import numpy as np
from django.utils.safestring import SafeString

from core.charts import COLORS, Chart

from .selectors import Comparison


def lift_chart(comparison: Comparison, days: list, *, window: int) -> SafeString:
    """Per day: the treatment-minus-control difference in revenue per assigned
    customer within ``window`` days of assignment (GBP, capped, CUPED-adjusted: the
    sequential test's estimate) with its sequential 95 % interval (the repeated
    confidence interval with a planned stop, the always-valid one without:
    :attr:`~experiments.selectors.Comparison.interval_name`); below, the
    assigned customers of each arm."""
    out = comparison.timeline
    x = list(days)
    diff = np.asarray(out.get("seq_difference", []), dtype=float)
    chart = Chart(
        title=f"{comparison.variant} minus control: cumulative lift",
        x_label="date",
        empty="No customer has completed the attribution window yet.",
    )
    if diff.size and np.isfinite(diff).any():
        low = np.where(np.isfinite(out["seq_low"]), out["seq_low"], np.nan)
        high = np.where(np.isfinite(out["seq_high"]), out["seq_high"], np.nan)
        panel = chart.panel(
            y_label=f"GBP per customer, {window} days", y_format="{:,.2f}"
        )
        panel.band(x, low, high, label=comparison.interval_name,
                   color=COLORS["sky"])  # fmt: skip
        panel.line(x, diff, label="difference (capped, CUPED)", color=COLORS["blue"])
        panel.hline(0.0, label="no difference", color=COLORS["grey"])
        counts = chart.panel(
            y_label="assigned customers", y_format="{:,.0f}", height=120, y_min=0
        )
        counts.line(x, out["n_treatment"], label=comparison.variant, step=True,
                    color=COLORS["orange"])  # fmt: skip
        counts.line(x, out["n_control"], label="control", step=True,
                    color=COLORS["grey"])  # fmt: skip
    return chart.svg()
