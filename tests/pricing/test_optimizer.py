"""The price optimiser: every rule holds, ladder endings, inelastic demand, effects."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pricing.algorithms.optimizer import (
    Constraints,
    check_price,
    ladder,
    markdown_price,
    optimise_price,
    price_bounds,
)


def _on_ladder(price: float, c: Constraints) -> bool:
    cents = round(price * 100) % 100
    if price < 1:
        return cents % 10 == round(c.small_price_ending * 100) % 10
    return any(cents == round(e * 100) for e in c.endings)


def _random_case(rng):
    current = float(np.round(rng.uniform(0.3, 30), 2))
    c = Constraints(
        min_margin=float(rng.choice([0.0, 0.1, 0.3])),
        max_change=float(rng.uniform(0.02, 0.3)),
        competitor_price=float(current * rng.uniform(0.7, 1.3))
        if rng.random() < 0.5
        else None,
        competitor_below=float(rng.uniform(0, 0.3)),
        competitor_above=float(rng.uniform(0, 0.3)),
        extrapolation=float(rng.uniform(0, 0.3)),
        observed_min=current * float(rng.uniform(0.6, 1.0)),
        observed_max=current * float(rng.uniform(1.0, 1.5)),
        floor_price=current if rng.random() < 0.1 else None,
    )
    cost = current * float(rng.uniform(0.2, 0.9)) if rng.random() < 0.7 else None
    e = float(rng.uniform(-4, -0.2))
    return current, c, cost, e


def test_every_rule_holds_over_random_cases():
    rng = np.random.default_rng(42)
    statuses = set()
    for _ in range(400):
        current, c, cost, e = _random_case(rng)
        d = optimise_price(
            current_price=current,
            elasticity=e,
            elasticity_ci=(e - 0.4, e + 0.3),
            anchor_price=current,
            anchor_units=50.0,
            cost=cost,
            constraints=c,
        )
        statuses.add(d.status)
        bounds = price_bounds(current, cost, c)
        if d.status == "ok":
            assert check_price(d.suggested_price, bounds) == [], (d, bounds)
            assert _on_ladder(d.suggested_price, c) or math.isclose(
                d.suggested_price, round(current, 2)
            )
            assert d.rationale and d.suggested_price != round(current, 2)
            lo, mid, hi = d.units_change
            assert lo <= mid <= hi
        elif d.status == "infeasible":
            assert d.lower > d.upper and "cannot all hold" in d.rationale
            assert d.suggested_price == round(current, 2)
    assert {"ok", "infeasible"} <= statuses


def test_interior_profit_optimum_matches_the_formula():
    # e = -3, c = 1: p* = c * e / (1 + e) = 1.5; wide rules so nothing binds.
    c = Constraints(
        max_change=0.9,
        extrapolation=0.9,
        observed_min=1.0,
        observed_max=2.0,
        min_margin=0.0,
    )
    d = optimise_price(
        current_price=1.6,
        elasticity=-3.0,
        elasticity_ci=(-3.5, -2.5),
        anchor_price=1.6,
        anchor_units=100,
        cost=1.0,
        constraints=c,
    )
    assert d.continuous_optimum == pytest.approx(1.5, abs=1e-3)
    assert d.binding == ""
    assert d.suggested_price == 1.49  # best ladder price next to 1.50
    assert d.profit_change[1] > 0


def test_inelastic_demand_goes_to_the_upper_bound_and_says_so():
    c = Constraints(max_change=0.1, observed_min=2.0, observed_max=3.0)
    d = optimise_price(
        current_price=2.30,
        elasticity=-0.5,
        elasticity_ci=(-0.9, -0.1),
        anchor_price=2.5,
        anchor_units=40,
        cost=1.0,
        constraints=c,
    )
    assert d.inelastic and d.status == "ok"
    assert d.continuous_optimum == pytest.approx(2.53)  # the +10 % bound
    assert d.suggested_price == 2.49  # the highest ladder price under it
    assert "max_change" in d.binding and "upper" in d.binding
    assert "inelastic" in d.rationale and "highest value the rules allow" in d.rationale


def test_revenue_objective_with_elastic_demand_goes_to_the_lower_bound():
    c = Constraints(max_change=0.1, observed_min=2.0, observed_max=3.0)
    d = optimise_price(
        current_price=2.5,
        elasticity=-2.0,
        elasticity_ci=(-2.5, -1.5),
        anchor_price=2.5,
        anchor_units=40,
        cost=None,
        constraints=c,
    )
    assert d.objective == "revenue" and d.profit_change is None
    assert "lower" in d.binding and d.suggested_price >= 2.25
    assert "revenue" in d.rationale


def test_positive_elasticity_gives_no_suggestion():
    d = optimise_price(
        current_price=2.5,
        elasticity=0.3,
        elasticity_ci=(-0.2, 0.8),
        anchor_price=2.5,
        anchor_units=40,
        cost=1.0,
        constraints=Constraints(),
    )
    assert d.status == "not_negative" and d.suggested_price == 2.5


def test_competitor_bound_binds():
    c = Constraints(
        max_change=0.3,
        competitor_price=3.0,
        competitor_above=0.0,
        observed_min=2.0,
        observed_max=4.0,
    )
    d = optimise_price(
        current_price=2.8,
        elasticity=-0.6,
        elasticity_ci=(-1, -0.2),
        anchor_price=2.8,
        anchor_units=40,
        cost=1.0,
        constraints=c,
    )
    assert "competitor" in d.binding and d.suggested_price <= 3.0


def test_ladder_endings():
    c = Constraints(endings=(0.49, 0.99))
    assert ladder(2.0, 4.0, c).tolist() == [2.49, 2.99, 3.49, 3.99]
    assert ladder(0.5, 0.8, c).tolist() == [0.59, 0.69, 0.79]
    assert ladder(3.0, 2.0, c).size == 0


def test_interval_propagates_the_elasticity_ci():
    c = Constraints(max_change=0.2, observed_min=2.0, observed_max=3.0)
    d = optimise_price(
        current_price=2.5,
        elasticity=-1.5,
        elasticity_ci=(-2.5, -0.5),
        anchor_price=2.2,
        anchor_units=40,
        cost=1.2,
        constraints=c,
    )
    lo, mid, hi = d.profit_change
    assert lo < mid < hi
    narrow = optimise_price(
        current_price=2.5,
        elasticity=-1.5,
        elasticity_ci=(-1.6, -1.4),
        anchor_price=2.2,
        anchor_units=40,
        cost=1.2,
        constraints=c,
    )
    assert narrow.suggested_price == d.suggested_price
    assert (narrow.profit_change[2] - narrow.profit_change[0]) < (hi - lo)


def test_markdown_is_below_current_and_keeps_the_margin():
    c = Constraints(max_change=0.2, min_margin=0.1)
    d = markdown_price(
        current_price=4.99,
        depth=0.1,
        elasticity=-1.5,
        elasticity_ci=(-2, -1),
        anchor_price=4.99,
        anchor_units=10,
        cost=2.0,
        constraints=c,
    )
    assert d.status == "ok" and d.suggested_price <= 4.99 * 0.9
    assert d.units_change[1] > 0 and not check_price(d.suggested_price, d.bounds)
    blocked = markdown_price(
        current_price=2.2,
        depth=0.1,
        elasticity=None,
        elasticity_ci=None,
        anchor_price=None,
        anchor_units=None,
        cost=2.0,
        constraints=c,
    )
    assert blocked.status == "infeasible"


def test_markdown_profit_counts_the_holding_cost_its_extra_sales_save():
    c = Constraints(max_change=0.2, min_margin=0.1)
    args = dict(
        current_price=4.99,
        depth=0.1,
        elasticity=-1.5,
        elasticity_ci=(-2, -1),
        anchor_price=4.99,
        anchor_units=10,
        cost=2.0,
        constraints=c,
    )
    plain = markdown_price(**args)
    # 25 %/year of a 2.00 unit cost over 300 days of cover: 0.41 GBP per unit
    saved = 0.25 * 2.0 * 300 / 365
    held = markdown_price(**args, holding_saved=saved)
    assert held.suggested_price == plain.suggested_price
    assert held.profit_change[1] == pytest.approx(
        plain.profit_change[1] + saved * plain.units_change[1], rel=1e-9
    )
    assert held.profit_change[0] > plain.profit_change[0]  # a markdown sells more
    # by hand at the mid elasticity: (p1 - c) q1 - (p0 - c) q0 + saved (q1 - q0)
    p0, p1 = 4.99, held.suggested_price
    q0, q1 = 10.0, 10.0 * (p1 / p0) ** -1.5
    expected = (p1 - 2) * q1 - (p0 - 2) * q0 + saved * (q1 - q0)
    assert held.profit_change[1] == pytest.approx(expected, rel=1e-6)
    assert "holding cost saved: 0.41 GBP per extra unit" in held.rationale
    with pytest.raises(ValueError, match="holding_saved"):
        markdown_price(**args, holding_saved=-1.0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="current_price"):
        optimise_price(
            current_price=0,
            elasticity=-1.5,
            elasticity_ci=(-2, -1),
            anchor_price=1,
            anchor_units=1,
            cost=None,
            constraints=Constraints(),
        )
    with pytest.raises(ValueError, match="max_change"):
        Constraints(max_change=1.5)
