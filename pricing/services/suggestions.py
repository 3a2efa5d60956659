"""Generating price suggestions (optimised prices and overstock markdowns)."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum

from core.artifacts import json_safe
from core.models import TaskRun
from core.taskruns import progress as run_progress
from shop.models import Product, StockLevel

from ..algorithms.optimizer import (
    Constraints,
    PriceDecision,
    markdown_price,
    optimise_price,
)
from ..conf import pricing_settings
from ..models import ElasticityEstimate, PriceSuggestion
from ..selectors import (
    competitor_prices_latest,
    estimates_current,
    rule_merge_sources,
    rules_active,
    sales_lines,
)

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")


def _money(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 2))).quantize(CENT)


def _current_price(product: Product, est: ElasticityEstimate) -> float | None:
    price = float(product.list_price or 0)
    return price if price > 0 else est.last_price


def _source(sources: dict, name: str) -> str:
    return sources.get(name, "default")


def _cost(product: Product, est: ElasticityEstimate, rule: dict, conf: dict):
    """(unit cost GBP or None, where it came from: the rule that sets it)."""
    sources = rule.get("_sources", {})
    objective = rule.get("objective", "auto")
    if objective == "revenue":
        return None, f"objective revenue ({_source(sources, 'objective')})"
    if product.cost_price is not None and product.cost_price > 0:
        return float(product.cost_price), "product cost price"
    margin = rule.get("assumed_margin", conf["ASSUMED_MARGIN"])
    if margin is None or not est.anchor_price:
        return None, "no cost known: revenue is maximised"
    return (
        (1 - margin) * est.anchor_price,
        f"assumed {1 - margin:.0%} of typical price {est.anchor_price:.2f} GBP "
        f"(assumed margin {margin:.0%}, {_source(sources, 'assumed_margin')})",
    )


_BOUND_RULES = {
    "max_change": ("max_change",),
    "min_margin": ("min_margin",),
    "competitor": ("competitor_below", "competitor_above"),
    "extrapolation": ("extrapolation",),
}


def _bound_text(name: str, rule: dict, conf: dict) -> str:
    sources = rule.get("_sources", {})
    fields = _BOUND_RULES.get(name)
    if not fields:
        return name.replace("_", " ")
    parts = []
    for f in fields:
        value = rule.get(f, conf[f.upper()])
        parts.append(f"{f} {value:.0%} ({_source(sources, f)})")
    return " and ".join(parts)


def conflict_text(d: PriceDecision, rule: dict, conf: dict, cost_source: str) -> str:
    """Which rules leave no feasible price, with their values and where they are set.

    Parameters
    ----------
    d : PriceDecision with status ``infeasible`` (its ``bounds``: rule -> (low, high)
        GBP, ``lower`` > ``upper``).
    rule : dict, effective rule values with their ``_sources``.
    """
    tol = 1e-9
    lows = [
        n for n, b in d.bounds.items() if b[0] is not None and b[0] >= d.lower - tol
    ]
    highs = [
        n for n, b in d.bounds.items() if b[1] is not None and b[1] <= d.upper + tol
    ]
    low = " + ".join(_bound_text(n, rule, conf) for n in lows)
    high = " + ".join(_bound_text(n, rule, conf) for n in highs)
    extra = f" (unit cost {cost_source})" if "min_margin" in lows else ""
    return (
        f"{low}{extra} needs at least {d.lower:.2f} GBP, but {high} allows at most "
        f"{d.upper:.2f} GBP"
    )


def _rule(ctx: dict, product_id: int, category: str) -> dict:
    """Effective rule values for one product, with ``_sources`` (field -> rule)."""
    values, sources = rule_merge_sources(
        rules=ctx["rules"], product_id=product_id, category=category
    )
    return {**values, "_sources": sources}


def _constraints(est, rule: dict, conf: dict, floor: float | None, comp):
    return Constraints(
        min_margin=rule.get("min_margin", conf["MIN_MARGIN"]),
        max_change=rule.get("max_change", conf["MAX_CHANGE"]),
        endings=tuple(rule.get("endings") or conf["ENDINGS"]),
        small_price_ending=conf["SMALL_PRICE_ENDING"],
        competitor_price=comp,
        competitor_below=rule.get("competitor_below", conf["COMPETITOR_BELOW"]),
        competitor_above=rule.get("competitor_above", conf["COMPETITOR_ABOVE"]),
        extrapolation=rule.get("extrapolation", conf["EXTRAPOLATION"]),
        observed_min=est.min_price,
        observed_max=est.max_price,
        floor_price=floor,
        floor_reason="no_discount: forecast to sell out",
    )


def crosses_zero(interval) -> bool:
    """True when an expected-change interval (low, mid, high) has both signs."""
    if interval is None:
        return False
    low, _, high = interval
    return low is not None and high is not None and low < 0 < high


def _store(
    product,
    est,
    kind: str,
    d: PriceDecision,
    cost_source: str,
    *,
    rule_conflict: str = "",
    days_of_cover: float | None = None,
):
    """Create the suggestion unless the same one is already open (idempotent)."""
    open_ = PriceSuggestion.objects.filter(
        product=product, kind=kind, status=PriceSuggestion.Status.PROPOSED
    ).first()
    price = _money(d.suggested_price)
    if (
        open_
        and open_.estimate_id == est.pk
        and open_.suggested_price == price
        and open_.rule_conflict == rule_conflict[:500]
    ):
        return open_, False
    if open_:
        open_.status = PriceSuggestion.Status.SUPERSEDED
        open_.save(update_fields=["status", "updated_at"])
    pc = d.profit_change or (None, None, None)
    sug = PriceSuggestion.objects.create(
        product=product,
        estimate=est,
        kind=kind,
        current_price=_money(d.current_price),
        suggested_price=price,
        currency=product.currency,
        objective=d.objective,
        unit_cost=_money(d.cost),
        cost_source=cost_source[:120],
        elasticity=d.elasticity,
        elasticity_low=d.elasticity_low,
        elasticity_high=d.elasticity_high,
        units_now=d.units_now,
        units_change=d.units_change[1],
        units_change_low=d.units_change[0],
        units_change_high=d.units_change[2],
        revenue_change=d.revenue_change[1],
        revenue_change_low=d.revenue_change[0],
        revenue_change_high=d.revenue_change[2],
        profit_change=pc[1],
        profit_change_low=pc[0],
        profit_change_high=pc[2],
        binding_constraint=d.binding[:255],
        inelastic=d.inelastic,
        uncertain=crosses_zero(d.profit_change or d.revenue_change),
        rule_conflict=rule_conflict[:500],
        days_of_cover=days_of_cover,
        rationale=d.rationale,
        decision=json_safe(d.to_dict()),
        model_version=est.model_version,
    )
    return sug, True


def _inventory_cover() -> tuple[dict[int, dict], str]:
    """product id -> the inventory app's view of its stock, from the latest forecast
    run: ``days_of_cover`` (days, None when no demand is forecast), ``mean_daily``
    (units/day), ``available`` (units) and ``assumed`` (no stock count).

    The inventory app is optional: when it is missing or has no succeeded forecast
    run, ({}, reason) is returned and recent sales stand in for the forecast.
    """
    try:
        from inventory.models import Forecast
        from inventory.selectors import forecast_run_latest
    except ImportError:
        return {}, "inventory app not installed"
    try:
        run = forecast_run_latest()
        if run is None:
            return {}, "no inventory forecast run yet"
        rows = Forecast.objects.filter(run=run).values_list(
            "product_id", "days_of_cover", "mean_daily", "available", "stock_is_assumed"
        )
        return {
            pid: {
                "days_of_cover": cover,
                "mean_daily": float(mean),
                "available": available,
                "assumed": assumed,
            }
            for pid, cover, mean, available, assumed in rows
        }, f"inventory forecast run {run.pk}"
    except Exception as exc:  # the forecast is optional: never block pricing on it
        logger.warning("inventory forecasts unavailable: %s", exc)
        return {}, "inventory forecast failed"


def _recent_daily_units(weeks: int = 12) -> dict[int, float]:
    """Average units/day per product over the last ``weeks`` weeks of sales."""
    last = sales_lines().aggregate(t=Max("order__placed_at"))["t"]
    if last is None:
        return {}
    rows = (
        sales_lines()
        .filter(order__placed_at__gte=last - timedelta(weeks=weeks))
        .values("product_id")
        .annotate(units=Sum("quantity"))
    )
    return {r["product_id"]: r["units"] / (7 * weeks) for r in rows}


def _stock_view(conf: dict) -> dict[int, dict]:
    """Per product with stock: available units, demand (units/day), days of cover
    (the inventory app's, from its latest forecast run, else from the last 12 weeks
    of sales), and whether it sells out within ``SELLOUT_HORIZON_WEEKS``."""
    levels = StockLevel.objects.filter(product__is_active=True).values_list(
        "product_id", "on_hand", "reserved", "is_assumed"
    )
    if not levels.exists():
        return {}
    cover, cover_source = _inventory_cover()
    rates = _recent_daily_units() if len(cover) < len(levels) else {}
    horizon_days = 7 * conf["SELLOUT_HORIZON_WEEKS"]
    out = {}
    for pid, on_hand, reserved, assumed in levels:
        inv = cover.get(pid)
        if inv is not None:
            available, rate = inv["available"], inv["mean_daily"]
            days, source = inv["days_of_cover"], cover_source
        else:
            available, rate = on_hand - reserved, rates.get(pid, 0.0)
            days = available / rate if rate > 0 else None
            source = "last 12 weeks of sales"
        out[pid] = {
            "available": available,
            "assumed": assumed,
            "rate": rate,
            "source": source,
            "days_of_cover": days,  # None: no demand
            "sells_out": rate > 0 and available <= rate * horizon_days,
        }
    return out


def _overstocked(s: dict, conf: dict) -> bool:
    days = s["days_of_cover"]
    if s["sells_out"] or s["available"] <= 0:
        return False
    return days is None or days > conf["OVERSTOCK_DAYS"]


def _holding_saved(cost: float | None, days: float | None, conf: dict) -> float:
    """GBP per unit: ``HOLDING_COST_RATE x cost x min(days of cover, cap) / 365``,
    the holding an overstocked unit sold now saves (0 without a cost; the cap when
    there is no demand forecast)."""
    if cost is None:
        return 0.0
    cap = float(conf["HOLDING_DAYS_CAP"])
    held = cap if days is None else min(float(days), cap)
    return float(conf["HOLDING_COST_RATE"]) * float(cost) * held / 365.0


def _markdowns(estimates: dict, stock: dict, ctx: dict, counts) -> None:
    conf = ctx["conf"]
    for pid, s in stock.items():
        if not _overstocked(s, conf):
            continue
        if s["assumed"] and not conf["MARKDOWN_ON_ASSUMED_STOCK"]:
            counts["markdown_skipped_assumed_stock"] += 1
            continue
        est = estimates.get(pid)
        if est is None:
            counts["markdown_skipped_no_estimate"] += 1
            continue
        product = est.product
        current = _current_price(product, est)
        if not current or current <= 0:
            counts["markdown_skipped_no_price"] += 1
            continue
        rule = _rule(ctx, pid, est.category)
        cost, cost_source = _cost(product, est, rule, conf)
        depth = min(conf["MARKDOWN"], rule.get("max_change", conf["MAX_CHANGE"]))
        d = markdown_price(
            holding_saved=_holding_saved(cost, s["days_of_cover"], conf),
            current_price=current,
            depth=depth,
            elasticity=est.elasticity,
            elasticity_ci=(est.ci_low, est.ci_high) if est.elasticity else None,
            anchor_price=est.anchor_price,
            anchor_units=est.anchor_units,
            cost=cost,
            constraints=_constraints(est, rule, conf, None, ctx["comp"].get(pid)),
        )
        if d.status != "ok":
            counts["markdown_infeasible"] += 1
            continue
        days = s["days_of_cover"]
        d.rationale = (
            f"Overstock: {s['available']:,} units available, "
            + (
                "no demand forecast"
                if days is None
                else f"{days:,.0f} days of cover at {s['rate']:.1f} units/day"
            )
            + f" ({s['source']}); markdowns start above {conf['OVERSTOCK_DAYS']} "
            "days. " + d.rationale
        )
        sug, created = _store(
            product,
            est,
            PriceSuggestion.Kind.MARKDOWN,
            d,
            cost_source,
            days_of_cover=days,
        )
        ctx["kept"].add(sug.pk)
        counts["markdown_created" if created else "markdown_unchanged"] += 1


def prices_suggest(
    *, progress: Callable | None = None, run: TaskRun | None = None
) -> dict:
    """Propose prices for every product with a current elasticity, plus markdowns.

    Suggestions are only proposed: nothing changes a list price until a person
    approves it (``suggestions_approve`` / ``suggestion_edit``). Re-running with the
    same estimates leaves the open suggestions as they are (idempotent); a changed
    suggestion supersedes the open one.

    Products whose elasticity is only their category's prior (status ``prior``: the
    price never moved) get no price move unless ``MOVE_ON_PRIORS`` is set; they are
    counted as ``held_prior_only``. A price move expected to gain less than
    ``MIN_WEEKLY_GAIN`` (GBP/week of profit, or revenue without a cost) is not worth
    a reviewer's time: counted as ``skipped_small_gain``. Open suggestions this run
    does not propose again are superseded (``superseded_not_proposed_again``).

    Returns
    -------
    dict with counts (created, unchanged, skipped by reason, markdowns).
    """
    conf = pricing_settings()
    statuses = ["identified"] + (["pooled"] if conf["SUGGEST_POOLED"] else [])
    if conf["MOVE_ON_PRIORS"]:
        statuses.append("prior")
    estimates = {e.product_id: e for e in estimates_current()}
    items = [
        e
        for e in estimates.values()
        if e.status in statuses and e.elasticity is not None
    ]
    counts: collections.Counter = collections.Counter()
    held = (
        sum(e.status == "prior" for e in estimates.values())
        if not (conf["MOVE_ON_PRIORS"])
        else 0
    )
    if held:
        counts["held_prior_only"] = held
    ctx = {
        "conf": conf,
        "rules": rules_active(),
        "comp": competitor_prices_latest(),
        "stock": _stock_view(conf),
        "kept": set(),
    }
    iterator = progress(items, len(items)) if progress else items
    with transaction.atomic():
        for i, est in enumerate(iterator):
            counts[_suggest_one(est, ctx)] += 1
            if i % 500 == 0:
                run_progress(run, 0.7 + 0.25 * i / max(len(items), 1), "suggesting")
        _markdowns(estimates, ctx["stock"], ctx, counts)
        stale = PriceSuggestion.objects.filter(
            status=PriceSuggestion.Status.PROPOSED
        ).exclude(pk__in=ctx["kept"])
        n_stale = stale.update(status=PriceSuggestion.Status.SUPERSEDED)
        if n_stale:
            counts["superseded_not_proposed_again"] = n_stale
    return dict(counts)


def _suggest_one(est: ElasticityEstimate, ctx: dict) -> str:
    conf, product = ctx["conf"], est.product
    current = _current_price(product, est)
    if not product.is_active or not current or not est.anchor_units:
        return "skipped_inactive_or_unpriced"
    rule = _rule(ctx, product.pk, est.category)
    cost, cost_source = _cost(product, est, rule, conf)
    floor = current if ctx["stock"].get(product.pk, {}).get("sells_out") else None
    d = optimise_price(
        current_price=current,
        elasticity=est.elasticity,
        elasticity_ci=(est.ci_low, est.ci_high),
        anchor_price=est.anchor_price,
        anchor_units=est.anchor_units,
        cost=cost,
        constraints=_constraints(est, rule, conf, floor, ctx["comp"].get(product.pk)),
    )
    if d.status == "infeasible":
        conflict = conflict_text(d, rule, conf, cost_source)
        d.rationale = (
            f"The pricing rules conflict: {conflict}. The price stays at "
            f"{d.current_price:.2f} GBP until one of these rules is changed."
        )
        sug, _ = _store(
            product,
            est,
            PriceSuggestion.Kind.OPTIMISE,
            d,
            cost_source,
            rule_conflict=conflict,
        )
        ctx["kept"].add(sug.pk)
        return "rule_conflict"
    if d.status != "ok":
        return f"skipped_{d.status}"
    gain = (d.profit_change or d.revenue_change)[1]
    if gain < conf["MIN_WEEKLY_GAIN"]:
        return "skipped_small_gain"
    d.rationale += f" Unit cost: {cost_source}. Evidence quality: {est.quality}."
    if est.status == ElasticityEstimate.Status.PRIOR:
        d.rationale += (
            " The price never moved, so the elasticity is the category's prior "
            f"(moves on priors are allowed by the pricing settings): {est.message}."
        )
    elif est.pooled:
        d.rationale += (
            f" The elasticity borrows strength from the {est.category} "
            f"category: {est.message.split(': ')[0]}."
        )
    sug, created = _store(product, est, PriceSuggestion.Kind.OPTIMISE, d, cost_source)
    ctx["kept"].add(sug.pk)
    return "created" if created else "unchanged"
