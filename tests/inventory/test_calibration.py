"""Interval and safety-stock calibration across products, on errors with a known law."""

import numpy as np
import pytest

from inventory.algorithms import calibration as cal
from inventory.algorithms import policy as pol
from inventory.algorithms.backtest import AutoForecaster, conformal_bounds
from inventory.algorithms.demand import DemandClass


def _fitted(errors: np.ndarray, label: str = "smooth", level: float = 1.0):
    """An AutoForecaster whose backtest errors (n_origins, h) are given."""
    model = AutoForecaster(interval_method="additive")
    model.origin_errors_ = errors
    model.origin_scaled_errors_ = errors / level
    model.errors_ = errors.ravel()
    model.demand_class_ = DemandClass(label, 1.0, 0.1, errors.size)
    model.level_now_ = level
    return model


def test_conformal_bounds_hold_the_point_forecast():
    lo, hi = conformal_bounds(np.arange(1.0, 101.0), 80)  # all errors positive
    assert lo == 0.0 and hi >= 90.0
    lo, hi = conformal_bounds(np.linspace(-1, 1, 201), 95)
    assert lo == pytest.approx(-hi) and 0.95 < hi <= 1.0


def test_calibration_widens_when_the_last_origin_is_more_volatile():
    rng = np.random.default_rng(0)
    models = []
    for _ in range(60):
        past = rng.normal(0, 1, (3, 24))
        last = rng.normal(0, 2, (1, 24))  # the latest window is twice as noisy
        models.append(_fitted(np.vstack([past, last])))
    out = cal.interval_calibration(models, levels=(80, 95))
    # a normal with sd 2 needs about twice the sd-1 half-width
    assert 1.6 < out["all"][80] < 2.5 and 1.6 < out["all"][95] < 2.5
    assert out["smooth"] == out["all"]


def test_calibration_keeps_widths_when_errors_are_exchangeable():
    rng = np.random.default_rng(1)
    models = [_fitted(rng.normal(0, 1, (4, 24))) for _ in range(80)]
    out = cal.interval_calibration(models)
    assert 0.8 < out["all"][80] < 1.25 and 0.8 < out["all"][95] < 1.25


def test_small_classes_fall_back_to_the_pool_of_all_products():
    rng = np.random.default_rng(2)
    models = [_fitted(rng.normal(0, 1, (4, 24))) for _ in range(40)]
    models += [_fitted(rng.normal(0, 5, (4, 24)), label="lumpy") for _ in range(3)]
    out = cal.interval_calibration(models, min_products=30)
    assert out["lumpy"] == out["all"]
    assert cal.scale_for(out, "erratic") == out["all"]
    # a short backtest (one origin) cannot be calibrated: multipliers stay 1
    assert cal.interval_calibration([_fitted(np.ones((1, 24)))])["all"] == {
        80: 1.0,
        95: 1.0,
    }


def test_predict_applies_the_width_multiplier():
    rng = np.random.default_rng(3)
    model = AutoForecaster(interval_method="additive").fit(rng.poisson(5, 200) * 1.0)
    base = model.predict(6)
    model.interval_scale = {80: 1.0, 95: 2.0}
    wide = model.predict(6)
    np.testing.assert_allclose(wide["hi-80"], base["hi-80"])
    half = base["hi-95"] - base["mean"]
    np.testing.assert_allclose(wide["hi-95"] - wide["mean"], 2 * half)


def test_lead_time_quantiles_pool_the_shape_and_keep_each_spread():
    rng = np.random.default_rng(4)
    models = [_fitted(rng.normal(0, sd, (4, 24))) for sd in np.linspace(1, 10, 40)]
    q = cal.lead_time_error_quantiles(models, steps=6, q=0.95)
    # standardised sums of independent normal errors: the 95 % quantile is near z
    assert 1.3 < q["all"] < 2.0
    small, big = models[0], models[-1]
    assert cal.error_unit(big, 6) > 5 * cal.error_unit(small, 6)
    # a 6-day sum of sd-1 daily errors has rms ~ sqrt(6)
    assert cal.sum_error_rms(small, 6) == pytest.approx(np.sqrt(6), rel=0.35)
    ss = pol.safety_stock_empirical(error_quantile=q["all"] * cal.error_unit(big, 6))
    assert ss > 0


def test_lead_time_quantiles_see_a_heavy_upper_tail_and_bias():
    errors = np.zeros((4, 24))
    errors[:, ::6] = 30.0  # a large order every sixth day, always missed
    models = [_fitted(errors.copy()) for _ in range(35)]
    q = cal.lead_time_error_quantiles(models, steps=6, q=0.95, scale="level")
    assert q["all"] == pytest.approx(30.0)  # every 6-day window holds one order
    with pytest.raises(ValueError, match="scale"):
        cal.lead_time_error_quantiles(models, steps=6, q=0.95, scale="units")
    with pytest.raises(ValueError, match="q must"):
        cal.lead_time_error_quantiles(models, steps=6, q=1.0)
    assert pol.safety_stock_empirical(error_quantile=-3.0) == 0.0
    with pytest.raises(ValueError, match="finite"):
        pol.safety_stock_empirical(error_quantile=float("nan"))
