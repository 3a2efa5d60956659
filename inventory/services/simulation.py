"""Replay the real demand against the suggested policy (the evidence it works)."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, timedelta

import numpy as np

from core.exceptions import InvalidInput, NotFound
from core.taskruns import current_run
from shop.models import Product

from .. import selectors
from ..algorithms import calibration as cal
from ..algorithms import policy as pol
from ..algorithms.backtest import AutoForecaster
from ..conf import inventory_setting
from ..models import SimulationRun

RANK_BY = ("history", "window")
# the hand-made min/max rule's max: min + this many calendar days of mean demand,
# the mean and the highest daily rate over the last 24 trading days (4 weeks)
BASELINE_COVER_DAYS = 30
BASELINE_WINDOW = 24


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
    record: bool = False,
    service_level: float | None = None,
    service_level_range: tuple[float, float] | None | str = "setting",
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
    days, each product's standardised by its spread on its other backtest origins
    and pooled per demand class (no normal assumption for lumpy demand). Lead time
    ``L`` and review period ``R`` are converted from calendar days to the trading
    days of the window's calendar. On review days the replay orders what the
    suggestions would (:func:`inventory.algorithms.policy.order_plan`): up to
    ``S``, capped at the policy's ``max_days_of_cover`` days of the forecast's mean
    demand, rounded to packs / MOQ; unmet demand is lost.

    ``limit`` keeps the top-N products ranked by demand (``rank_by``): "history"
    (default) ranks by the demand of the same number of trading days *before* the
    window, known when the window starts; "window" ranks by the window's own demand,
    a look-ahead selection of the products that surged in the window (a stress
    test, not evidence). Products without demand before or in the window are left
    out. ``error_scale`` ("rms" or "level") is how products are pooled (see
    :func:`~inventory.algorithms.calibration.lead_time_error_quantiles`);
    ``recent_days`` (default ``INVENTORY["POLICY_RECENT_DAYS"]``; 0 = no floor).
    ``service_level`` (optional, in (0, 1)) replaces every product's policy target:
    a what-if ("what would 0.98 cost in stock?"); the min/max rule has no target.
    ``service_level_range`` (default ``INVENTORY["SERVICE_LEVEL_RANGE"]``; None: one
    level for all) spreads the products' levels around their mean target as the
    suggestions do (``LeadTimeProtection.service_levels`` in
    :mod:`inventory.algorithms.calibration`,
    re-allocated at each re-plan over the simulated products); a ``service_level``
    what-if gives every product that level and allocates nothing.

    Beside it, on the same products, window, lead times, review periods and re-plan
    days, the hand-made min/max rule (:func:`inventory.algorithms.policy.min_max_rule`:
    min = lead-time demand at the last 4 weeks' highest daily rate, max = min + 30
    days of the 4 weeks' mean demand) is replayed as the baseline.

    Returns ``{"products": [per-product dict], "summary": {...}}`` with fill rate,
    cycle service level (achieved vs target), average stock (units and value at
    unit cost, GBP) and stock-out days; ``summary["baseline"]`` the same for the
    min/max rule and ``summary["comparison"]`` the issue-18.5 targets. With
    ``record`` the result is stored as a :class:`~inventory.models.SimulationRun`
    (shown in the admin) and ``"run_id"`` added.

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
    if service_level_range == "setting":
        service_level_range = _level_range(inventory_setting("SERVICE_LEVEL_RANGE"))
    if service_level is not None:
        service_level_range = None
    if service_level is not None and not 0 < service_level < 1:
        raise InvalidInput(
            f"service_level must be in (0, 1), got {service_level}",
            field="service_level",
        )
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
        if service_level is not None:
            params = replace(params, service_level=service_level)
        lead = _trading_days(calendar, first_day, params.lead_time_days)
        review = _trading_days(calendar, first_day, params.review_period_days)
        plans.append((pid, series_all[:, col], params, lead, review))
    step = replan_every or min((p[4] for p in plans), default=1)
    cover = _trading_days(calendar, first_day, BASELINE_COVER_DAYS)
    horizon_days = int(inventory_setting("HORIZON_DAYS"))
    span = (_trading_days(calendar, first_day, horizon_days), horizon_days)
    levels, means, baseline, targets = _plan_levels(
        plans,
        split,
        n,
        step,
        on_product,
        (error_scale, recent_days or None, service_level_range),
        cover,
        span,
    )
    results = []
    for (pid, y, params, lead, review), big_s, rate, (low, high), q in zip(
        plans, levels, means, baseline, targets, strict=True
    ):
        params = replace(params, service_level=float(q))
        cost = float(selectors.unit_cost_for(product=products[pid], params=params)[0])
        row = _replay(
            products[pid], y[split:], params, lead, review, big_s, big_s, rate
        )
        base = _replay(products[pid], y[split:], params, lead, review, low, high)
        row["unit_cost"] = cost
        row["average_stock_value"] = row["average_stock"] * cost
        row["baseline"] = {
            k: base[k]
            for k in (
                "fill_rate",
                "cycle_service_level",
                "average_stock",
                "stockout_days",
                "lost_units",
                "orders",
            )
        }
        row["baseline"]["average_stock_value"] = base["average_stock"] * cost
        results.append(row)
    summary = _summary(results)
    summary.update(
        window_start=first_day, window_end=end, trading_days=n, rank_by=rank_by
    )
    summary["baseline"] = _summary([{**r, **r["baseline"]} for r in results])
    summary["comparison"] = _compare(summary)
    out = {"products": results, "summary": summary}
    if record:
        params = {
            "window_days": window_days,
            "end": end.isoformat(),
            "replan_every": step,
            "limit": limit,
            "rank_by": rank_by,
            "error_scale": error_scale,
            "recent_days": recent_days,
            "service_level": service_level,
            "service_level_range": service_level_range,
            "baseline": f"min = L x max daily demand of the last {BASELINE_WINDOW} "
            f"trading days; max = min + {BASELINE_COVER_DAYS} days of their mean",
        }
        out["run_id"] = _record(out, params).pk
    return out


def _record(out: dict, params: dict) -> SimulationRun:
    summary = out["summary"]
    return SimulationRun.objects.create(
        window_start=summary["window_start"],
        window_end=summary["window_end"],
        n_products=summary.get("products", 0),
        params=_plain(params),
        summary=_plain(summary),
        products=_plain(out["products"]),
        task_run=current_run(),
    )


def _plain(value):
    """JSON-ready: numpy scalars as Python numbers and bools, dates as ISO text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date):
        return value.isoformat()
    return value


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


def _level_range(value) -> tuple[float, float] | None:
    """``INVENTORY["SERVICE_LEVEL_RANGE"]`` as ``(lower, upper)`` or None."""
    return None if value is None else (float(value[0]), float(value[1]))


def _plan_levels(
    plans, split, n, step, on_product, how, cover, span
) -> tuple[list, list, list, list]:
    """Per product, re-planned every ``step`` trading days on the history before
    the re-plan day: our order-up-to levels (n,) (as the suggestions: the level
    over ``R + L``, at least the reorder point over ``L``), the forecast's mean
    demand per calendar day (n,) (as the suggestions: the forecast over the
    ``span = (trading days, calendar days)`` of the horizon, per calendar day; it
    caps the order at the policy's days of cover), and the min/max rule's
    ``(min (n,), max (n,))``, and each product's mean allocated service level.
    ``how = (error_scale, recent_window, service_level_range)``."""
    error_scale, recent_window, level_range = how
    targets = [[] for _ in plans]
    levels = [np.zeros(n) for _ in plans]
    means = [np.zeros(n) for _ in plans]
    baseline = [(np.zeros(n), np.zeros(n)) for _ in plans]
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
        q = protection.service_levels(
            steps=[p[3] + p[4] for p in plans],
            reviews=[p[4] for p in plans],
            levels=[p[2].service_level for p in plans],
            fixed=[p[2].sources.get("service_level") == "product" for p in plans],
            level_range=level_range,
        )
        for i, (_pid, y, _params, lead, review) in enumerate(plans):
            targets[i].append(float(q[i]))
            big_s = max(
                protection.level(models[i], lead + review, float(q[i])),
                protection.level(models[i], lead, float(q[i])),
            )
            levels[i][start : start + step] = big_s
            forecast = models[i].predict(span[0], level=())["mean"]
            means[i][start : start + step] = float(forecast.sum()) / span[1]
            low, high = pol.min_max_rule(
                y[: split + start],
                lead_time=lead,
                cover_days=cover,
                window=BASELINE_WINDOW,
            )
            baseline[i][0][start : start + step] = low
            baseline[i][1][start : start + step] = high
    return levels, means, baseline, [float(np.mean(t)) for t in targets]


def _replay(product, demand, params, lead, review, low, high, rate=None) -> dict:
    """Replay one product; with ``rate`` (units per calendar day, (n,)) each order
    is capped at the policy's ``max_days_of_cover`` as the suggestions are."""
    result = pol.simulate_policy(
        demand,
        reorder_level=low,
        order_up_to_level=high,
        lead_time=lead,
        review_period=review,
        pack_size=params.pack_size,
        moq=params.min_order_qty,
        mean_daily=rate,
        max_days_of_cover=None if rate is None else params.max_days_of_cover,
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
        "demand_units": float(demand),
        "lost_units": float(lost),
        # how concentrated the loss is: the fewest products whose lost units add up
        # to 80 % of all (issue 18.5: a few lumpy products lose most of the units)
        "products_with_80pct_of_lost": _holding(
            [r["lost_units"] for r in results], 0.8
        ),
        "fill_rate_mean": float(np.mean([r["fill_rate"] for r in results])),
        "cycle_service_level_mean": float(
            np.mean([r["cycle_service_level"] for r in results])
        ),
        "average_stock_mean": float(np.mean([r["average_stock"] for r in results])),
        # GBP: sum over products of the mean units on hand x unit cost
        "average_stock_value": float(
            sum(r.get("average_stock_value", 0.0) for r in results)
        ),
        "orders": int(sum(r["orders"] for r in results)),
        "stockout_days_mean": float(np.mean([r["stockout_days"] for r in results])),
        "products_without_stockout": sum(r["stockout_days"] == 0 for r in results),
    }


def _holding(values: list[float], share: float) -> int:
    """The fewest of ``values`` (units) whose sum reaches ``share`` of the total
    (0 when the total is 0)."""
    ranked = np.sort(np.asarray(values, dtype=float))[::-1]
    total = float(ranked.sum())
    if total <= 0:
        return 0
    return int(np.searchsorted(np.cumsum(ranked), share * total - 1e-9) + 1)


def _compare(summary: dict) -> dict:
    """Our policy against the min/max rule, and the issue-18.5 targets: cycle
    service level within 2 points of its target, fill rate at least the rule's,
    average stock value at most 0.75x the rule's."""
    base = summary["baseline"]
    if not summary.get("products"):
        return {}
    ratio = (
        summary["average_stock_value"] / base["average_stock_value"]
        if base["average_stock_value"]
        else None
    )
    csl_gap = summary["cycle_service_level_mean"] - summary["target_service_level"]
    return {
        "stock_value_ratio": ratio,
        "fill_rate_difference": summary["fill_rate_overall"]
        - base["fill_rate_overall"],
        "csl_gap": csl_gap,
        "csl_within_2_points": abs(csl_gap) <= 0.02,
        "fill_rate_at_least_baseline": summary["fill_rate_overall"]
        >= base["fill_rate_overall"],
        "stock_value_at_most_075": ratio is not None and ratio <= 0.75,
    }
