"""Did a price change do what its forecast said? (a readout after N weeks)

For one price change from ``p0`` to ``p1`` (GBP) at time ``t`` and a forecast made with
elasticity ``e`` and its interval ``[e_lo, e_hi]``, compare the ``weeks`` weeks after
``t`` with what the old price would have done in them:

* **baseline** (the old price in the after-weeks): the product's units per week in the
  ``weeks`` weeks before ``t``, scaled by the market ratio (the market's units after /
  before; the caller passes the market: the services use the other products of the
  product's category, which share its season, or the whole shop for small categories);
  baseline revenue = baseline units x the average unit price paid before (so volume
  tiers and channels stay as they were);
* **forecast**: baseline units x ``(p1 / p0) ** e`` for each elasticity in the
  interval (low, expected, high), revenue at the average price scaled by ``p1 / p0``;
* **actual**: the units and revenue of the after-weeks; profit = revenue - unit cost x
  units (when a unit cost is known).

The *expected change* is forecast - baseline, the *realised change* actual - baseline,
per week. The elasticity interval says nothing about how much one product's weekly
sales wander anyway, so the comparison band adds a **noise band**: 1.96 x the standard
deviation of the product's weekly objective in the weeks before (weeks without sales
count as 0) x sqrt(2 / weeks) (the difference of two means of ``weeks`` weeks). A
readout is a **hit** when the realised change of the objective (profit when a cost is
known, else revenue) lies within the expected interval widened by the noise band, and
**direction right** when realised and expected change have the same sign.

No Django import here: input is a frame of order lines.

References
----------
Phillips, *Pricing and Revenue Optimization*, 2nd ed., 2021, ch. 3 (constant-elasticity
response); Brodersen et al., "Inferring causal impact using Bayesian structural
time-series models", Ann. Appl. Stat. 2015 (measuring an intervention against a
market-adjusted counterfactual; here the simplest such counterfactual, a ratio).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass
class Readout:
    """One price change measured after ``weeks`` weeks (units/week, GBP/week)."""

    weeks: int
    old_price: float
    new_price: float
    objective: str  # profit | revenue
    units_before: float
    market_ratio: float
    units_baseline: float
    units_after: float
    units_forecast: tuple[float, float, float]  # low, expected, high
    revenue_baseline: float
    revenue_after: float
    revenue_forecast: tuple[float, float, float]
    profit_baseline: float | None
    profit_after: float | None
    profit_forecast: tuple[float, float, float] | None
    expected_change: tuple[float, float, float]  # objective, forecast - baseline
    realised_change: float  # objective, actual - baseline
    noise_band: float  # objective, GBP/week: +/- around the expected interval
    hit: bool
    direction_right: bool

    def to_dict(self) -> dict:
        return asdict(self)


def _span(values: np.ndarray, mid: int) -> tuple[float, float, float]:
    return float(values.min()), float(values[mid]), float(values.max())


def _noise_band(before: pd.DataFrame, start, weeks: int, cost: float | None) -> float:
    """1.96 x sd of the weekly objective before the change x sqrt(2 / weeks)."""
    value = before["quantity"] * (
        before["unit_price"] - (cost if cost is not None else 0.0)
    )
    week = (pd.to_datetime(before["placed_at"]) - start) // pd.Timedelta(weeks=1)
    weekly = value.groupby(week.astype(int)).sum().reindex(range(weeks), fill_value=0)
    if weeks < 2:
        return 0.0
    return float(1.96 * weekly.std(ddof=1) * np.sqrt(2.0 / weeks))


def price_change_readout(
    lines: pd.DataFrame,
    market_units: pd.Series,
    *,
    changed_at: pd.Timestamp,
    old_price: float,
    new_price: float,
    elasticity: float,
    elasticity_ci: tuple[float, float],
    unit_cost: float | None,
    weeks: int = 8,
) -> Readout:
    """Measure one price change against its forecast (see the module docstring).

    Parameters
    ----------
    lines : pandas.DataFrame of the product's sold lines (quantity > 0, unit price >
        0) with ``placed_at`` (datetime), ``quantity`` (units), ``unit_price`` (GBP).
    market_units : pandas.Series indexed by week (Monday, naive datetime) of the
        market's units that week (other products: the category's, or the shop's).
    changed_at : pandas.Timestamp, when the new price took effect (naive, UTC).
    old_price, new_price : float, list prices before and after (GBP, > 0).
    elasticity : float, the forecast's elasticity; ``elasticity_ci`` its interval.
    unit_cost : float or None, GBP; None -> the objective is revenue.
    weeks : int, weeks measured on each side of the change.

    Returns
    -------
    Readout

    Raises
    ------
    ValueError
        A price is not positive, ``weeks`` < 1, or the weeks before the change have no
        sales (there is no baseline to compare with).
    """
    if not (old_price > 0 and new_price > 0):
        raise ValueError(f"prices must be > 0, got {old_price!r} -> {new_price!r}")
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks!r}")
    t = pd.Timestamp(changed_at)
    span = pd.Timedelta(weeks=weeks)
    placed = pd.to_datetime(lines["placed_at"])
    before = lines[(placed >= t - span) & (placed < t)]
    after = lines[(placed >= t) & (placed < t + span)]
    units_before = float(before["quantity"].sum()) / weeks
    if units_before <= 0:
        raise ValueError(f"no sales in the {weeks} weeks before {t:%Y-%m-%d}")
    paid_before = float((before["quantity"] * before["unit_price"]).sum()) / (
        units_before * weeks
    )
    week0 = (t - pd.Timedelta(days=t.dayofweek)).normalize()
    idx = pd.to_datetime(market_units.index)
    m_before = float(market_units[(idx >= week0 - span) & (idx < week0)].sum())
    m_after = float(market_units[(idx >= week0) & (idx < week0 + span)].sum())
    ratio = m_after / m_before if m_before > 0 and m_after > 0 else 1.0
    base_units = units_before * ratio
    e_lo, e_hi = sorted(elasticity_ci)
    grid = np.unique(np.r_[np.linspace(e_lo, e_hi, 21), elasticity])
    mid = int(np.flatnonzero(grid == elasticity)[0])
    step = new_price / old_price
    f_units = base_units * step**grid
    paid_after = paid_before * step
    units_after = float(after["quantity"].sum()) / weeks
    revenue_after = float((after["quantity"] * after["unit_price"]).sum()) / weeks
    base_rev, f_rev = base_units * paid_before, f_units * paid_after
    if unit_cost is not None:
        base_obj = base_units * (paid_before - unit_cost)
        f_obj = f_units * (paid_after - unit_cost)
        actual_obj = revenue_after - unit_cost * units_after
        profit = (base_obj, actual_obj, _span(f_obj, mid))
    else:
        base_obj, f_obj, actual_obj = base_rev, f_rev, revenue_after
        profit = (None, None, None)
    expected = _span(f_obj - base_obj, mid)
    realised = actual_obj - base_obj
    noise = _noise_band(before, t - span, weeks, unit_cost)
    return Readout(
        weeks=weeks,
        old_price=old_price,
        new_price=new_price,
        objective="profit" if unit_cost is not None else "revenue",
        units_before=units_before,
        market_ratio=ratio,
        units_baseline=base_units,
        units_after=units_after,
        units_forecast=_span(f_units, mid),
        revenue_baseline=base_rev,
        revenue_after=revenue_after,
        revenue_forecast=_span(f_rev, mid),
        profit_baseline=profit[0],
        profit_after=profit[1],
        profit_forecast=profit[2],
        expected_change=expected,
        realised_change=float(realised),
        noise_band=noise,
        hit=bool(expected[0] - noise <= realised <= expected[2] + noise),
        direction_right=bool(np.sign(realised) == np.sign(expected[1])),
    )


def readout_summary(readouts: list[Readout]) -> dict:
    """Hit rate, direction rate and total realised vs expected (GBP/week).

    Returns
    -------
    dict with ``n``, ``hit_rate``, ``direction_rate`` (shares), ``expected_total``,
    ``expected_low_total``, ``expected_high_total``, ``realised_total`` (GBP/week,
    summed over the changes).
    """
    if not readouts:
        return {"n": 0}
    exp = np.array([r.expected_change for r in readouts], float)
    return {
        "n": len(readouts),
        "hit_rate": float(np.mean([r.hit for r in readouts])),
        "direction_rate": float(np.mean([r.direction_right for r in readouts])),
        "expected_total": float(exp[:, 1].sum()),
        "expected_low_total": float(exp[:, 0].sum()),
        "expected_high_total": float(exp[:, 2].sum()),
        "realised_total": float(sum(r.realised_change for r in readouts)),
    }
