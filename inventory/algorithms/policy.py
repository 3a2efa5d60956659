"""Inventory policy formulas and a replay simulation (numpy only, no Django).

Units: demand in units per trading day, lead times and review periods in trading days
(the caller converts calendar days with the trading calendar), money in GBP.

References
----------
Silver, Pyke & Thomas, Inventory and Production Management in Supply Chains, 4th ed.
(2017): ch. 6 (safety stock z * sigma_L, reorder point, order-up-to level), ch. 4 (EOQ,
Harris 1913).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np


def _check_level(service_level: float) -> None:
    if not 0 < service_level < 1:
        raise ValueError(f"service_level must be in (0, 1), got {service_level}")


def _check_nonneg(**values: float) -> None:
    for name, value in values.items():
        if value is None or not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value}")


def safety_stock(
    *,
    sigma: float,
    lead_time: float,
    service_level: float,
    sigma_lead: float | None = None,
) -> float:
    """Safety stock ``z * sigma_L`` (units); ``sigma_L = sigma * sqrt(L)`` by default.

    Parameters
    ----------
    sigma : float, std of the daily forecast error (units/trading day), measured in the
        rolling-origin backtest.
    lead_time : float, trading days.
    service_level : float in (0, 1), cycle service level (P(no stock-out per cycle)).
    sigma_lead : float, optional, the std of the lead-time demand error measured
        directly (``AutoForecaster.lead_time_sigma``); overrides ``sigma * sqrt(L)``.

    Raises
    ------
    ValueError
        A negative/non-finite input or a service level outside (0, 1).
    """
    _check_level(service_level)
    _check_nonneg(sigma=sigma, lead_time=lead_time)
    if sigma_lead is None:
        sigma_lead = sigma * math.sqrt(lead_time)
    _check_nonneg(sigma_lead=sigma_lead)
    return NormalDist().inv_cdf(service_level) * sigma_lead


def safety_stock_empirical(*, error_quantile: float) -> float:
    """Safety stock from the measured error distribution: ``max(0, q_alpha)`` (units).

    ``error_quantile`` is the target-service-level quantile of (actual - forecast)
    demand summed over the protection interval (``L`` for a reorder point, ``R + L``
    for an order-up-to level), measured in the rolling-origin backtest. It replaces
    ``z * sigma_L``, whose normal assumption under-protects skewed, lumpy demand and
    ignores forecast bias.

    Raises
    ------
    ValueError
        ``error_quantile`` is NaN or infinite.

    References
    ----------
    Silver, Pyke & Thomas (2017) 6.7 (protection interval R + L); Trapero, Cardos &
    Kourentzes, "Empirical safety stock estimation based on kernel and GARCH models",
    Omega 84 (2019) 199-211.
    """
    if not math.isfinite(error_quantile):
        raise ValueError(f"error_quantile must be finite, got {error_quantile}")
    return max(0.0, float(error_quantile))


def reorder_point(
    *,
    mean_demand: float,
    lead_time: float,
    sigma: float,
    service_level: float,
    sigma_lead: float | None = None,
) -> float:
    """Reorder point ``s = mean * L + z * sigma_L`` (units)."""
    _check_nonneg(mean_demand=mean_demand)
    ss = safety_stock(
        sigma=sigma,
        lead_time=lead_time,
        service_level=service_level,
        sigma_lead=sigma_lead,
    )
    return mean_demand * lead_time + ss


def order_up_to(
    *,
    mean_demand: float,
    lead_time: float,
    review_period: float,
    sigma: float,
    service_level: float,
    sigma_lead: float | None = None,
) -> float:
    """Order-up-to level ``S = mean (L + R) + z sigma_{L+R}`` (units); ``sigma_lead``
    is then the error std over ``L + R`` periods."""
    _check_nonneg(review_period=review_period)
    return reorder_point(
        mean_demand=mean_demand,
        lead_time=lead_time + review_period,
        sigma=sigma,
        service_level=service_level,
        sigma_lead=sigma_lead,
    )


def economic_order_quantity(
    *,
    annual_demand: float,
    ordering_cost: float,
    holding_cost_rate: float,
    unit_cost: float,
) -> float:
    """EOQ ``sqrt(2 D K / (h c))`` in units (0 when there is no demand).

    Parameters
    ----------
    annual_demand : float, units per year (D).
    ordering_cost : float, GBP per order (K).
    holding_cost_rate : float, per year, fraction of unit cost (h).
    unit_cost : float, GBP per unit (c).

    Raises
    ------
    ValueError
        A negative input, or holding cost rate * unit cost = 0 with demand > 0.
    """
    _check_nonneg(
        annual_demand=annual_demand,
        ordering_cost=ordering_cost,
        holding_cost_rate=holding_cost_rate,
        unit_cost=unit_cost,
    )
    if annual_demand == 0:
        return 0.0
    if holding_cost_rate * unit_cost == 0:
        raise ValueError("holding_cost_rate * unit_cost must be > 0 for an EOQ")
    return math.sqrt(
        2 * annual_demand * ordering_cost / (holding_cost_rate * unit_cost)
    )


def days_of_cover(*, available: float, mean_daily: float) -> float | None:
    """Days the available units last at ``mean_daily`` units/day (None: no demand)."""
    if mean_daily <= 0:
        return None
    return max(available, 0.0) / mean_daily


def stockout_risk(
    *, available: float, mean_demand: float, lead_time: float, sigma: float
) -> float:
    """P(lead-time demand > available) under a normal lead-time demand model."""
    mu = mean_demand * lead_time
    sd = sigma * math.sqrt(lead_time)
    if sd <= 0:
        return 1.0 if mu > available else 0.0
    return 1.0 - NormalDist(mu, sd).cdf(available)


def expected_shortage(*, available: float, mean: float, sigma: float) -> float:
    """Expected unserved units ``E[(D - available)^+]`` for ``D ~ N(mean, sigma^2)``.

    ``sigma * G((available - mean) / sigma)`` with the standard normal loss function
    ``G(z) = phi(z) - z (1 - Phi(z))``; ``max(mean - available, 0)`` when sigma = 0.
    Used over the lead time: demand the stock on hand cannot serve before an order
    placed today arrives. Units; multiply by the price for lost sales value (GBP).

    Raises
    ------
    ValueError
        ``mean`` or ``sigma`` negative or not finite.

    References
    ----------
    Silver, Pyke & Thomas (2017) 6.5 and appendix B (the unit normal loss function).
    """
    _check_nonneg(mean=mean, sigma=sigma)
    if sigma == 0:
        return max(mean - available, 0.0)
    z = (available - mean) / sigma
    nd = NormalDist()
    return sigma * (nd.pdf(z) - z * (1.0 - nd.cdf(z)))


def round_order_quantity(quantity: float, *, pack_size: int = 1, moq: int = 1) -> int:
    """Round up to whole packs and at least the minimum order quantity (0 stays 0).

    Raises
    ------
    ValueError
        ``pack_size`` < 1 or ``moq`` < 0.
    """
    if pack_size < 1:
        raise ValueError(f"pack_size must be >= 1, got {pack_size}")
    if moq < 0:
        raise ValueError(f"moq must be >= 0, got {moq}")
    if quantity <= 0:
        return 0
    qty = max(quantity, moq)
    return int(math.ceil(qty / pack_size - 1e-9) * pack_size)


@dataclass(frozen=True)
class OrderPlan:
    """An order quantity and the limits that shaped it (units).

    quantity : int, units to order: whole packs, at least the MOQ (0: no order).
    target : float, the position the order aims at: the order-up-to level ``S``,
        capped at ``max_days_of_cover`` days of mean demand when that is lower.
    limited_by : str, ``"order-up-to level"`` or ``"max days of cover"``.
    rounding : str, how ``target - position`` became ``quantity`` ("" when it did
        not change: "rounded up to whole packs of 12", "raised to the MOQ of 24").
    """

    quantity: int
    target: float
    limited_by: str
    rounding: str


def order_plan(
    *,
    position: float,
    reorder_level: float,
    order_up_to_level: float,
    mean_daily: float | None = None,
    max_days_of_cover: float | None = None,
    pack_size: int = 1,
    moq: int = 1,
) -> OrderPlan:
    """(s, S) order with a days-of-cover cap, rounded to packs and the MOQ.

    When ``position <= s`` the order raises the position to
    ``target = min(S, max_days_of_cover * mean_daily)``; ``target - position`` is
    then rounded up to whole packs and raised to the minimum order quantity (the
    supplier's terms win over the cap, and ``rounding`` says so). Above ``s``, or
    when the position already reaches the target, nothing is ordered. The economic
    order quantity never raises the target: an order beyond ``S`` buys stock the
    policy does not need (issue 18: "order up to 75, EOQ 734" ordered 787).

    Parameters
    ----------
    position : float, units: on hand - reserved + on order.
    reorder_level, order_up_to_level : float, units (``s`` and ``S``).
    mean_daily : float, optional, units per calendar day (needed for the cap).
    max_days_of_cover : float, optional, calendar days; None = no cap.
    pack_size : int >= 1, units per pack; moq : int >= 0, units.

    Raises
    ------
    ValueError
        ``pack_size`` < 1, ``moq`` < 0 or ``max_days_of_cover`` <= 0.

    References
    ----------
    Silver, Pyke & Thomas (2017) 7.1 ((s, S) and (R, s, S) systems); Odoo 17
    replenishment report (min/max quantities rounded to the vendor's packaging).
    """
    if max_days_of_cover is not None and max_days_of_cover <= 0:
        raise ValueError(f"max_days_of_cover must be > 0, got {max_days_of_cover}")
    target, limited_by = float(order_up_to_level), "order-up-to level"
    if max_days_of_cover is not None and mean_daily is not None and mean_daily > 0:
        cap = max_days_of_cover * mean_daily
        if cap < target:
            target, limited_by = cap, "max days of cover"
    if position > reorder_level or target - position <= 0:
        return OrderPlan(0, target, limited_by, "")
    raw = target - position
    qty = round_order_quantity(raw, pack_size=pack_size, moq=moq)
    rounding = ""
    if (
        moq > 0
        and qty
        == round_order_quantity(moq, pack_size=pack_size)
        > math.ceil(raw / pack_size - 1e-9) * pack_size
    ):
        rounding = f"raised to the MOQ of {moq}"
    elif qty > math.ceil(raw - 1e-9):
        rounding = f"rounded up to whole packs of {pack_size}"
    return OrderPlan(qty, target, limited_by, rounding)


def order_quantity(
    *,
    position: float,
    reorder_level: float,
    order_up_to_level: float,
    pack_size: int = 1,
    moq: int = 1,
) -> int:
    """(s, S) order: when ``position <= s`` order up to ``S``, rounded to packs and
    the MOQ (see :func:`order_plan`). ``position`` = on hand - reserved + on order
    (units). Returns 0 above ``s``."""
    return order_plan(
        position=position,
        reorder_level=reorder_level,
        order_up_to_level=order_up_to_level,
        pack_size=pack_size,
        moq=moq,
    ).quantity


def min_max_rule(
    history, *, lead_time: int, cover_days: int, window: int = 24
) -> tuple[float, float]:
    """The hand-made min/max rule shops type into their stock system (a baseline).

    ``min = lead_time * highest daily demand of the last `window` days`` and
    ``max = min + cover_days * mean daily demand of those days`` (units). With the
    defaults in trading days of a six-day week: the last 4 weeks' highest daily rate
    over the lead time, plus about 30 calendar days of average demand. The rule has
    no forecast, no error distribution and no service-level target: it is what a
    planner sets by hand, and what our policy has to beat.

    Parameters
    ----------
    history : array of shape (t,), units per trading day, oldest first (only the
        last ``window`` values are read).
    lead_time, cover_days, window : int, trading days (``window`` >= 1).

    Raises
    ------
    ValueError
        ``window`` < 1, negative ``lead_time``/``cover_days``, or no history.

    References
    ----------
    Odoo's reordering rules (min/max quantities set by hand); the rule of thumb
    "max daily sales x lead time" for a reorder point (e.g. Silver, Pyke & Thomas
    2017, 7.2, on ad hoc (s, S) settings).
    """
    if window < 1 or lead_time < 0 or cover_days < 0:
        raise ValueError("window must be >= 1, lead_time and cover_days >= 0")
    y = np.asarray(history, dtype=float)
    if y.ndim != 1 or y.size == 0:
        raise ValueError("history must be a non-empty 1-D array")
    recent = np.clip(y[-window:], 0, None)
    low = lead_time * float(recent.max())
    return low, low + cover_days * float(recent.mean())


@dataclass(frozen=True)
class SimulationResult:
    """Outcome of :func:`simulate_policy` over ``days`` trading days.

    fill_rate : served units / demanded units (1.0 without demand).
    cycle_service_level : share of replenishment cycles without a stock-out.
    average_stock : mean units on hand at the end of a day.
    stockout_days : days with unmet demand; lost_units : demand not served.
    orders : purchase orders placed.
    """

    days: int
    demand: float
    fill_rate: float
    cycle_service_level: float
    average_stock: float
    stockout_days: int
    lost_units: float
    orders: int


def simulate_policy(
    demand,
    *,
    reorder_level,
    order_up_to_level,
    lead_time: int,
    review_period: int = 1,
    initial_stock: float | None = None,
    pack_size: int = 1,
    moq: int = 1,
    mean_daily=None,
    max_days_of_cover: float | None = None,
) -> SimulationResult:
    """Replay ``demand`` (units/trading day, shape (t,)) against an (R, s, S) policy.

    Each day: receive orders due, serve demand from stock (unserved demand is lost),
    then at the end of review days (every ``review_period`` days) order what
    :func:`order_plan` (the function the reorder suggestions call) gives when the
    position (on hand + on order) is at or below ``s``: up to ``S``, capped at
    ``max_days_of_cover`` days of ``mean_daily`` (units per calendar day, a float
    or an array of shape (t,); no cap when either is None), in whole packs and at
    least the MOQ; an order placed at the end of day t arrives after ``lead_time``
    more days of demand, at the start of day ``t + lead_time + 1`` (``lead_time=0``:
    overnight). The stock after a review then has to cover the demand of
    ``review_period + lead_time`` days, the protection interval an order-up-to
    level ``S`` over ``R + L`` assumes (Silver, Pyke & Thomas 2017, 6.7); until
    issue 4's round 2 the order arrived a day earlier (an exposure of
    ``R + L - 1`` days, which flattered the achieved service level). Starts with
    ``initial_stock`` (default ``S``, capped like an order) and nothing on order.
    ``reorder_level`` and ``order_up_to_level`` may be floats or arrays of shape
    (t,) (a policy re-planned over time).

    Raises
    ------
    ValueError
        Negative/NaN demand, ``lead_time`` < 0, ``review_period`` < 1 or
        ``max_days_of_cover`` <= 0.
    """
    d = np.asarray(demand, dtype=float)
    if d.ndim != 1 or np.isnan(d).any() or (d < 0).any():
        raise ValueError("demand must be a 1-D array of non-negative units")
    if lead_time < 0 or review_period < 1:
        raise ValueError("lead_time must be >= 0 and review_period >= 1")
    s_levels = np.broadcast_to(np.asarray(reorder_level, dtype=float), d.shape)
    big_s = np.broadcast_to(np.asarray(order_up_to_level, dtype=float), d.shape)
    rate = None
    if mean_daily is not None:
        rate = np.broadcast_to(np.asarray(mean_daily, dtype=float), d.shape)
    if initial_stock is None:
        initial_stock = order_plan(
            position=0.0,
            reorder_level=0.0,
            order_up_to_level=float(big_s[0]),
            mean_daily=None if rate is None else float(rate[0]),
            max_days_of_cover=max_days_of_cover,
        ).target
    stock = float(initial_stock)
    arrivals: dict[int, float] = {}
    on_order, served, lost, stockout_days, orders = 0.0, 0.0, 0.0, 0, 0
    cycles, cycles_short, cycle_short = 0, 0, False
    stock_sum = 0.0
    for t, dem in enumerate(d):
        if t in arrivals:
            qty = arrivals.pop(t)
            stock += qty
            on_order -= qty
            cycles += 1
            cycles_short += cycle_short
            cycle_short = False
        sold = min(stock, dem)
        stock -= sold
        served += sold
        if dem - sold > 1e-9:
            lost += dem - sold
            stockout_days += 1
            cycle_short = True
        if t % review_period == 0:
            qty = order_plan(
                position=stock + on_order,
                reorder_level=float(s_levels[t]),
                order_up_to_level=float(big_s[t]),
                mean_daily=None if rate is None else float(rate[t]),
                max_days_of_cover=max_days_of_cover,
                pack_size=pack_size,
                moq=moq,
            ).quantity
            if qty > 0:
                due = t + lead_time + 1
                arrivals[due] = arrivals.get(due, 0.0) + qty
                on_order += qty
                orders += 1
        stock_sum += stock
    cycles += 1  # the cycle still open at the end
    cycles_short += cycle_short
    total = float(d.sum())
    return SimulationResult(
        days=int(d.size),
        demand=total,
        fill_rate=served / total if total > 0 else 1.0,
        cycle_service_level=1.0 - cycles_short / cycles,
        average_stock=stock_sum / max(d.size, 1),
        stockout_days=stockout_days,
        lost_units=lost,
        orders=orders,
    )
