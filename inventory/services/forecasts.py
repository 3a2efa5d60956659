"""Forecasting the catalogue: runs, chunks (resumable), policy numbers, suggestions."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from core.exceptions import InvalidInput, NotFound
from core.taskruns import current_run, progress
from shop.models import Product, StockLevel

from .. import selectors
from ..algorithms import calibration as calib
from ..algorithms import policy as pol
from ..algorithms.backtest import CANDIDATES, DEFAULT_CANDIDATES, AutoForecaster
from ..conf import inventory_setting
from ..models import (
    Forecast,
    ForecastPoint,
    ForecastRun,
    ModelChoice,
    ReorderSuggestion,
)

MODES = ("auto", "select", "refit")


def forecast_run_start(
    *, mode: str = "auto", force: bool = False
) -> ForecastRun | None:
    """Open a forecast run over the current history, or resume an unfinished one.

    Returns None when a succeeded run on the same data fingerprint and mode exists
    (nothing to do) unless ``force``. ``mode``: ``select`` re-runs the backtest model
    choice for every product, ``refit`` refits the stored choices (selecting where
    none is fresh), ``auto`` = ``select`` when no choice exists at all, else ``refit``.

    Raises
    ------
    InvalidInput
        Unknown ``mode``.
    NotFound
        There are no orders to forecast from.
    """
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {MODES}, got {mode!r}", field="mode")
    bounds = selectors.history_bounds()
    if bounds is None:
        raise NotFound("no orders in the database: import the order history first")
    if mode == "auto":
        mode = "refit" if ModelChoice.objects.exists() else "select"
    fingerprint = selectors.demand_fingerprint()
    done = ForecastRun.objects.filter(
        data_fingerprint=fingerprint, status=ForecastRun.Status.SUCCEEDED
    )
    if not force and done.exists():
        return None
    unfinished = ForecastRun.objects.filter(
        data_fingerprint=fingerprint, status=ForecastRun.Status.RUNNING, mode=mode
    ).first()
    if unfinished is not None and not force:
        return unfinished
    return ForecastRun.objects.create(
        mode=mode,
        as_of=bounds[1],
        horizon_days=int(inventory_setting("HORIZON_DAYS")),
        data_fingerprint=fingerprint,
        started_at=timezone.now(),
        task_run=current_run(),
    )


def _candidates() -> tuple[str, ...]:
    names = inventory_setting("CANDIDATES") or DEFAULT_CANDIDATES
    unknown = set(names) - set(CANDIDATES)
    if unknown:
        raise InvalidInput(
            f"INVENTORY['CANDIDATES'] names unknown models: {sorted(unknown)}",
            field="CANDIDATES",
        )
    return tuple(names)


class _Context:
    """What every product of a chunk shares: calendar, horizon, policies."""

    def __init__(self, run: ForecastRun) -> None:
        self.run = run
        self.calendar = selectors.trading_calendar()
        self.start = selectors.history_bounds()[0]
        self.history_days = [
            self.start + timedelta(days=i)
            for i in range((run.as_of - self.start).days + 1)
        ]
        self.history_open = np.array(
            [self.calendar.is_open(d) for d in self.history_days]
        )
        self.future_days = [
            run.as_of + timedelta(days=i + 1) for i in range(run.horizon_days)
        ]
        self.future_open = np.array(
            [self.calendar.is_open(d) for d in self.future_days]
        )
        self.h = max(int(self.future_open.sum()), 1)
        self.policies = selectors.policy_rows()
        self.max_age = timedelta(days=inventory_setting("MODEL_CHOICE_MAX_AGE_DAYS"))

    def trading_days_within(self, calendar_days: int) -> int:
        """Trading days among the next ``calendar_days`` calendar days (>= 1)."""
        days = [self.run.as_of + timedelta(days=i + 1) for i in range(calendar_days)]
        return max(1, sum(self.calendar.is_open(d) for d in days))


def forecast_products(*, run_id: int, product_ids: list[int]) -> dict:
    """Forecast ``product_ids`` within run ``run_id``; skip those already done.

    This is one chunk of the nightly fan-out: idempotent, so a redelivered chunk
    (a worker died) only does the products it had not finished.

    Raises
    ------
    NotFound
        The run does not exist.
    """
    run = ForecastRun.objects.filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"forecast run {run_id} does not exist", field="run_id")
    done = set(
        Forecast.objects.filter(run=run, product_id__in=product_ids).values_list(
            "product_id", flat=True
        )
    )
    todo = [pid for pid in product_ids if pid not in done]
    if not todo:
        return {"run_id": run.pk, "forecast": 0, "skipped": len(done)}
    ctx = _Context(run)
    demand = selectors.demand_daily(product_ids=todo, end=run.as_of)
    demand = demand.reindex(
        index=[np.datetime64(d) for d in ctx.history_days], fill_value=0
    )
    products = Product.objects.in_bulk(todo)
    stock = {s.product_id: s for s in StockLevel.objects.filter(product_id__in=todo)}
    choices = {c.product_id: c for c in ModelChoice.objects.filter(product_id__in=todo)}
    models = Counter()
    fits = []
    for pid in todo:
        series = demand[pid].to_numpy(float)[ctx.history_open]
        fits.append((pid, *_fit_product(ctx, series, choices.get(pid))))
        models[fits[-1][1].model_name_] += 1
    # widths and safety-stock error quantiles pooled over the chunk's backtests
    pool = _ErrorPool([f[1] for f in fits])
    levels = pool.service_levels(ctx, [products[f[0]] for f in fits])
    # one commit per chunk: a chunk is saved whole or not at all
    with transaction.atomic():
        for (pid, fitted, choice_used), level in zip(fits, levels, strict=True):
            forecast = _save_forecast(
                ctx, products[pid], fitted, stock.get(pid), choice_used, pool, level
            )
            _suggest(ctx, forecast, products[pid])
    return {
        "run_id": run.pk,
        "forecast": len(todo),
        "skipped": len(done),
        # per-model counts are summed by forecast_run_finish (model_members); the
        # chunk result stays small because the fan-out parent stores every result
        "distinct_models": len(models),
    }


def _fit_product(ctx: _Context, series: np.ndarray, choice: ModelChoice | None):
    fresh = (
        choice is not None
        and ctx.run.mode == ForecastRun.Mode.REFIT
        and timezone.now() - choice.selected_at <= ctx.max_age
        and all(m in CANDIDATES for m in choice.members)
    )
    params = {
        "horizon": int(inventory_setting("BACKTEST_HORIZON")),
        "n_origins": int(inventory_setting("BACKTEST_ORIGINS")),
    }
    if fresh:
        model = AutoForecaster(
            candidates=tuple(choice.members), combine=len(choice.members), **params
        ).fit(series)
        # the refit keeps the stored choice unless a member no longer fits the data
        if set(model.model_name_.removeprefix("mean(").rstrip(")").split(",")) == set(
            choice.members
        ):
            when = f"{choice.selected_at:%Y-%m-%d}"
            model.reason_ = f"{choice.reason} [refit of the choice of {when}]"
        return model, True
    model = AutoForecaster(
        candidates=_candidates(),
        combine=int(inventory_setting("COMBINE_TOP")),
        **params,
    ).fit(series)
    return model, False


class _ErrorPool:
    """Backtest errors of a chunk's products, pooled per demand class: calibrates the
    interval widths, and gives the policy's lead-time demand and empirical safety
    stock (:class:`~inventory.algorithms.calibration.LeadTimeProtection`, the same
    class the policy simulation replays)."""

    def __init__(self, models: list[AutoForecaster]) -> None:
        self.models = models
        calibration = calib.interval_calibration(models)
        for model in models:
            model.interval_scale = calib.scale_for(
                calibration, model.demand_class_.label
            )
        recent = int(inventory_setting("POLICY_RECENT_DAYS"))
        self.protection = calib.LeadTimeProtection(models, recent_window=recent or None)

    def service_levels(self, ctx: _Context, products: list[Product]) -> list[float]:
        """Each product's cycle service level: its policy's, or, with
        ``INVENTORY["SERVICE_LEVEL_RANGE"]``, spread around the mean of the chunk's
        policy levels by expected lost units (``LeadTimeProtection.service_levels``,
        the allocation :func:`inventory.services.inventory_simulate` replays; a
        level set on the product itself is kept)."""
        params = [
            selectors.policy_for_product(product=p, rows=ctx.policies) for p in products
        ]
        leads = [ctx.trading_days_within(p.lead_time_days) for p in params]
        reviews = [ctx.trading_days_within(p.review_period_days) for p in params]
        value = inventory_setting("SERVICE_LEVEL_RANGE")
        q = self.protection.service_levels(
            steps=[lead + r for lead, r in zip(leads, reviews, strict=True)],
            reviews=reviews,
            levels=[p.service_level for p in params],
            fixed=[p.sources.get("service_level") == "product" for p in params],
            level_range=None if value is None else (float(value[0]), float(value[1])),
        )
        return [float(v) for v in q]


def _members(model: AutoForecaster) -> list[str]:
    return model.model_name_.removeprefix("mean(").rstrip(")").split(",")


def _save_forecast(
    ctx, product, model, level, choice_used: bool, pool: _ErrorPool, q: float
) -> Forecast:
    """Save ``model``'s forecast and the policy numbers at cycle service level ``q``
    (the product's, from :meth:`_ErrorPool.service_levels`)."""
    run = ctx.run
    pred = model.predict(ctx.h, level=(80, 95))
    cal = {k: np.zeros(len(ctx.future_days)) for k in pred}
    for key, values in pred.items():
        cal[key][ctx.future_open] = values
    params = selectors.policy_for_product(product=product, rows=ctx.policies)
    policy_level, params = params.service_level, replace(params, service_level=q)
    lead = ctx.trading_days_within(params.lead_time_days)
    review = ctx.trading_days_within(params.review_period_days)
    mean_trading = float(pred["mean"].mean())
    mean_calendar = float(cal["mean"].sum() / len(ctx.future_days))
    sigma = float(model.sigma_)
    sigma_l = model.lead_time_sigma(lead, params.service_level)
    # lead-time demand (floored by the recent rate) plus the empirical safety stock
    # at the target quantile of the backtest's errors of that forecast over the
    # lead time (reorder point) and review + lead time (order-up-to level): the
    # same policy as inventory_simulate replays
    protect = pool.protection
    ss = protect.safety_stock(model, lead, params.service_level)
    rop = protect.demand(model, lead) + ss
    cycle_demand = protect.demand(model, lead + review)
    cycle_ss = protect.safety_stock(model, lead + review, params.service_level)
    s_level = cycle_demand + cycle_ss
    unit_cost = float(selectors.unit_cost_for(product=product, params=params)[0])
    eoq = (
        pol.economic_order_quantity(
            annual_demand=mean_calendar * 365,
            ordering_cost=float(params.ordering_cost),
            holding_cost_rate=params.holding_cost_rate,
            unit_cost=unit_cost,
        )
        if unit_cost > 0
        else 0.0
    )
    available = level.available if level else 0
    forecast = Forecast.objects.create(
        run=run,
        product=product,
        model_name=model.model_name_,
        reason=model.reason_,
        demand_class=model.demand_class_.label,
        adi=_finite(model.demand_class_.adi),
        cv2=_finite(model.demand_class_.cv2),
        mean_daily=mean_calendar,
        sigma_daily=sigma,
        lead_time_sigma=float(sigma_l),
        backtest=model.backtest_,
        lead_time_days=params.lead_time_days,
        service_level=params.service_level,
        policy_service_level=policy_level,
        safety_stock=ss,
        reorder_point=rop,
        order_up_to=max(s_level, rop),
        cycle_demand=cycle_demand,
        cycle_safety_stock=cycle_ss,
        eoq=eoq,
        available=available,
        stock_is_assumed=level is None or level.is_assumed,
        days_of_cover=pol.days_of_cover(available=available, mean_daily=mean_calendar),
        stockout_risk=pol.stockout_risk(
            available=available,
            mean_demand=mean_trading,
            lead_time=lead,
            sigma=sigma_l / np.sqrt(lead),
        ),
    )
    forecast.expected_lost_sales = _lost_sales(forecast, product)
    forecast.save(update_fields=["expected_lost_sales"])
    ForecastPoint.objects.bulk_create(
        ForecastPoint(
            forecast=forecast,
            day=day,
            is_trading_day=bool(ctx.future_open[i]),
            mean=float(cal["mean"][i]),
            lo_80=float(cal["lo-80"][i]),
            hi_80=float(cal["hi-80"][i]),
            lo_95=float(cal["lo-95"][i]),
            hi_95=float(cal["hi-95"][i]),
        )
        for i, day in enumerate(ctx.future_days)
    )
    if not choice_used and model.backtest_:
        ModelChoice.objects.update_or_create(
            product=product,
            defaults={
                "members": _members(model),
                "model_name": model.model_name_,
                "reason": model.reason_,
                "demand_class": model.demand_class_.label,
                "backtest": model.backtest_,
                "selected_at": timezone.now(),
            },
        )
    return forecast


def _suggest(ctx: _Context, forecast: Forecast, product: Product) -> None:
    """Replace the product's pending suggestion by one from this forecast, when the
    position nears the reorder point and the stock level is a count (or the shop
    opts in to ``SUGGEST_FROM_ASSUMED_STOCK``)."""
    ReorderSuggestion.objects.filter(
        product=product, status=ReorderSuggestion.Status.PENDING
    ).update(status=ReorderSuggestion.Status.SUPERSEDED)
    if forecast.stock_is_assumed and not inventory_setting(
        "SUGGEST_FROM_ASSUMED_STOCK"
    ):
        return
    if ReorderSuggestion.objects.filter(
        product=product,
        status=ReorderSuggestion.Status.SNOOZED,
        snoozed_until__gte=timezone.localdate(),
    ).exists():
        return
    params = selectors.policy_for_product(product=product, rows=ctx.policies)
    on_order = selectors.open_purchase_quantity(product=product)
    position = forecast.available + on_order
    if forecast.mean_daily <= 0:
        return
    days_to_rop = (position - forecast.reorder_point) / forecast.mean_daily
    if days_to_rop > params.review_period_days:
        return
    # ordered now for arrival after the lead time: plan from the reorder point
    plan = pol.order_plan(
        position=min(position, forecast.reorder_point),
        reorder_level=forecast.reorder_point,
        order_up_to_level=forecast.order_up_to,
        mean_daily=forecast.mean_daily,
        max_days_of_cover=params.max_days_of_cover,
        pack_size=params.pack_size,
        moq=params.min_order_qty,
    )
    if plan.quantity <= 0:
        return
    order_by = ctx.run.as_of + timedelta(days=max(1, math.floor(days_to_rop)))
    unit_cost, cost_source = selectors.unit_cost_for(product=product, params=params)
    item = params.vendor_item
    ReorderSuggestion.objects.create(
        product=product,
        forecast=forecast,
        quantity=plan.quantity,
        order_by=order_by,
        expected_arrival=order_by + timedelta(days=params.lead_time_days),
        reason=_reason(forecast, params, position, on_order, days_to_rop, plan),
        vendor=item.vendor if item else None,
        unit_cost=unit_cost,
        cost_source=cost_source[:40],
        lead_time_days=params.lead_time_days,
        lead_time_source=params.sources["lead_time_days"][:60],
        min_order_qty=params.min_order_qty,
        pack_size=params.pack_size,
        on_order=on_order,
    )


_LEAD_SOURCES = {
    "product": "the product's policy",
    "vendor": "the vendor's",
    "category": "the category's policy",
    "shop": "the shop's policy",
    "default": "the shop default",
}


def _reason(forecast, params, position, on_order, days_to_rop, plan) -> str:
    assumed = " (stock level assumed)" if forecast.stock_is_assumed else ""
    cover = plan.quantity / forecast.mean_daily
    limit = (
        f"capped at {params.max_days_of_cover} days of cover"
        if plan.limited_by == "max days of cover"
        else "the order-up-to level (lead time + review period demand + safety stock"
        f"{_parts(forecast)})"
    )
    rounding = f", {plan.rounding}" if plan.rounding else ""
    source = params.sources["lead_time_days"]
    source = _LEAD_SOURCES.get(source, source)
    lead = f"; lead time {params.lead_time_days} days: {source}"
    return (
        f"position {position} units ({forecast.available} available{assumed} + "
        f"{on_order} on order) reaches the reorder point "
        f"{forecast.reorder_point:.0f} (lead-time demand + safety stock "
        f"{forecast.safety_stock:.0f} at {_service(forecast)}) in "
        f"{max(days_to_rop, 0):.0f} days at {forecast.mean_daily:.1f} units/day; "
        f"order up to {plan.target:.0f} = {limit}{rounding}: "
        f"{plan.quantity} units, {cover:.0f} days of demand{lead}"
    )


def _parts(forecast: Forecast) -> str:
    """``": 120 + 35"``: the order-up-to level's parts (units), when stored and
    they make it (a level raised to the reorder point has no such parts)."""
    demand, ss = forecast.cycle_demand, forecast.cycle_safety_stock
    if demand is None or ss is None or demand + ss < forecast.order_up_to - 0.5:
        return ""
    return f": {demand:.0f} + {ss:.0f}"


def _service(forecast: Forecast) -> str:
    """``"99 % service"``, with the policy's target when the level was allocated."""
    text = f"{forecast.service_level:.0%} service"
    policy = forecast.policy_service_level
    if policy is None or abs(policy - forecast.service_level) < 5e-4:
        return text
    return (
        f"{text}; the policy's {policy:.0%} on average, spread by expected lost units"
    )


def forecast_replan(*, product_ids: list[int] | None = None) -> dict:
    """Re-plan the latest run's products whose stock changed since it was made.

    New stock counts take effect without a new forecast: for each forecast of the
    latest succeeded run whose product's available units or count status (counted
    vs assumed) differ from the ones the forecast used, or whose pending suggestion
    was made from assumed stock the shop does not opt in to (or every product in
    ``product_ids``), the available units, days of cover, stock-out risk and
    expected lost sales are updated and the reorder suggestion is made again (the
    pending one superseded).
    Returns ``{"run_id", "products", "suggestions"}`` (``run_id`` None without a
    run).
    """
    run = selectors.forecast_run_latest()
    if run is None:
        return {"run_id": None, "products": 0, "suggestions": 0}
    forecasts = Forecast.objects.filter(run=run).select_related("product")
    if product_ids is not None:
        forecasts = forecasts.filter(product_id__in=product_ids)
    levels = {
        s.product_id: s
        for s in StockLevel.objects.filter(
            product_id__in=forecasts.values("product_id")
        )
    }
    # pending suggestions the rules no longer allow (made from assumed stock before
    # SUGGEST_FROM_ASSUMED_STOCK, or before the shop opted out) are re-planned too
    stale = set()
    if not inventory_setting("SUGGEST_FROM_ASSUMED_STOCK"):
        stale = set(
            ReorderSuggestion.objects.filter(
                forecast__run=run,
                forecast__stock_is_assumed=True,
                status=ReorderSuggestion.Status.PENDING,
            ).values_list("forecast_id", flat=True)
        )
    ctx, changed, made = _Context(run), 0, 0
    with transaction.atomic():
        for forecast in forecasts:
            level = levels.get(forecast.product_id)
            available = level.available if level else 0
            assumed = level is None or level.is_assumed
            same = (available, assumed) == (
                forecast.available,
                forecast.stock_is_assumed,
            )
            if product_ids is None and same and forecast.pk not in stale:
                continue
            _restock(ctx, forecast, available, assumed)
            _suggest(ctx, forecast, forecast.product)
            changed += 1
            made += ReorderSuggestion.objects.filter(
                forecast=forecast, status=ReorderSuggestion.Status.PENDING
            ).count()
    return {"run_id": run.pk, "products": changed, "suggestions": made}


def _restock(ctx: _Context, forecast: Forecast, available: int, assumed: bool):
    params = selectors.policy_for_product(product=forecast.product, rows=ctx.policies)
    lead = ctx.trading_days_within(params.lead_time_days)
    mean_trading = forecast.mean_daily * len(ctx.future_days) / ctx.h
    forecast.available, forecast.stock_is_assumed = available, assumed
    forecast.days_of_cover = pol.days_of_cover(
        available=available, mean_daily=forecast.mean_daily
    )
    forecast.stockout_risk = pol.stockout_risk(
        available=available,
        mean_demand=mean_trading,
        lead_time=lead,
        sigma=forecast.lead_time_sigma / math.sqrt(lead)
        if forecast.lead_time_sigma is not None
        else forecast.sigma_daily,
    )
    forecast.expected_lost_sales = _lost_sales(forecast, forecast.product)
    forecast.save(
        update_fields=[
            "available",
            "stock_is_assumed",
            "days_of_cover",
            "stockout_risk",
            "expected_lost_sales",
        ]
    )


def _lost_sales(forecast: Forecast, product: Product) -> float:
    """Expected lost sales value over the lead time, GBP: the lead-time demand
    (reorder point - safety stock) the available units cannot serve, at the list
    price (issue 18.4: rank the products at risk by money, not by probability)."""
    mean = max(forecast.reorder_point - forecast.safety_stock, 0.0)
    sigma = forecast.lead_time_sigma
    if sigma is None or not math.isfinite(sigma) or sigma < 0:
        sigma = 0.0
    units = pol.expected_shortage(
        available=max(forecast.available, 0), mean=mean, sigma=sigma
    )
    return float(units * float(product.list_price))


def forecast_run_finish(*, run_id: int) -> ForecastRun:
    """Mark a run succeeded and store its summary metrics (models, classes, MASE)."""
    run = ForecastRun.objects.get(pk=run_id)
    rows = list(
        Forecast.objects.filter(run=run).values(
            "model_name", "demand_class", "backtest"
        )
    )
    members = Counter()
    for row in rows:
        members.update(row["model_name"].removeprefix("mean(").rstrip(")").split(","))
    mases = [r["backtest"].get("mase") for r in rows if r["backtest"].get("mase")]
    run.metrics = {
        "products": len(rows),
        "demand_classes": dict(Counter(r["demand_class"] for r in rows)),
        "model_members": dict(members.most_common()),
        "backtest_mase_median": float(np.median(mases)) if mases else None,
        "suggestions": ReorderSuggestion.objects.filter(
            forecast__run=run, status=ReorderSuggestion.Status.PENDING
        ).count(),
    }
    run.n_products = len(rows)
    run.status = ForecastRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    _prune_runs(keep=int(inventory_setting("KEEP_RUNS")))
    return run


def _prune_runs(*, keep: int) -> None:
    """Delete all but the newest ``keep`` succeeded runs (and their points)."""
    old = ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED).order_by(
        "-finished_at", "-pk"
    )[keep:]
    ForecastRun.objects.filter(pk__in=[r.pk for r in old]).delete()


def forecast_demand(
    *,
    mode: str = "auto",
    force: bool = False,
    product_ids: list[int] | None = None,
    chunk_size: int | None = None,
    on_chunk=None,
) -> ForecastRun | None:
    """Forecast the catalogue in this process, chunk by chunk (the command's path).

    Returns the finished run, or None when the data is unchanged since the last
    succeeded run (and not ``force``). ``on_chunk(done, total)`` reports progress.
    """
    run = forecast_run_start(mode=mode, force=force)
    if run is None:
        return None
    ids = product_ids or selectors.merchandise_product_ids()
    size = chunk_size or int(inventory_setting("CHUNK_SIZE"))
    task = current_run()
    for start in range(0, len(ids), size):
        forecast_products(run_id=run.pk, product_ids=ids[start : start + size])
        done = min(start + size, len(ids))
        progress(task, done / max(len(ids), 1), f"{done}/{len(ids)} products")
        if on_chunk:
            on_chunk(done, len(ids))
    return forecast_run_finish(run_id=run.pk)


def forecast_dispatch(*, mode: str = "auto", force: bool = False) -> dict:
    """Start the Celery fan-out: chunks of ``inventory.forecast_chunk`` in a chord,
    finished by ``inventory.forecast_publish``. Returns the run and parent ids."""
    from core.fanout import fanout_run

    run = forecast_run_start(mode=mode, force=force)
    if run is None:
        return {
            "skipped": "demand unchanged since the last succeeded run",
            "replanned": forecast_replan(),
        }
    ids = selectors.merchandise_product_ids()
    parent = fanout_run(
        task_name="inventory.forecast_chunk",
        ids=ids,
        chunk_size=int(inventory_setting("CHUNK_SIZE")),
        kwargs={"run_id": run.pk},
        callback="inventory.forecast_publish",
        name="inventory.forecast:fanout",
    )
    run.refresh_from_db()
    if parent.status == "succeeded" and run.status == ForecastRun.Status.RUNNING:
        # eager mode: the chunks already ran in-process, and send_task (the chord's
        # callback) is not executed eagerly; close the run here
        forecast_run_finish(run_id=run.pk)
    return {"run_id": run.pk, "fanout_run_id": parent.pk, "products": len(ids)}


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def forecast_horizon_days(*, run: ForecastRun) -> list[date]:
    return [run.as_of + timedelta(days=i + 1) for i in range(run.horizon_days)]
