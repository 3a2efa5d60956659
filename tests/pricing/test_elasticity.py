"""The elasticity estimator on simulated data with a known answer, and its statuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.algorithms.elasticity import LogLogElasticity, estimate_panel
from pricing.algorithms.panel import (
    naive_line_elasticity,
    nonpositive_price_lines,
    weekly_panel,
)
from pricing.algorithms.pooling import CategoryShrinkage, derive_category
from pricing.algorithms.simulation import Scenario, simulate_catalogue


def _fit_many(scenarios: list[Scenario], seed: int = 7):
    lines, truth = simulate_catalogue(scenarios, seed=seed, market_products=20)
    panel = weekly_panel(lines)
    results = estimate_panel(panel[panel["product_id"] > 0])
    truth["estimate"] = truth["product_id"].map(lambda i: results[i].elasticity)
    truth["covered"] = [
        results[i].ci_low <= t <= results[i].ci_high
        for i, t in zip(truth["product_id"], truth["true_elasticity"], strict=True)
    ]
    truth["error"] = (truth["estimate"] - truth["true_elasticity"]).abs()
    return truth, results, lines


def test_recovers_constant_elasticity_and_ci_covers_it():
    scen = [
        Scenario(elasticity=e, noise=0.12, n_price_changes=3, price_step=0.2)
        for e in (-0.5, -0.8, -1.2, -1.6, -2.0, -2.5, -3.0, -1.0)
    ]
    truth, results, _ = _fit_many(scen)
    assert all(r.status == "identified" for r in results.values())
    assert truth["error"].median() < 0.3
    assert truth["error"].max() < 0.7
    assert truth["covered"].sum() >= 6  # nominal 95 %: 8 of 8 expected, allow 2 misses
    r = results[1]
    assert r.n_prices >= 2 and r.n_weeks >= 40 and r.anchor_units > 0 and r.points


def test_recovers_linear_demand_curve_elasticity():
    scen = [
        Scenario(elasticity=e, curve="linear", noise=0.1, n_price_changes=3)
        for e in (-0.6, -1.0, -1.4, -1.8)
    ]
    truth, _, _ = _fit_many(scen, seed=11)
    assert truth["error"].median() < 0.3


def test_volume_tiers_and_guest_channel_fool_the_naive_regression_not_ours():
    scen = [
        Scenario(
            elasticity=e,
            noise=0.1,
            n_price_changes=3,
            price_step=0.2,
            volume_tiers=True,
            guest_share=0.35,
            guest_markup=2.0,
        )
        for e in (-0.4, -0.6, -0.8, -1.2, -1.8, -2.2, -2.6, -3.0)
    ]
    truth, _, lines = _fit_many(scen, seed=3)
    naive = np.array(
        [
            naive_line_elasticity(lines[lines["product_id"] == i])
            for i in truth["product_id"]
        ]
    )
    naive_error = np.abs(naive - truth["true_elasticity"].to_numpy())
    # The naive slope measures the discount schedule: wrong by a lot either side.
    assert np.median(naive_error) > 0.5
    assert truth["error"].median() < 0.25
    assert truth["covered"].sum() >= 6  # of 8, nominal 95 %


def _panel(prices, units, weeks=None, channel="identified"):
    n = len(prices)
    weeks = (
        weeks
        if weeks is not None
        else pd.date_range("2011-01-03", periods=n, freq="7D")
    )
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "product_id": 1,
            "channel": channel,
            "week": weeks,
            "list_price": np.asarray(prices, float),
            "quantity": np.asarray(units, float),
            "n_lines": 3,
            "market_units": 1000 * np.exp(rng.normal(0, 0.3, n)),
        }
    )


def test_status_no_price_change():
    res = LogLogElasticity().fit(_panel([2.5] * 30, np.arange(30) + 5)).result_
    assert res.status == "no_price_change" and res.elasticity is None
    assert "2.50" in res.message


def test_status_too_few_points():
    res = LogLogElasticity().fit(_panel([2.5, 2.5, 3.0, 3.0, 2.5], [5] * 5)).result_
    assert res.status == "too_few_points" and res.elasticity is None


def test_status_price_change_held_only_one_week():
    prices = [2.5] * 20 + [3.0] + [2.5] * 9
    res = LogLogElasticity().fit(_panel(prices, [5] * 30)).result_
    assert res.status == "too_few_points" and "held" in res.message


def test_status_zero_price_and_zero_demand():
    res = LogLogElasticity().fit(_panel([0.0] * 25 + [2.0] * 5, [3] * 30)).result_
    assert res.status == "zero_price"
    res = (
        LogLogElasticity()
        .fit(_panel([2.0] * 15 + [2.5] * 15, [0] * 25 + [3] * 5))
        .result_
    )
    assert res.status == "zero_demand"


def test_status_collinear_when_price_follows_the_trend():
    prices = np.repeat(np.round(np.linspace(2.0, 4.0, 15), 2), 2)
    res = (
        LogLogElasticity(controls=("trend",))
        .fit(_panel(prices, np.arange(30) + 10))
        .result_
    )
    assert res.status == "collinear" and "controls explain" in res.message


def test_status_no_sales():
    empty = _panel([], [])
    assert LogLogElasticity().fit(empty).result_.status == "no_sales"


def test_partial_pooling_shrinks_weak_products_toward_their_category():
    rng = np.random.default_rng(5)
    scen = [
        Scenario(
            elasticity=float(rng.uniform(-2.2, -1.8)),
            noise=0.12,
            n_price_changes=3,
            price_step=0.2,
        )
        for _ in range(6)
    ]
    scen.append(
        Scenario(elasticity=-2.0, noise=0.6, n_price_changes=1, price_step=0.03)
    )  # barely moves its price
    lines, truth = simulate_catalogue(scen, seed=2, market_products=20)
    panel = weekly_panel(lines)
    results = estimate_panel(panel[panel["product_id"] > 0])
    cats = dict.fromkeys(results, "MUG & CUP")
    shrink = CategoryShrinkage(min_category_size=3).fit(results, cats)
    pooled = shrink.transform(results, cats)
    weak = pooled[7]
    assert results[7].status == "identified" and weak.status == "pooled"
    assert weak.pooled and "pooled toward MUG & CUP" in weak.message
    prior = shrink.priors_["MUG & CUP"].mu
    assert abs(weak.elasticity - prior) < abs(results[7].elasticity - prior) + 1e-9
    assert weak.se <= results[7].se
    assert sum(r.pooled for r in pooled.values()) >= 1
    assert not pooled[1].pooled


def test_giveaway_week_moves_neither_list_price_nor_elasticity():
    scen = [Scenario(elasticity=-1.0, noise=0.1, n_price_changes=3, price_step=0.2)]
    lines, _ = simulate_catalogue(scen, seed=3, market_products=10)
    mine = lines[lines["product_id"] == 1]
    week = mine["placed_at"].sort_values().iloc[len(mine) // 2]
    gift = pd.DataFrame(
        {
            "product_id": 1,
            "placed_at": [week] * 40,
            "quantity": 50.0,
            "unit_price": 0.0,
            "is_guest": False,
        }
    )
    both = pd.concat([lines, gift], ignore_index=True)
    clean_panel, gift_panel = weekly_panel(lines), weekly_panel(both)
    pd.testing.assert_frame_equal(clean_panel, gift_panel)
    assert nonpositive_price_lines(both).to_dict() == {1: 40}
    assert (gift_panel["list_price"] > 0).all()


def test_a_product_whose_price_never_moved_gets_its_category_prior():
    rng = np.random.default_rng(5)
    scen = [
        Scenario(
            elasticity=float(rng.uniform(-2.2, -1.8)),
            noise=0.12,
            n_price_changes=3,
            price_step=0.2,
        )
        for _ in range(6)
    ]
    scen.append(Scenario(n_price_changes=0, weekly_units=40, guest_share=0.0))
    lines, _ = simulate_catalogue(scen, seed=2, market_products=20)
    results = estimate_panel(weekly_panel(lines).query("product_id > 0"))
    flat = results[7]
    assert flat.status == "no_price_change" and flat.elasticity is None
    # Its demand anchor: its one price and about its units/week (seasonal, noisy).
    assert flat.anchor_price == flat.last_price and 25 < flat.anchor_units < 60
    cats = dict.fromkeys(results, "MUG & CUP")
    shrink = CategoryShrinkage(min_category_size=3).fit(results, cats)
    out = shrink.transform(results, cats)
    prior = shrink.priors_["MUG & CUP"]
    got = out[7]
    assert got.status == "prior" and got.pooled and got.raw_elasticity is None
    assert got.elasticity == pytest.approx(prior.mu)
    assert got.se == pytest.approx(np.sqrt(prior.tau2 + prior.var_mu))
    assert got.ci_low < -2.0 < got.ci_high and "category prior of MUG & CUP" in (
        got.message
    )
    # The products with their own estimates are untouched; priors can be turned off.
    assert out[1] is results[1]
    off = CategoryShrinkage(min_category_size=3, prior_statuses=()).fit(results, cats)
    assert off.transform(results, cats)[7].status == "no_price_change"


def test_derive_category_rules():
    assert derive_category("WHITE HANGING HEART T-LIGHT HOLDER") == "LIGHT HOLDER"
    assert derive_category("JUMBO BAG RED RETROSPOT") == "BAG"
    assert derive_category("SPRING FLOWER CHOPSTICKS") != "JEWELLERY"
    assert derive_category("") == "OTHER"


def test_real_slice_runs_and_gives_statuses(online_retail_slice):
    raw = pd.read_csv(online_retail_slice, dtype=str, keep_default_na=False)
    lines = pd.DataFrame(
        {
            "product_id": raw["StockCode"],
            "placed_at": pd.to_datetime(raw["InvoiceDate"]),
            "quantity": pd.to_numeric(raw["Quantity"]),
            "unit_price": pd.to_numeric(raw["UnitPrice"]),
            "is_guest": raw["CustomerID"] == "",
        }
    )
    panel = weekly_panel(lines)
    assert set(panel["channel"]) <= {"identified", "guest"}
    results = estimate_panel(panel)
    # The slice covers one or two weeks: nothing is identifiable, and each says why.
    assert results and all(r.elasticity is None for r in results.values())
    assert {r.status for r in results.values()} <= {"too_few_points", "zero_price"}
    # Lines at a price <= 0 (the slice has some) never reach the panel.
    free = nonpositive_price_lines(lines)
    assert free.sum() == ((lines["quantity"] > 0) & (lines["unit_price"] <= 0)).sum()
    assert (panel["list_price"] > 0).all()
