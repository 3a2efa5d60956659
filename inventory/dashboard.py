"""Inventory on the admin home (see core.dashboard): reorder suggestions, products at
risk, and the demand forecast."""

from __future__ import annotations

from django.urls import reverse

from core.adminkit import changelist_url
from core.dashboard import (
    ModelHealth,
    Queue,
    register_health,
    register_queue,
    weekly_counts,
)
from core.formatting import number

from . import selectors
from .models import ReorderSuggestion

PENDING = ReorderSuggestion.Status.PENDING


def _pending():
    return ReorderSuggestion.objects.filter(status=PENDING)


def _overdue() -> int:
    run = selectors.forecast_run_latest()
    if run is None:
        return 0
    return _pending().filter(order_by__lte=run.as_of).count()


def _forecast_state() -> dict | None:
    run = selectors.forecast_run_latest()
    if run is None:
        return None
    m = run.metrics or {}
    metric = f"{number(m.get('products', run.n_products))} products"
    if m.get("backtest_mase_median") is not None:
        metric = (
            f"backtest MASE {m['backtest_mase_median']:.2f} (median over "
            f"{metric}; < 1 beats the seasonal naive forecast)"
        )
    return {
        "label": f"forecast run #{run.pk}",
        "url": reverse("admin:inventory_forecastrun_change", args=[run.pk]),
        "since": run.finished_at,
        "metric": metric,
        "data_end": run.as_of,
    }


register_queue(
    Queue(
        name="reorder-review",
        title="Reorder suggestions to approve",
        audience="inventory planner",
        permission="inventory.view_reordersuggestion",
        url=lambda: changelist_url(ReorderSuggestion, status=PENDING),
        count=lambda: _pending().count(),
        urgent=_overdue,
        urgent_label="order-by date reached (the data's today)",
        trend=lambda: weekly_counts(ReorderSuggestion.objects.all(), "created_at"),
        trend_label="suggestions made per week, last 8 weeks",
    )
)
register_queue(
    Queue(
        name="products-at-risk",
        title="Counted products at or below their reorder point",
        audience="inventory planner",
        permission="inventory.view_forecast",
        url=lambda: (
            reverse("admin:inventory_productatrisk_changelist")
            + "?stock_is_assumed__exact=0"
        ),
        count=lambda: selectors.products_at_risk(counted_only=True).count(),
        hint="Largest expected lost sales (GBP) over the lead time first.",
    )
)
register_queue(
    Queue(
        name="stock-counts-missing",
        title="Products without a stock count (no purchase suggested)",
        audience="inventory planner",
        permission="shop.change_stocklevel",
        url=lambda: reverse("admin:job", args=["inventory-import-stock"]),
        count=selectors.products_without_count,
        hint="Their stock level is assumed or missing; upload counts to plan them.",
    )
)
register_health(
    ModelHealth(
        kind="inventory.forecast",
        title="Demand forecasts",
        current=_forecast_state,
        train_task="inventory.forecast",
        permission="inventory.view_forecast",
    )
)
