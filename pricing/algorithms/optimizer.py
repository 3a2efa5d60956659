"""Profit- (or revenue-) maximising price under the shop's rules.

Demand is the fitted constant-elasticity curve ``q(p) = Q * (p / P) ** e`` (``P`` the
anchor price in GBP, ``Q`` units/week at ``P``, ``e`` the elasticity). The objective is
weekly profit ``(p - c) * q(p)`` when the unit cost ``c`` is known (from the data or a
margin assumption), else revenue ``p * q(p)``.

Feasible prices are the intersection of the bounds set by the rules:

* ``min_margin``: gross margin ``(p - c) / p >= m``, i.e. ``p >= c / (1 - m)``;
* ``max_change``: ``|p / p_now - 1| <= d`` per step;
* ``competitor``: ``comp * (1 - below) <= p <= comp * (1 + above)`` when a competitor
  price is given;
* ``extrapolation``: ``p_min_obs * (1 - s) <= p <= p_max_obs * (1 + s)``: the curve is
  not trusted far outside the prices it was fitted on.

The continuous optimum on that interval is found with ``scipy.optimize
.minimize_scalar`` (bounded) and compared with both ends; then the best price on the
price ladder (endings such as .49/.99, or .x9 below 1 GBP) inside the interval is
taken, the current price being a candidate too. The answer is re-checked against every
bound; the solver's own success flag is not trusted. With ``|e| < 1`` the objective
rises with price without limit, so the upper bound binds: the output says so.

References
----------
Phillips, *Pricing and Revenue Optimization*, 2nd ed., 2021, ch. 3 (constant-elasticity
optimum ``p* = c * e / (1 + e)`` for ``e < -1``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import optimize


@dataclass
class Constraints:
    """The rules a suggested price must satisfy (prices GBP, shares as fractions)."""

    min_margin: float | None = 0.10
    max_change: float = 0.10
    endings: tuple[float, ...] = (0.49, 0.99)
    small_price_ending: float = 0.09  # below 1 GBP: 0.09, 0.19, ..., 0.99
    competitor_price: float | None = None
    competitor_below: float = 0.15
    competitor_above: float = 0.05
    extrapolation: float = 0.10
    observed_min: float | None = None
    observed_max: float | None = None
    floor_price: float | None = None  # e.g. no discount when stock will sell out
    floor_reason: str = "no_discount"

    def __post_init__(self) -> None:
        for name in (
            "max_change",
            "competitor_below",
            "competitor_above",
            "extrapolation",
        ):
            value = getattr(self, name)
            if value is None or not 0 <= value < 1:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        if self.min_margin is not None and not 0 <= self.min_margin < 1:
            raise ValueError(f"min_margin must be in [0, 1), got {self.min_margin!r}")
        if any(not 0 < e < 1 for e in self.endings):
            raise ValueError(
                f"endings must be fractions of a pound, got {self.endings}"
            )


@dataclass
class PriceDecision:
    """A suggested price and its expected effect (weekly units, GBP per week)."""

    status: str  # ok | no_change | infeasible | not_negative
    current_price: float
    suggested_price: float
    elasticity: float
    elasticity_low: float
    elasticity_high: float
    objective: str  # profit | revenue
    cost: float | None
    units_now: float = 0.0
    units_new: float = 0.0
    units_change: tuple[float, float, float] = (0.0, 0.0, 0.0)  # low, mid, high
    revenue_change: tuple[float, float, float] = (0.0, 0.0, 0.0)
    profit_change: tuple[float, float, float] | None = None
    continuous_optimum: float | None = None
    lower: float = 0.0
    upper: float = 0.0
    binding: str = ""
    inelastic: bool = False
    bounds: dict = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    rationale: str = ""

    def to_dict(self) -> dict:
        """A JSON-safe dict (infinite bounds become None)."""
        return _finite(asdict(self))


def _finite(obj):
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def demand(price, *, elasticity: float, anchor_price: float, anchor_units: float):
    """Units per week at ``price`` (GBP) on the constant-elasticity curve."""
    return anchor_units * (np.asarray(price, float) / anchor_price) ** elasticity


def price_bounds(current: float, cost: float | None, c: Constraints) -> dict:
    """Each rule's (low, high) interval in GBP, by rule name."""
    out = {"max_change": (current * (1 - c.max_change), current * (1 + c.max_change))}
    if cost is not None and c.min_margin is not None:
        out["min_margin"] = (cost / (1 - c.min_margin), math.inf)
    if c.competitor_price:
        out["competitor"] = (
            c.competitor_price * (1 - c.competitor_below),
            c.competitor_price * (1 + c.competitor_above),
        )
    if c.observed_min and c.observed_max:
        out["extrapolation"] = (
            c.observed_min * (1 - c.extrapolation),
            c.observed_max * (1 + c.extrapolation),
        )
    if c.floor_price:
        out[c.floor_reason] = (c.floor_price, math.inf)
    out["positive"] = (0.01, math.inf)
    return out


def check_price(price: float, bounds: dict, tol: float = 1e-9) -> list[str]:
    """Names of the rules ``price`` breaks (empty when it satisfies all)."""
    return [
        n
        for n, (lo, hi) in bounds.items()
        if price < lo * (1 - tol) - tol or price > hi * (1 + tol) + tol
    ]


def ladder(lo: float, hi: float, c: Constraints) -> np.ndarray:
    """Prices on the ladder within [lo, hi]: whole pounds + endings; .x9 below 1 GBP."""
    if hi < lo:
        return np.zeros(0)
    cands = [k / 10 + c.small_price_ending for k in range(10)]
    for pound in range(int(math.floor(max(lo, 0))), int(math.floor(hi)) + 1):
        cands += [pound + e for e in c.endings]
    arr = np.round(np.array(sorted(set(cands))), 2)
    return arr[(arr >= lo - 1e-9) & (arr <= hi + 1e-9)]


def _objective(p, e, anchor_price, anchor_units, cost):
    q = demand(p, elasticity=e, anchor_price=anchor_price, anchor_units=anchor_units)
    return (np.asarray(p) - (cost or 0.0)) * q


def _binding(x: float, bounds: dict, lo: float, hi: float) -> str:
    for side, edge, idx in (("upper", hi, 1), ("lower", lo, 0)):
        if abs(x - edge) <= 1e-6 * max(1.0, edge):
            names = [n for n, b in bounds.items() if abs(b[idx] - edge) <= 1e-9]
            return f"{'+'.join(names)} ({side} bound {edge:.2f} GBP)"
    return ""


def optimise_price(
    *,
    current_price: float,
    elasticity: float,
    elasticity_ci: tuple[float, float],
    anchor_price: float,
    anchor_units: float,
    cost: float | None,
    constraints: Constraints,
) -> PriceDecision:
    """The best price within every rule, with its expected effect and a rationale.

    Parameters
    ----------
    current_price : float, GBP (> 0).
    elasticity : float, the elasticity used; ``elasticity_ci`` its (low, high) bounds.
    anchor_price, anchor_units : the demand curve's anchor (GBP, units/week).
    cost : float or None, unit cost GBP; None -> maximise revenue.
    constraints : Constraints

    Returns
    -------
    PriceDecision. Unit, revenue and profit changes are per week against the current
    price, as (low, mid, high) over elasticities in the interval.

    Raises
    ------
    ValueError
        A price, anchor or cost is not positive / finite.
    """
    for name, v in (
        ("current_price", current_price),
        ("anchor_price", anchor_price),
        ("anchor_units", anchor_units),
    ):
        if not (v and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    if cost is not None and not (math.isfinite(cost) and cost >= 0):
        raise ValueError(f"cost must be >= 0, got {cost!r}")
    e_lo, e_hi = sorted(elasticity_ci)
    objective = "profit" if cost is not None else "revenue"
    bounds = price_bounds(current_price, cost, constraints)
    lo = max(b[0] for b in bounds.values())
    hi = min(b[1] for b in bounds.values())
    d = PriceDecision(
        status="ok",
        current_price=round(current_price, 2),
        suggested_price=round(current_price, 2),
        elasticity=elasticity,
        elasticity_low=e_lo,
        elasticity_high=e_hi,
        objective=objective,
        cost=cost,
        lower=lo,
        upper=hi,
        bounds={k: list(v) for k, v in bounds.items()},
        inelastic=elasticity > -1,
    )
    if elasticity >= 0:
        d.status = "not_negative"
        d.rationale = (
            f"The estimated elasticity {elasticity:.2f} is not negative: the "
            "data do not show demand falling as price rises, so no price "
            "is suggested."
        )
        return _effects(d, anchor_price, anchor_units)
    if lo > hi:
        d.status = "infeasible"
        hi_names = [n for n, b in bounds.items() if b[1] == hi]
        lo_names = [n for n, b in bounds.items() if b[0] == lo]
        d.binding = f"{'+'.join(lo_names)} vs {'+'.join(hi_names)}"
        d.rationale = (
            f"The rules cannot all hold: {'+'.join(lo_names)} needs at least "
            f"{lo:.2f} GBP but {'+'.join(hi_names)} allows at most {hi:.2f} "
            "GBP. The price is left unchanged; review the rules."
        )
        return _effects(d, anchor_price, anchor_units)

    def neg(p):
        return -float(_objective(p, elasticity, anchor_price, anchor_units, cost))

    res = optimize.minimize_scalar(
        neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6}
    )
    pts = [x for x in (res.x, lo, hi) if np.isfinite(x) and lo <= x <= hi]
    x_best = min(pts, key=neg)
    d.continuous_optimum = float(x_best)
    d.binding = _binding(x_best, bounds, lo, hi)
    cands = ladder(lo, hi, constraints)
    if lo <= current_price <= hi:
        cands = np.r_[cands, round(current_price, 2)]
    cands = np.array([p for p in cands if not check_price(float(p), bounds)])
    if len(cands) == 0:
        d.status = "no_change"
        d.rationale = (
            f"No price on the ladder lies within {lo:.2f}-{hi:.2f} GBP and "
            "the current price breaks a rule; the price is left unchanged."
        )
        d.violations = check_price(current_price, bounds)
        return _effects(d, anchor_price, anchor_units)
    best = float(cands[np.argmin([neg(p) for p in cands])])
    d.suggested_price = round(best, 2)
    d.violations = check_price(d.suggested_price, bounds)
    if d.violations:  # never trust the search: fall back to the current price
        d.status, d.suggested_price = "no_change", round(current_price, 2)
    elif abs(d.suggested_price - current_price) < 0.005:
        d.status = "no_change"
    d = _effects(d, anchor_price, anchor_units)
    d.rationale = _rationale(d)
    return d


def markdown_price(
    *,
    current_price: float,
    depth: float,
    elasticity: float | None,
    elasticity_ci: tuple[float, float] | None,
    anchor_price: float | None,
    anchor_units: float | None,
    cost: float | None,
    constraints: Constraints,
    holding_saved: float = 0.0,
) -> PriceDecision:
    """The highest ladder price at least ``depth`` below the current price, within
    every rule (an overstock markdown). Effects are computed when an elasticity is
    known, else left at zero and the rationale says so.

    ``holding_saved`` (GBP per unit, >= 0) is the holding cost an extra unit sold
    saves: an overstocked product's extra sale is, in effect, the last unit of its
    stock sold sooner, which would otherwise have waited the days of cover (the
    caller's ``rate x unit cost x days / 365``). The expected profit change counts
    it (``(p1 - c) q1 - (p0 - c) q0 + holding_saved (q1 - q0)`` GBP/week), since
    the point of a markdown is the stock it clears; it needs a known cost.

    References
    ----------
    Silver, Pyke & Thomas (2017) 4.2 (carrying cost as a rate per year of the unit
    value); Smith & Achabal, "Clearance pricing and inventory policies for retail
    chains", Management Science 44(3) (1998) (markdowns to clear stock).

    Raises
    ------
    ValueError
        ``current_price`` is not positive or ``depth`` is not in (0, 1).
    """
    if current_price is None or not current_price > 0 or not 0 < depth < 1:
        raise ValueError("current_price must be > 0 and depth in (0, 1)")
    if not math.isfinite(holding_saved) or holding_saved < 0:
        raise ValueError(f"holding_saved must be >= 0 GBP/unit, got {holding_saved}")
    bounds = price_bounds(current_price, cost, constraints)
    lo = max(b[0] for b in bounds.values())
    hi = min(min(b[1] for b in bounds.values()), current_price * (1 - depth))
    e = elasticity if elasticity is not None else -1.0
    ci = tuple(elasticity_ci) if elasticity_ci else (e, e)
    d = PriceDecision(
        status="ok",
        current_price=round(current_price, 2),
        suggested_price=round(current_price, 2),
        elasticity=e,
        elasticity_low=min(ci),
        elasticity_high=max(ci),
        objective="profit" if cost is not None else "revenue",
        cost=cost,
        lower=lo,
        upper=hi,
        bounds={k: list(v) for k, v in bounds.items()},
    )
    cands = [p for p in ladder(lo, hi, constraints) if not check_price(p, bounds)]
    if not cands:
        d.status = "infeasible"
        d.rationale = (
            f"No ladder price between {lo:.2f} and {hi:.2f} GBP keeps every "
            "rule; a markdown is not possible."
        )
        return d
    d.suggested_price = round(float(max(cands)), 2)
    d.binding = "markdown depth"
    known = elasticity is not None and anchor_price and anchor_units
    if known:
        d = _effects(d, anchor_price, anchor_units, holding_saved)
    held = ""
    if known and d.profit_change is not None and holding_saved > 0:
        held = (
            f" Profit counts the holding cost saved: {holding_saved:.2f} GBP per "
            f"extra unit sold ({holding_saved * d.units_change[1]:+.2f} GBP/week)."
        )
    d.rationale = (
        f"Markdown {d.current_price:.2f} -> {d.suggested_price:.2f} GBP "
        f"(at least {depth:.0%} off, on the price ladder). "
        + (
            f"Expected units {d.units_change[1]:+.1f}/week (range "
            f"{d.units_change[0]:+.1f} to {d.units_change[2]:+.1f}) at "
            f"elasticity {e:.2f}."
            if known
            else "No elasticity is known for this product: the sales effect "
            "is not estimated."
        )
        + held
    )
    return d


def _effects(
    d: PriceDecision,
    anchor_price: float,
    anchor_units: float,
    holding_saved: float = 0.0,
):
    grid = np.unique(
        np.r_[np.linspace(d.elasticity_low, d.elasticity_high, 21), d.elasticity]
    )

    def at(p, e):
        return demand(
            p, elasticity=e, anchor_price=anchor_price, anchor_units=anchor_units
        )

    p0, p1 = d.current_price, d.suggested_price
    q0, q1 = at(p0, grid), at(p1, grid)
    mid = int(np.flatnonzero(grid == d.elasticity)[0])

    def span(v):
        return (float(v.min()), float(v[mid]), float(v.max()))

    d.units_now, d.units_new = float(q0[mid]), float(q1[mid])
    d.units_change = span(q1 - q0)
    d.revenue_change = span(p1 * q1 - p0 * q0)
    if d.cost is not None:
        d.profit_change = span(
            (p1 - d.cost) * q1 - (p0 - d.cost) * q0 + holding_saved * (q1 - q0)
        )
    return d


def _rationale(d: PriceDecision) -> str:
    move = (
        "keep"
        if d.status == "no_change"
        else "raise"
        if d.suggested_price > d.current_price
        else "lower"
    )
    parts = [
        f"{move.capitalize()} the price {d.current_price:.2f} -> "
        f"{d.suggested_price:.2f} GBP (elasticity {d.elasticity:.2f}, 95% CI "
        f"{d.elasticity_low:.2f} to {d.elasticity_high:.2f})."
    ]
    if d.inelastic:
        parts.append(
            f"Demand is inelastic (|e| = {abs(d.elasticity):.2f} < 1): the "
            f"model says {d.objective} keeps rising with price, so the price "
            "goes to the highest value the rules allow; the true optimum lies "
            "outside the data."
        )
    elif d.objective == "revenue":
        parts.append(
            "No unit cost is known, so revenue is maximised; with elastic "
            "demand revenue rises as price falls, so the lower bound binds."
        )
    if d.binding:
        parts.append(f"Binding rule: {d.binding}.")
    elif d.continuous_optimum is not None:
        parts.append(
            f"The unconstrained optimum {d.continuous_optimum:.2f} GBP lies "
            "inside the rules; the nearest best ladder price is used."
        )
    key = d.profit_change if d.profit_change is not None else d.revenue_change
    parts.append(
        f"Expected weekly {d.objective} change {key[1]:+.2f} GBP "
        f"(range {key[0]:+.2f} to {key[2]:+.2f}), units "
        f"{d.units_change[1]:+.1f}/week."
    )
    return " ".join(parts)
