"""Policy formulas against hand-computed values, and a simulation on known demand."""

import math

import numpy as np
import pytest

from inventory.algorithms import policy as pol

Z95 = 1.6448536269514722


def test_safety_stock_reorder_point_order_up_to():
    # sigma 4 units/day, L 9 days, 95 %: z * 4 * 3
    assert pol.safety_stock(sigma=4, lead_time=9, service_level=0.95) == pytest.approx(
        Z95 * 12
    )
    rop = pol.reorder_point(mean_demand=10, lead_time=9, sigma=4, service_level=0.95)
    assert rop == pytest.approx(90 + Z95 * 12)
    s = pol.order_up_to(
        mean_demand=10, lead_time=9, review_period=7, sigma=4, service_level=0.95
    )
    assert s == pytest.approx(160 + Z95 * 4 * 4)


def test_eoq_days_of_cover_and_risk():
    # D = 1200/yr, K = 25 GBP, h = 0.25/yr, c = 6 GBP -> sqrt(60000 / 1.5) = 200
    assert pol.economic_order_quantity(
        annual_demand=1200, ordering_cost=25, holding_cost_rate=0.25, unit_cost=6
    ) == pytest.approx(200.0)
    assert (
        pol.economic_order_quantity(
            annual_demand=0, ordering_cost=25, holding_cost_rate=0.25, unit_cost=6
        )
        == 0.0
    )
    assert pol.days_of_cover(available=50, mean_daily=4) == 12.5
    assert pol.days_of_cover(available=50, mean_daily=0) is None
    # available equals mean lead-time demand: risk 50 %
    risk = pol.stockout_risk(available=90, mean_demand=10, lead_time=9, sigma=4)
    assert risk == pytest.approx(0.5)
    assert pol.stockout_risk(available=5, mean_demand=1, lead_time=4, sigma=0) == 0.0


def test_rounding_to_packs_and_moq():
    assert pol.round_order_quantity(13, pack_size=12, moq=1) == 24
    assert pol.round_order_quantity(5, pack_size=1, moq=10) == 10
    assert pol.round_order_quantity(25, pack_size=6, moq=10) == 30
    assert pol.round_order_quantity(0, pack_size=6, moq=10) == 0
    with pytest.raises(ValueError, match="pack_size"):
        pol.round_order_quantity(5, pack_size=0)


def test_order_quantity_s_S():
    assert pol.order_quantity(position=50, reorder_level=40, order_up_to_level=100) == 0
    assert (
        pol.order_quantity(position=30, reorder_level=40, order_up_to_level=100) == 70
    )


def test_order_plan_is_capped_by_S_and_days_of_cover_then_rounded():
    # issue 18.1: 1.3 a day, S = 75, position 0 -> 75 units, never S + EOQ
    plan = pol.order_plan(
        position=0, reorder_level=40, order_up_to_level=75, mean_daily=1.3
    )
    assert (plan.quantity, plan.limited_by, plan.rounding) == (
        75,
        "order-up-to level",
        "",
    )
    # a huge S (lumpy demand) is capped at 90 days of 1.3 a day = 117 units
    plan = pol.order_plan(
        position=10,
        reorder_level=300,
        order_up_to_level=900,
        mean_daily=1.3,
        max_days_of_cover=90,
    )
    assert plan.target == pytest.approx(117) and plan.quantity == 107
    assert plan.limited_by == "max days of cover"
    # whole packs, then the MOQ
    plan = pol.order_plan(
        position=10,
        reorder_level=300,
        order_up_to_level=900,
        mean_daily=1.3,
        max_days_of_cover=90,
        pack_size=12,
    )
    assert plan.quantity == 108 and "packs of 12" in plan.rounding
    plan = pol.order_plan(
        position=0,
        reorder_level=2,
        order_up_to_level=5,
        mean_daily=0.1,
        max_days_of_cover=90,
        pack_size=6,
        moq=24,
    )
    assert plan.quantity == 24 and plan.rounding == "raised to the MOQ of 24"
    # already at the cap: nothing, even below s
    plan = pol.order_plan(
        position=120,
        reorder_level=300,
        order_up_to_level=900,
        mean_daily=1.3,
        max_days_of_cover=90,
    )
    assert plan.quantity == 0
    with pytest.raises(ValueError, match="max_days_of_cover"):
        pol.order_plan(
            position=0, reorder_level=1, order_up_to_level=2, max_days_of_cover=0
        )


def test_invalid_parameters_raise():
    with pytest.raises(ValueError, match="service_level"):
        pol.safety_stock(sigma=1, lead_time=1, service_level=1.0)
    with pytest.raises(ValueError, match="lead_time"):
        pol.safety_stock(sigma=1, lead_time=-1, service_level=0.9)


def test_simulation_on_constant_demand_never_runs_out():
    # 10 a day, lead time 3, review daily: s = 30 + buffer, S = 40 + buffer
    out = pol.simulate_policy(
        np.full(60, 10.0), reorder_level=35, order_up_to_level=45, lead_time=3
    )
    assert out.fill_rate == 1.0 and out.stockout_days == 0
    assert out.cycle_service_level == 1.0
    assert out.orders > 0
    assert 0 < out.average_stock < 45


def test_simulation_counts_lost_sales_when_the_policy_is_too_lean():
    demand = np.full(20, 10.0)
    out = pol.simulate_policy(
        demand, reorder_level=0, order_up_to_level=10, lead_time=5, initial_stock=10
    )
    # day 0 sells 10, then stock is 0 until the order arrives on day 5
    assert out.stockout_days > 0
    assert out.fill_rate < 1.0
    assert out.lost_units == pytest.approx(out.demand * (1 - out.fill_rate))
    assert math.isclose(out.demand, 200.0)


def test_simulation_rejects_negative_demand():
    with pytest.raises(ValueError, match="non-negative"):
        pol.simulate_policy([1, -2], reorder_level=1, order_up_to_level=2, lead_time=1)


def test_safety_stock_with_a_measured_lead_time_sigma():
    ss = pol.safety_stock(sigma=4, lead_time=9, service_level=0.95, sigma_lead=20)
    assert ss == pytest.approx(Z95 * 20)


def test_lead_time_sigma_counts_bias_and_correlation():
    from inventory.algorithms.backtest import AutoForecaster

    model = AutoForecaster()
    model.sigma_ = 1.0
    model.origin_errors_ = np.full((2, 24), 2.0)  # always 2 units/day under
    # independent-error formula would give 2 * sqrt(6) ~ 4.9; the sum error is 12
    assert model.lead_time_sigma(6) == pytest.approx(12.0)
    # beyond the backtest horizon (24): the 24-day sum error 48 grows by sqrt(2)
    assert model.lead_time_sigma(48) == pytest.approx(48.0 * np.sqrt(2))


def test_lead_time_sigma_with_a_service_level_covers_a_heavy_tail():
    from inventory.algorithms.backtest import AutoForecaster

    model = AutoForecaster()
    model.sigma_ = 1.0
    errors = np.zeros((4, 24))
    errors[:, ::6] = 30.0  # a large order every sixth day, missed by the forecast
    model.origin_errors_ = errors
    plain = model.lead_time_sigma(6)
    tail = model.lead_time_sigma(6, 0.95)
    assert tail >= plain
    assert Z95 * tail >= model.lead_time_error_quantile(6, 0.95) - 1e-9


def test_simulation_exposes_stock_to_review_plus_lead_time_days():
    # 10 a day, daily review, lead time 2: an order placed tonight arrives after two
    # more days of demand, so S must cover R + L = 3 days (30), not 20
    demand = np.full(30, 10.0)
    kw = {"lead_time": 2, "review_period": 1}
    enough = pol.simulate_policy(demand, reorder_level=30, order_up_to_level=30, **kw)
    assert enough.stockout_days == 0
    short = pol.simulate_policy(demand, reorder_level=29, order_up_to_level=29, **kw)
    assert short.stockout_days > 0


def test_simulation_caps_orders_at_the_days_of_cover_as_the_suggestions_do():
    demand = np.full(60, 10.0)
    free = pol.simulate_policy(
        demand, reorder_level=1000.0, order_up_to_level=1000.0, lead_time=2
    )
    capped = pol.simulate_policy(
        demand,
        reorder_level=1000.0,
        order_up_to_level=1000.0,
        lead_time=2,
        mean_daily=10.0,
        max_days_of_cover=20,
    )
    # the position never passes 20 days x 10 = 200 units (start included)
    assert free.average_stock > 900 and capped.average_stock < 200
    assert capped.fill_rate == 1.0  # 200 units cover the 3 days of the lead time
    # a re-planned rate (an array) caps each day by that day's rate
    rate = np.r_[np.full(30, 10.0), np.full(30, 5.0)]
    varying = pol.simulate_policy(
        demand,
        reorder_level=1000.0,
        order_up_to_level=1000.0,
        lead_time=2,
        mean_daily=rate,
        max_days_of_cover=20,
    )
    assert varying.average_stock < capped.average_stock
    with pytest.raises(ValueError, match="max_days_of_cover"):
        pol.simulate_policy(
            demand,
            reorder_level=10.0,
            order_up_to_level=20.0,
            lead_time=1,
            mean_daily=1.0,
            max_days_of_cover=0,
        )
