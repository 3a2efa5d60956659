"""'Did it work': readouts of applied prices, and the replay of past price changes."""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace

import pandas as pd
from django.db import transaction

from ..algorithms.panel import weekly_panel
from ..algorithms.pooling import derive_category
from ..algorithms.readout import Readout, price_change_readout, readout_summary
from ..conf import pricing_settings
from ..models import PriceReadout, PriceSuggestion
from ..selectors import (
    product_descriptions,
    rule_merge_sources,
    rules_active,
    sales_lines_frame,
)
from .estimation import _params, estimate_lines
from .suggestions import _cost

logger = logging.getLogger(__name__)


def _naive(ts) -> pd.Timestamp:
    ts = pd.Timestamp(ts)
    return ts.tz_convert("UTC").tz_localize(None) if ts.tzinfo else ts


def _prepare(lines: pd.DataFrame) -> pd.DataFrame:
    out = lines[(lines["quantity"] > 0) & (lines["unit_price"] > 0)].copy()
    placed = pd.to_datetime(out["placed_at"])
    if getattr(placed.dt, "tz", None) is not None:
        placed = placed.dt.tz_convert("UTC").dt.tz_localize(None)
    out["placed_at"] = placed
    out["week"] = (placed - pd.to_timedelta(placed.dt.dayofweek, "D")).dt.normalize()
    return out


MIN_CATEGORY_PRODUCTS = 5


def _categories(product_ids) -> dict[int, str]:
    """product id -> category, as the estimation takes it (shop category, else the
    description rule)."""
    info = product_descriptions(product_ids=product_ids)
    return {pid: cat or derive_category(desc) for pid, (desc, cat) in info.items()}


class _History:
    """Sales lines by product, and the weekly units of the product's market: the
    other products of its category (products of one category share a season: hot
    water bottles peak before Christmas, garden items in spring), or the whole shop
    when the category has fewer than ``MIN_CATEGORY_PRODUCTS`` products with sales."""

    def __init__(self, lines: pd.DataFrame, categories: dict | None = None) -> None:
        self.lines = _prepare(lines)
        self.by_product = dict(tuple(self.lines.groupby("product_id")))
        self.market = self.lines.groupby("week")["quantity"].sum()
        self.last = self.lines["placed_at"].max() if len(self.lines) else None
        cats = self.lines["product_id"].map(categories or {}).fillna("")
        sizes = self.lines.groupby(cats)["product_id"].nunique()
        self.categories = categories or {}
        self.big = set(sizes[sizes >= MIN_CATEGORY_PRODUCTS].index) - {""}
        self.by_category = {
            c: w.groupby("week")["quantity"].sum()
            for c, w in self.lines.groupby(cats)
            if c in self.big
        }

    def product(self, pid: int) -> pd.DataFrame:
        return self.by_product.get(pid, self.lines.iloc[0:0])

    def market_without(self, pid: int) -> pd.Series:
        own = self.product(pid).groupby("week")["quantity"].sum()
        cat = self.categories.get(pid, "")
        market = self.by_category.get(cat, self.market)
        return market.sub(own, fill_value=0.0)


def _readout(history: _History, pid: int, **kw) -> Readout:
    return price_change_readout(history.product(pid), history.market_without(pid), **kw)


def readouts_measure(*, weeks: int | None = None) -> dict:
    """Measure every applied price whose ``weeks`` weeks have passed in the sales data.

    An applied suggestion gets one :class:`PriceReadout` (idempotent: measured ones
    are left as they are). "Passed" is judged on the sales data's own clock (its
    last sale), so a readout never counts weeks that have no data yet.

    Returns
    -------
    dict with counts ``measured``, ``waiting`` (window not over), ``no_baseline``
    (no sales in the weeks before the change) and the ``summary`` of all readouts.
    """
    weeks = weeks or pricing_settings()["READOUT_WEEKS"]
    todo = list(
        PriceSuggestion.objects.filter(
            status=PriceSuggestion.Status.APPLIED,
            applied_at__isnull=False,
            readout__isnull=True,
        )
    )
    counts: collections.Counter = collections.Counter()
    if todo:
        lines = sales_lines_frame()
        history = _History(lines, _categories(lines["product_id"].unique()))
        for s in todo:
            counts[_measure_one(history, s, weeks)] += 1
    return {**counts, "summary": readouts_summary()}


def _measure_one(history: _History, s: PriceSuggestion, weeks: int) -> str:
    changed = _naive(s.applied_at)
    if history.last is None or changed + pd.Timedelta(weeks=weeks) > history.last:
        return "waiting"
    try:
        r = _readout(
            history,
            s.product_id,
            changed_at=changed,
            old_price=float(s.current_price),
            new_price=float(s.final_price),
            elasticity=s.elasticity,
            elasticity_ci=(s.elasticity_low, s.elasticity_high),
            unit_cost=float(s.unit_cost) if s.unit_cost is not None else None,
            weeks=weeks,
        )
    except ValueError as exc:
        logger.info("no readout for suggestion %s: %s", s.pk, exc)
        return "no_baseline"
    with transaction.atomic():
        PriceReadout.objects.create(
            suggestion=s, changed_at=s.applied_at, **_readout_fields(r)
        )
    return "measured"


def _readout_fields(r: Readout) -> dict:
    return {
        "weeks": r.weeks,
        "objective": r.objective,
        "market_ratio": r.market_ratio,
        "units_baseline": r.units_baseline,
        "units_after": r.units_after,
        "units_forecast_low": r.units_forecast[0],
        "units_forecast": r.units_forecast[1],
        "units_forecast_high": r.units_forecast[2],
        "revenue_baseline": r.revenue_baseline,
        "revenue_after": r.revenue_after,
        "profit_baseline": r.profit_baseline,
        "profit_after": r.profit_after,
        "expected_change_low": r.expected_change[0],
        "expected_change": r.expected_change[1],
        "expected_change_high": r.expected_change[2],
        "realised_change": r.realised_change,
        "noise_band": r.noise_band,
        "hit": r.hit,
        "direction_right": r.direction_right,
    }


def readouts_summary() -> dict:
    """Hit rate and total realised vs expected change over all stored readouts."""
    rows = PriceReadout.objects.values_list(
        "hit",
        "direction_right",
        "expected_change_low",
        "expected_change",
        "expected_change_high",
        "realised_change",
    )
    if not rows:
        return {"n": 0}
    n = len(rows)
    return {
        "n": n,
        "hit_rate": sum(r[0] for r in rows) / n,
        "direction_rate": sum(r[1] for r in rows) / n,
        "expected_low_total": sum(r[2] for r in rows),
        "expected_total": sum(r[3] for r in rows),
        "expected_high_total": sum(r[4] for r in rows),
        "realised_total": sum(r[5] for r in rows),
    }


# -- replay -----------------------------------------------------------------------


def _changes_after(panel: pd.DataFrame, start, end, min_step: float) -> list[tuple]:
    """(product id, week, old price, new price) of list-price changes in the
    reference (identified) channel with the new week in [start, end)."""
    ident = panel[panel["channel"] == "identified"].sort_values(["product_id", "week"])
    prev = ident.groupby("product_id")["list_price"].shift()
    step = ident["list_price"] / prev - 1
    moved = ident[(step.abs() >= min_step) & ident["week"].between(start, end)]
    moved = moved[moved["week"] < end]
    return [
        (int(r.product_id), r.week, float(p), float(r.list_price))
        for r, p in zip(moved.itertuples(), prev[moved.index], strict=True)
    ]


def price_changes_replay(
    *,
    cutoffs: list[datetime],
    weeks: int | None = None,
    window_weeks: int = 4,
    min_step: float = 0.02,
    progress: Callable | None = None,
) -> dict:
    """Replay history: forecast past price changes as a suggestion would have, then
    read them out against the weeks that followed.

    For each cut-off ``T`` the weekly job's estimation runs on the sales before ``T``
    only (same panel, estimator, pooling and priors); every list-price change of the
    ``window_weeks`` weeks from ``T`` (a move of at least ``min_step``) is forecast with
    the product's elasticity as of ``T`` and its unit cost as the suggestions take it
    (the product's cost, else the assumed-margin rule), and measured with the served
    readout (:func:`pricing.algorithms.readout.price_change_readout`).

    Returns
    -------
    dict with ``overall``, ``by_evidence`` (identified / pooled / prior) and
    ``by_size`` (moves up to 15 %, like the suggestions', and larger) summaries,
    ``skipped`` counts and the per-change ``rows``.
    """
    conf = pricing_settings()
    weeks = weeks or conf["READOUT_WEEKS"]
    params = _params()
    lines = sales_lines_frame(sources=params["sources"])
    history = _History(lines, _categories(lines["product_id"].unique()))
    panel = weekly_panel(
        lines,
        small_order_quantile=params["small_order_quantile"],
        reference_window=params["reference_window"],
    )
    info = product_descriptions(product_ids=panel["product_id"].unique())
    rules = rules_active()
    rows, skipped = [], collections.Counter()
    for cutoff in cutoffs:
        t = _naive(cutoff)
        placed = pd.to_datetime(lines["placed_at"], utc=True)
        before = lines[placed < pd.Timestamp(t, tz="UTC")]
        results, categories, _, _ = estimate_lines(before, params, progress=progress)
        end = t + pd.Timedelta(weeks=window_weeks)
        for pid, week, old, new in _changes_after(panel, t, end, min_step):
            est = results.get(pid)
            if (
                est is None
                or est.elasticity is None
                or est.status
                not in (
                    "identified",
                    "pooled",
                    "prior",
                )
            ):
                skipped["no_elasticity_at_cutoff"] += 1
                continue
            if week + pd.Timedelta(weeks=weeks) > history.last:
                skipped["window_beyond_data"] += 1
                continue
            change = (pid, week, old, new)
            row = _replay_one(
                history, change, est, categories.get(pid, ""), rules, weeks
            )
            if row is None:
                skipped["no_baseline"] += 1
                continue
            row.update(cutoff=f"{t:%Y-%m-%d}", description=info.get(pid, ("", None))[0])
            rows.append(row)
    return _replay_report(rows, skipped, weeks)


def _replay_one(history, change, est, category, rules, weeks) -> dict | None:
    pid, week, old, new = change
    values, sources = rule_merge_sources(rules=rules, product_id=pid, category=category)
    cost, _ = _cost(
        SimpleNamespace(cost_price=None),
        SimpleNamespace(anchor_price=est.anchor_price),
        {**values, "_sources": sources},
        pricing_settings(),
    )
    try:
        r = _readout(
            history,
            pid,
            changed_at=week,
            old_price=old,
            new_price=new,
            elasticity=est.elasticity,
            elasticity_ci=(est.ci_low, est.ci_high),
            unit_cost=cost,
            weeks=weeks,
        )
    except ValueError:
        return None
    return {
        "product_id": pid,
        "week": f"{week:%Y-%m-%d}",
        "evidence": est.status,
        "elasticity": est.elasticity,
        "readout": r,
    }


def _replay_report(rows: list[dict], skipped, weeks: int) -> dict:
    by, size = collections.defaultdict(list), collections.defaultdict(list)
    for row in rows:
        r = row["readout"]
        by[row["evidence"]].append(r)
        step = abs(r.new_price / r.old_price - 1)
        size["moves <= 15 %" if step <= 0.15 else "moves > 15 %"].append(r)
    return {
        "weeks": weeks,
        "overall": readout_summary([r["readout"] for r in rows]),
        "by_evidence": {k: readout_summary(v) for k, v in sorted(by.items())},
        "by_size": {k: readout_summary(v) for k, v in sorted(size.items())},
        "skipped": dict(skipped),
        "rows": rows,
    }
