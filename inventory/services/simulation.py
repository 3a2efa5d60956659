"""Replay the real demand against the suggested policy (the evidence it works)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

import numpy as np

from core.exceptions import InvalidInput, NotFound
from shop.models import Product

from .. import selectors
from ..algorithms import calibration as cal
from ..algorithms import policy as pol
from ..algorithms.backtest import AutoForecaster
from ..conf import inventory_setting

RANK_BY = ("history", "window")


def inventory_simulate(
    *,
    product_ids: list[int] | None = None,
    window_days: int = 84,
    end: date | None = None,
    replan_every: int | None = None,
    limit: int | None = None,
    rank_by: str = "history",
    error_scale: str = "rms",
    recent_days: int | None = None,
    on_product=None,
) -> dict:
    """Simulate the periodic-review order-up-to policy on ``window_days`` to ``end``.

    The window is the ``window_days`` calendar days ending at ``end`` (default: the
    last day of the history); demand after ``end`` is not read. Every
    ``replan_every`` trading days of the window (default: the shortest review
    period, so each review orders against a fresh plan) every product's forecaster
    is refitted on the history *before* that day (no peeking), and its order-up-to
    level is recomputed exactly as the reorder suggestions compute it
    (:class:`inventory.algorithms.calibration.LeadTimeProtection`): ``S = F + safety
    stock``, where ``F`` is the forecast demand over ``R + L`` floored by the recent
    ``recent_days``-day rate and the safety stock is the target-service-level
    quantile of the backtest errors of that forecast summed over ``R + L`` trading
    days, pooled per demand class (no normal assumption for lumpy demand). Lead time
    ``L`` and review period ``R`` are converted from calendar days to the trading
    days of the window's calendar. On review days the replay orders up to ``S``
    (rounded to packs / MOQ); unmet demand is lost.

    ``limit`` keeps the top-N products ranked by demand (``rank_by``): "history"
    (default) ranks by the demand of the same number of trading days *before* the
    window, known when the window starts; "window" ranks by the window's own demand,
    a look-ahead selection of the products that surged in the window (a stress
    test, not evidence). Products without demand before or in the window are left
    out. ``error_scale`` ("rms" or "level") is how products are pooled (see
    :func:`~inventory.algorithms.calibration.lead_time_error_quantiles`);
    ``recent_days`` (default ``INVENTORY["POLICY_RECENT_DAYS"]``; 0 = no floor).

    Returns ``{"products": [per-product dict], "summary": {...}}`` with fill rate,
    cycle service level (achieved vs target), average stock and stock-out days.

    Raises
    ------
    InvalidInput
        ``window_days`` < 7, ``replan_every`` < 1, ``limit`` < 1, ``recent_days``
        < 0, an unknown ``error_scale`` or ``rank_by``, or ``end`` outside the
        history or leaving fewer than 28 days of history before the window.
    NotFound
        There is no order history.
    """
    if window_days < 7:
        raise InvalidInput(
            f"window_days must be >= 7, got {window_days}", field="window_days"
        )
    if replan_every is not None and replan_every < 1:
        raise InvalidInput(
            f"replan_every must be >= 1, got {replan_every}", field="replan_every"
        )
    if limit is not None and limit < 1:
        raise InvalidInput(
            f"limit must be >= 1 (or None for every product), got {limit}",
            field="limit",
        )
    if error_scale not in cal.ERROR_SCALES:
        raise InvalidInput(
            f"error_scale must be one of {cal.ERROR_SCALES}", field="error_scale"
        )
    if rank_by not in RANK_BY:
        raise InvalidInput(f"rank_by must be one of {RANK_BY}", field="rank_by")
    if recent_days is None:
        recent_days = int(inventory_setting("POLICY_RECENT_DAYS"))
    if recent_days < 0:
        raise InvalidInput("recent_days must be >= 0", field="recent_days")
    bounds = selectors.history_bounds()
    if bounds is None:
        raise NotFound("no orders in the database: import the order history first")
    end = end or bounds[1]
    cutoff = end - timedelta(days=window_days)
    if end > bounds[1] or cutoff < bounds[0] + timedelta(days=28):
        raise InvalidInput(
            f"end must be between {bounds[0] + timedelta(days=28 + window_days)} and "
            f"{bounds[1]} (28 days of history before a {window_days}-day window), "
            f"got {end}",
            field="end",
        )
    ids = product_ids or selectors.merchandise_product_ids()
    calendar = selectors.trading_calendar()
    demand = selectors.demand_daily(product_ids=ids, end=end)
    days = [d.date() for d in demand.index]
    is_open = np.array([calendar.is_open(d) for d in days])
    in_window = np.array([d > cutoff for d in days])[is_open]
    if not in_window.any():
        raise InvalidInput(
            f"no trading day between {cutoff} and {end}: widen window_days",
            field="window_days",
        )
    split = int(np.argmax(in_window))
    series_all = demand.to_numpy(float)[is_open]
    n = series_all.shape[0] - split
    order = _select_columns(series_all, split, limit, rank_by)
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
    step = replan_every or min((p[4] for p in plans), default=1)
    levels = _plan_levels(
        plans, split, n, step, on_product, error_scale, recent_days or None
    )
    results = [
        _replay(products[pid], y[split:], params, lead, review, big_s)
        for (pid, y, params, lead, review), big_s in zip(plans, levels, strict=True)
    ]
    summary = _summary(results)
    summary.update(
        window_start=first_day, window_end=end, trading_days=n, rank_by=rank_by
    )
    return {"products": results, "summary": summary}


def _select_columns(series, split: int, limit: int | None, rank_by: str) -> list:
    """Columns of ``series`` (trading days, products) to simulate, ranked by demand.

    "history": over as many trading days before ``split`` as the window holds;
    "window": over the window itself (look-ahead). Columns without demand before or
    in the window are dropped.
    """
    n = series.shape[0] - split
    if rank_by == "window":
        ranked = series[split:]
    else:
        ranked = series[max(0, split - n) : split]
    order = np.argsort(-ranked.sum(axis=0), kind="stable")
    if limit:
        order = order[:limit]
    return [
        int(c)
        for c in order
        if series[split:, c].sum() > 0 and series[:split, c].sum() > 0
    ]


def _trading_days(calendar, start, calendar_days: int) -> int:
    """Trading days among the ``calendar_days`` calendar days after ``start`` (>= 1)."""
    span = (start + timedelta(days=i + 1) for i in range(int(calendar_days)))
    return max(1, sum(calendar.is_open(d) for d in span))


def _plan_levels(plans, split, n, step, on_product, error_scale, recent_window) -> list:
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
        protection = cal.LeadTimeProtection(
            models, scale=error_scale, recent_window=recent_window
        )
        for i, (_pid, _y, params, lead, review) in enumerate(plans):
            big_s = protection.level(models[i], lead + review, params.service_level)
            levels[i][start : start + step] = big_s
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
