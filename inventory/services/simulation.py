"""Replay the real demand against the suggested policy (the evidence it works)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import numpy as np

from core.exceptions import InvalidInput, NotFound
from shop.models import Product

from .. import selectors
from ..algorithms import policy as pol
from ..algorithms.backtest import AutoForecaster
from ..conf import inventory_setting


def inventory_simulate(
    *,
    product_ids: list[int] | None = None,
    window_days: int = 84,
    replan_every: int = 24,
    limit: int | None = None,
    on_product=None,
) -> dict:
    """Simulate the (R, s, S) policy on the last ``window_days`` of real demand.

    For each product, every ``replan_every`` trading days of the window the forecaster
    is refitted on the history *before* that day (no peeking), and the reorder point and
    order-up-to level are recomputed from its forecast and backtest error with the
    product's policy (lead time, review period, service level, EOQ, pack size, MOQ).
    The replay starts at the first order-up-to level; unmet demand is lost.

    Returns ``{"products": [per-product dict], "summary": {...}}`` with fill rate,
    cycle service level (achieved vs target), average stock and stock-out days.

    Raises
    ------
    InvalidInput
        ``window_days`` < 7 or ``replan_every`` < 1.
    NotFound
        There is no order history.
    """
    if window_days < 7 or replan_every < 1:
        raise InvalidInput(
            "window_days must be >= 7 and replan_every >= 1", field="window_days"
        )
    bounds = selectors.history_bounds()
    if bounds is None:
        raise NotFound("no orders in the database: import the order history first")
    ids = product_ids or selectors.merchandise_product_ids()
    calendar = selectors.trading_calendar()
    demand = selectors.demand_daily(product_ids=ids)
    days = [d.date() for d in demand.index]
    is_open = np.array([calendar.is_open(d) for d in days])
    cutoff = bounds[1] - timedelta(days=window_days)
    in_window = np.array([d > cutoff for d in days])[is_open]
    split = int(np.argmax(in_window)) if in_window.any() else len(in_window)
    series_all = demand.to_numpy(float)[is_open]
    order = np.argsort(-series_all[split:].sum(axis=0), kind="stable")
    if limit:
        order = order[:limit]
    products = Product.objects.in_bulk(ids)
    policies = selectors.policy_rows()
    results = []
    for k, col in enumerate(order):
        pid = demand.columns[col]
        y = series_all[:, col]
        if y[split:].sum() <= 0 or y[:split].sum() <= 0:
            continue
        params = selectors.policy_for_product(product=products[pid], rows=policies)
        results.append(_simulate_one(products[pid], y, split, params, replan_every))
        if on_product:
            on_product(k + 1, len(order))
    return {"products": results, "summary": _summary(results)}


def _simulate_one(product, y, split, params, replan_every) -> dict:
    # calendar days -> trading days at six trading days a week
    lead = max(1, round(params.lead_time_days * 6 / 7))
    review = max(1, round(params.review_period_days * 6 / 7))
    n = y.size - split
    s_levels, big_s = np.zeros(n), np.zeros(n)
    for start in range(0, n, replan_every):
        model = AutoForecaster(
            horizon=min(24, max(lead + review, 6)),
            combine=int(inventory_setting("COMBINE_TOP")),
        ).fit(y[: split + start])
        mean = float(model.predict(level=())["mean"].mean())
        args = {"sigma": model.sigma_, "service_level": params.service_level}
        rop = pol.reorder_point(
            mean_demand=mean,
            lead_time=lead,
            sigma_lead=model.lead_time_sigma(lead, params.service_level),
            **args,
        )
        upto = pol.order_up_to(
            mean_demand=mean,
            lead_time=lead,
            review_period=review,
            sigma_lead=model.lead_time_sigma(lead + review, params.service_level),
            **args,
        )
        s_levels[start : start + replan_every] = rop
        big_s[start : start + replan_every] = max(upto, rop)
    result = pol.simulate_policy(
        y[split:],
        reorder_level=s_levels,
        order_up_to_level=big_s,
        lead_time=lead,
        review_period=review,
        pack_size=params.pack_size,
        moq=params.min_order_qty,
    )
    return {
        "product_id": product.pk,
        "stock_code": product.stock_code,
        "target_service_level": params.service_level,
        **asdict(result),
    }


def _summary(results: list[dict]) -> dict:
    if not results:
        return {"products": 0}
    demand = sum(r["demand"] for r in results)
    lost = sum(r["lost_units"] for r in results)
    return {
        "products": len(results),
        "target_service_level": float(
            np.mean([r["target_service_level"] for r in results])
        ),
        "fill_rate_overall": 1 - lost / demand if demand else 1.0,
        "fill_rate_mean": float(np.mean([r["fill_rate"] for r in results])),
        "cycle_service_level_mean": float(
            np.mean([r["cycle_service_level"] for r in results])
        ),
        "average_stock_mean": float(np.mean([r["average_stock"] for r in results])),
        "stockout_days_mean": float(np.mean([r["stockout_days"] for r in results])),
        "products_without_stockout": sum(r["stockout_days"] == 0 for r in results),
    }
