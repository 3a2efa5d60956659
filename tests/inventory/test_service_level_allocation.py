"""Per-product cycle service levels around the shop's aggregate target (issue 18.5)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from inventory import services
from inventory.algorithms.allocation import allocate_service_levels
from inventory.models import InventoryPolicy, ReorderSuggestion
from shop.services.stock import stock_set


def _lost(w, q):
    """Expected lost units per day: sum_i w_i G(z_i) (standard normal loss)."""
    z = norm.ppf(q)
    return float(np.sum(w * (norm.pdf(z) - z * norm.sf(z))))


def test_levels_keep_the_mean_and_equalise_the_marginal_loss():
    w = np.random.default_rng(3).lognormal(0.0, 1.5, 300)
    q = allocate_service_levels(w, target=0.95, lower=0.90, upper=0.99)
    assert q.mean() == pytest.approx(0.95, abs=1e-9)
    assert q.min() >= 0.90 - 1e-12 and q.max() <= 0.99 + 1e-12
    order = np.argsort(w)
    assert (np.diff(q[order]) >= -1e-12).all()  # more weight, higher level
    # first-order condition: w_i (1 - Phi) / phi is one multiplier inside the range
    inside = (q > 0.9001) & (q < 0.9899)
    assert inside.sum() >= 5
    z = norm.ppf(q[inside])
    lam = w[inside] * norm.sf(z) / norm.pdf(z)
    assert np.ptp(lam) / lam.mean() < 1e-3


def test_allocation_loses_fewer_units_than_one_level_or_a_feasible_shift():
    rng = np.random.default_rng(5)
    w = rng.lognormal(0.0, 1.2, 200)
    q = allocate_service_levels(w, target=0.95, lower=0.85, upper=0.995)
    assert _lost(w, q) < 0.8 * _lost(w, np.full(w.size, 0.95))
    for _ in range(20):  # moving level between two products at equal mean
        i, j = rng.choice(w.size, 2, replace=False)
        shifted = q.copy()
        step = min(0.002, shifted[i] - 0.85, 0.995 - shifted[j])
        shifted[i] -= step
        shifted[j] += step
        assert _lost(w, shifted) >= _lost(w, q) - 1e-9


def test_equal_weights_and_bad_input():
    assert allocate_service_levels(
        [2.0, 2.0, 2.0], target=0.95, lower=0.9, upper=0.99
    ) == pytest.approx([0.95] * 3)
    q = allocate_service_levels([0.0, 1.0, 3.0], target=0.95, lower=0.9, upper=0.99)
    assert q[0] == 0.9 and q.mean() == pytest.approx(0.95)
    # one product that can lose units: it gets the top, the idle ones the rest
    q = allocate_service_levels([0.0, 0.0, 3.0], target=0.95, lower=0.9, upper=0.99)
    assert q == pytest.approx([0.93, 0.93, 0.99])
    with pytest.raises(ValueError, match="weights"):
        allocate_service_levels([1.0, -1.0], target=0.95, lower=0.9, upper=0.99)
    with pytest.raises(ValueError, match="lower <= target <= upper"):
        allocate_service_levels([1.0, 2.0], target=0.95, lower=0.96, upper=0.99)


@pytest.mark.django_db
def test_suggestion_shows_the_allocated_level_and_the_parts_of_its_maximum(
    history, settings, admin_client
):
    settings.INVENTORY = {"SERVICE_LEVEL_RANGE": (0.90, 0.99)}
    InventoryPolicy.objects.create(scope="shop", lead_time_days=14)
    stock_set(product=history["steady"], on_hand=0, is_assumed=False, reason="count")
    run = services.forecast_demand()
    levels = [f.service_level for f in run.forecasts.all()]  # the chunk's 3
    assert len(levels) == 3
    assert np.mean(levels) == pytest.approx(0.95, abs=1e-6)
    assert max(levels) > 0.95 > min(levels)  # spread, not one level for all
    steady = run.forecasts.get(product=history["steady"])
    assert steady.policy_service_level == 0.95
    # the maximum is re-derivable from the screen: its two parts add up to it
    assert steady.cycle_demand + steady.cycle_safety_stock == pytest.approx(
        steady.order_up_to
    )
    reason = ReorderSuggestion.objects.get(product=history["steady"]).reason
    assert f"{steady.service_level:.0%} service; the policy's 95% on average" in reason
    parts = f": {steady.cycle_demand:.0f} + {steady.cycle_safety_stock:.0f})"
    assert parts in reason or "capped at" in reason
    # the queue's min / max column shows the same two parts under the max
    page = admin_client.get("/admin/inventory/reordersuggestion/").content.decode()
    shown = f"= {steady.cycle_demand:,.0f} + {steady.cycle_safety_stock:,.0f} SS"
    assert shown in page


@pytest.mark.django_db
def test_without_a_range_every_product_keeps_the_policy_level(history, settings):
    settings.INVENTORY = {"SERVICE_LEVEL_RANGE": None}
    run = services.forecast_demand()
    assert {f.service_level for f in run.forecasts.all()} == {0.95}
