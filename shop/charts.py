"""Shop charts (drawn by :mod:`core.charts`): price history, import issues."""

from __future__ import annotations

from django.utils.safestring import SafeString

from core.charts import Chart, bar_chart

ACTION_COLORS = {"rejected": "red", "repaired": "orange", "flagged": "blue"}


def price_history_chart(product) -> SafeString:
    """The list price of ``product`` after each recorded change (a step line, GBP)."""
    rows = list(
        product.price_changes.order_by("changed_at", "id").values_list(
            "changed_at", "new_price"
        )
    )
    chart = Chart(title="List price history", x_label="date", width=560)
    panel = chart.panel(y_label=f"list price ({product.currency})", height=160)
    panel.y_format = "£{:,.2f}" if product.currency == "GBP" else "{:,.2f}"
    if rows:
        times = [t for t, _ in rows]
        prices = [float(p) for _, p in rows]
        if len(rows) == 1:  # a single price: draw it as a flat line
            times, prices = times * 2, prices * 2
        panel.line(times, prices, label="list price", step=True)
    return chart.svg()


def import_issues_chart(report) -> SafeString:
    """Rows per action and reason of an import report, as labelled bars."""
    rows, colors = [], []
    for action in ("rejected", "repaired", "flagged"):
        for reason, n in sorted(report.counts_by_reason.get(action, {}).items()):
            rows.append((f"{action}: {reason}", n))
            colors.append(ACTION_COLORS[action])
    return bar_chart(rows, title="Rows by action and reason", colors=colors)
