"""Simulated order lines from known demand curves, to check the elasticity estimator.

Each simulated product has a weekly list price that changes a few times (step changes,
like the real data), a known demand curve, a shared seasonal pattern with holidays and
a trend, multiplicative noise, and - to reproduce the real data's traps - optional
volume-tier pricing (larger lines pay less per unit) and a guest channel priced at
``guest_markup`` times the list price with smaller orders.

Demand curves, with elasticity ``e`` at the reference price ``p0`` (GBP):

* constant elasticity: ``q(p) = A * (p / p0) ** e``;
* linear: ``q(p) = A * max(0.05, 1 + e * (p / p0 - 1))``, whose point elasticity at
  ``p0`` is ``e``; the "true" value reported is the slope of the best log-log line
  through the noise-free curve at the prices actually charged, week by week (the
  quantity a log-log fit estimates when the curve is not constant-elasticity).

References
----------
Nevo, "Measuring market power in the ready-to-eat cereal industry", Econometrica 2001,
for the volume-confounding argument; Talluri & van Ryzin, *The Theory and Practice of
Revenue Management*, 2004, ch. 7 (demand curves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

START = pd.Timestamp("2010-12-06")  # a Monday


@dataclass
class Scenario:
    """Parameters of one simulated product (all prices GBP, demand units/week)."""

    elasticity: float = -1.5
    curve: str = "constant"  # or "linear"
    base_price: float = 2.5
    weekly_units: float = 120.0
    n_weeks: int = 52
    n_price_changes: int = 2
    price_step: float = 0.15  # typical relative size of a price change
    seasonality: float = 0.4  # amplitude of the annual cycle (log scale)
    trend: float = 0.3  # log growth over one year
    noise: float = 0.25  # sd of the weekly log-demand noise
    volume_tiers: bool = True
    guest_share: float = 0.3  # share of lines in the guest channel (0 = none)
    guest_markup: float = 2.0
    mean_line_units: float = 8.0


def season_index(weeks: np.ndarray, amplitude: float, trend: float) -> np.ndarray:
    """Shared log-demand multiplier: annual cycle peaking in November, plus trend."""
    t = weeks / 52.0
    return amplitude * np.cos(2 * np.pi * (t - 0.95)) + trend * t


def tier_discount(units: np.ndarray) -> np.ndarray:
    """Volume-tier price factor: 1 under 12 units, .85 from 12, .7 from 48, .6 >=144."""
    return np.select([units >= 144, units >= 48, units >= 12], [0.6, 0.7, 0.85], 1.0)


def price_path(s: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Weekly list price: ``n_price_changes`` persistent steps, rounded to pence."""
    prices = np.full(s.n_weeks, s.base_price)
    if s.n_price_changes:
        cuts = np.sort(
            rng.choice(np.arange(4, s.n_weeks - 4), s.n_price_changes, False)
        )
        level = s.base_price
        for c in cuts:
            step = rng.choice([-1, 1]) * s.price_step * rng.uniform(0.5, 1.5)
            level = float(
                np.clip(level * np.exp(step), 0.5 * s.base_price, 2.0 * s.base_price)
            )
            prices[c:] = level
    return np.round(prices, 2)


def demand_multiplier(s: Scenario, prices: np.ndarray) -> np.ndarray:
    """q(p) / A for the scenario's curve."""
    rel = prices / s.base_price
    if s.curve == "constant":
        return rel**s.elasticity
    if s.curve == "linear":
        return np.maximum(0.05, 1 + s.elasticity * (rel - 1))
    raise ValueError(f"curve must be 'constant' or 'linear', not {s.curve!r}")


def true_elasticity(s: Scenario, prices: np.ndarray) -> float:
    """The elasticity a log-log fit targets (see module docstring)."""
    if s.curve == "constant":
        return s.elasticity
    x = np.log(prices)
    if np.ptp(x) == 0:
        return s.elasticity
    y = np.log(demand_multiplier(s, prices))
    x = x - x.mean()
    return float((x * (y - y.mean())).sum() / (x * x).sum())


def _lines_for_week(units: float, price: float, s: Scenario, guest: bool, rng):
    """Split a week's units into order lines with tier (and channel) prices."""
    mean = s.mean_line_units / (3.0 if guest else 1.0)
    total = int(round(units))
    if total <= 0:
        return np.zeros(0), np.zeros(0)
    draws = np.maximum(1, np.round(rng.lognormal(np.log(mean), 1.0, total // 2 + 8)))
    while draws.sum() < total:
        draws = np.r_[draws, draws]
    csum = np.cumsum(draws)
    n = int(np.searchsorted(csum, total)) + 1
    q = draws[:n].astype(float)
    q[-1] -= csum[n - 1] - total
    unit = np.full_like(q, price * (s.guest_markup if guest else 1.0))
    if s.volume_tiers and not guest:
        unit = unit * tier_discount(q)
    return q, np.round(unit, 2)


def simulate_product(
    s: Scenario, *, product_id: int = 1, seed: int | None = None
) -> tuple[pd.DataFrame, float]:
    """Order lines of one product and the true elasticity.

    Returns
    -------
    lines : pandas.DataFrame with product_id, placed_at, quantity, unit_price (GBP),
        is_guest (the columns ``weekly_panel`` reads).
    truth : float, the true elasticity (see :func:`true_elasticity`).
    """
    rng = np.random.default_rng(seed)
    weeks = np.arange(s.n_weeks)
    prices = price_path(s, rng)
    season = season_index(weeks, s.seasonality, s.trend)
    mean_units = s.weekly_units * demand_multiplier(s, prices) * np.exp(season)
    units = mean_units * np.exp(rng.normal(0, s.noise, s.n_weeks))
    rows = []
    for w in weeks:
        for guest, share in ((False, 1 - s.guest_share), (True, s.guest_share)):
            if share <= 0:
                continue
            q, p = _lines_for_week(units[w] * share, prices[w], s, guest, rng)
            days = 7 * w + rng.integers(0, 5, len(q))
            rows.append((days, q, p, np.full(len(q), guest)))
    days, q, p, g = (np.concatenate(parts) for parts in zip(*rows, strict=True))
    lines = pd.DataFrame(
        {
            "product_id": product_id,
            "placed_at": START + pd.to_timedelta(days, "D"),
            "quantity": q,
            "unit_price": p,
            "is_guest": g,
        }
    )
    return lines, true_elasticity(s, prices)


def simulate_catalogue(
    scenarios: list[Scenario],
    *,
    seed: int = 0,
    market_products: int = 30,
    market_weekly_units: float = 1000.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Lines of many products plus ``market_products`` fixed-price filler products.

    The fillers share the seasonal pattern, so the panel's market index (the other
    products' units) carries the season as in the real shop.

    Returns
    -------
    lines : pandas.DataFrame (as :func:`simulate_product`), product ids 1..n for the
        scenarios and negative ids for fillers.
    truth : pandas.DataFrame with product_id, true_elasticity, curve, and the
        scenario's confounders (volume_tiers, guest_share).
    """
    rng = np.random.default_rng(seed)
    frames, truth = [], []
    for i, s in enumerate(scenarios, start=1):
        lines, e = simulate_product(s, product_id=i, seed=int(rng.integers(2**31)))
        frames.append(lines)
        truth.append(
            {
                "product_id": i,
                "true_elasticity": e,
                "curve": s.curve,
                "volume_tiers": s.volume_tiers,
                "guest_share": s.guest_share,
            }
        )
    base = scenarios[0] if scenarios else Scenario()
    for j in range(market_products):
        filler = Scenario(
            n_price_changes=0,
            weekly_units=market_weekly_units,
            mean_line_units=max(8.0, market_weekly_units / 10),
            volume_tiers=False,
            noise=0.1,
            n_weeks=base.n_weeks,
            seasonality=base.seasonality,
            trend=base.trend,
            guest_share=base.guest_share,
        )
        lines, _ = simulate_product(
            filler, product_id=-(j + 1), seed=int(rng.integers(2**31))
        )
        frames.append(lines)
    return pd.concat(frames, ignore_index=True), pd.DataFrame(truth)
