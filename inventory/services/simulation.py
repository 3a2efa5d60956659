"""Replay the real demand against the suggested policy (the evidence it works)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import numpy as np

from core.exceptions import InvalidInput, NotFound
from shop.models import Product

from .. import selectors
from ..algorithms import calibration as cal
from ..algorithms import policy as pol
from ..algorithms.backtest import AutoForecaster
from ..conf import inventory_setting


def inventory_simulate(
    *,
    product_ids: list[int] | None = None,
    window_days: int = 84,
    replan_every: int | None = None,
    limit: int | None = None,
    error_scale: str = "rms",
    on_product=None,
) -> dict:
    """Simulate the periodic-review order-up-to policy on the last ``window_days``.

    Every ``replan_every`` trading days of the window (default: the shortest review
    period, so each review orders against a fresh plan) every product's forecaster is
    refitted on the history *before* that day (no peeking), and its order-up-to level
    is recomputed with the product's policy: ``S = forecast demand over R + L + safety
    stock``, where the safety stock is the target-service-level quantile of the
    backtest errors of demand summed over ``R + L`` trading days: the product's own
    error RMS times the quantile of the standardised errors pooled over the products
    of its demand class
    (:func:`inventory.algorithms.calibration.lead_time_error_quantiles`; no normal
    assumption for lumpy demand). Lead time ``L`` and review period ``R`` are converted
    from calendar days to the trading days of the window's calendar. On review days the
    replay orders up to ``S`` (rounded to packs / MOQ); unmet demand is lost.
    ``error_scale`` ("rms" or "level") is how products are pooled (see
    :func:`~inventory.algorithms.calibration.lead_time_error_quantiles`).

    Returns ``{"products": [per-product dict], "summary": {...}}`` with fill rate,
    cycle service level (achieved vs target), average stock and stock-out days.

    Raises
    ------
    InvalidInput
        ``window_days`` < 7, ``replan_every`` < 1 or an unknown ``error_scale``.
    NotFound
        There is no order history.
    """
    if window_days < 7 or (replan_every is not None and replan_every < 1):
        raise InvalidInput(
            "window_days must be >= 7 and replan_every >= 1", field="window_days"
        )
    if error_scale not in cal.ERROR_SCALES:
        raise InvalidInput(
            f"error_scale must be one of {cal.ERROR_SCALES}", field="error_scale"
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
    order = [
        c
        for c in order
        if series_all[split:, c].sum() > 0 and series_all[:split, c].sum() > 0
    ]
    products = Product.objects.in_bulk(ids)
    policies = selectors.policy_rows()
    first_day = [d for d, o in zip(days, is_open, strict=True) if o][split]
    plans = []
    for col in order:
        pid = demand.columns[col]
        params = selectors.policy_for_product(product=products[pid], rows=policies)
        lead = _trading_days(calendar, first_day, params.lead_time_days)
        review = _trading_days(calendar, first_day, params.review_period_days)
        plans.append((pid, series_all[:, col], params, lead, review))
    n = series_all.shape[0] - split
    step = replan_every or min((p[4] for p in plans), default=1)
    levels = _plan_levels(plans, split, n, step, on_product, error_scale)
    results = [
        _replay(products[pid], y[split:], params, lead, review, big_s)
        for (pid, y, params, lead, review), big_s in zip(plans, levels, strict=True)
    ]
    return {"products": results, "summary": _summary(results)}


def _trading_days(calendar, start, calendar_days: int) -> int:
    """Trading days among the ``calendar_days`` calendar days after ``start`` (>= 1)."""
    span = (start + timedelta(days=i + 1) for i in range(int(calendar_days)))
    return max(1, sum(calendar.is_open(d) for d in span))


def _plan_levels(plans, split, n, step, on_product, error_scale) -> list:
    """Order-up-to levels (n,) per product, re-planned every ``step`` trading days."""
    levels = [np.zeros(n) for _ in plans]
    horizon = int(inventory_setting("BACKTEST_HORIZON"))
    starts = list(range(0, n, step))
    done, total = 0, len(starts) * len(plans)
    for start in starts:
        models = []
        for _pid, y, _params, _lead, _review in plans:
            models.append(
                AutoForecaster(
                    horizon=horizon,
                    n_origins=int(inventory_setting("BACKTEST_ORIGINS")),
                    combine=int(inventory_setting("COMBINE_TOP")),
                ).fit(y[: split + start])
            )
            done += 1
            if on_product:
                on_product(done, total)
        pooled = {}
        for i, (_pid, _y, params, lead, review) in enumerate(plans):
            key = (lead + review, params.service_level)
            if key not in pooled:
                pooled[key] = cal.lead_time_error_quantiles(
                    models, steps=key[0], q=params.service_level, scale=error_scale
                )
            model = models[i]
            quantile = cal.scale_for_quantile(pooled[key], model.demand_class_.label)
            forecast = float(model.predict(key[0], level=())["mean"].sum())
            spread = cal.error_unit(model, key[0], error_scale)
            ss = pol.safety_stock_empirical(error_quantile=quantile * spread)
            levels[i][start : start + step] = forecast + ss
    return levels


def _replay(product, demand, params, lead, review, big_s) -> dict:
    result = pol.simulate_policy(
        demand,
        reorder_level=big_s,
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
        "lead_time": lead,
        "review_period": review,
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
