"""Interval and safety-stock calibration across products, on errors with a known law."""

from statistics import NormalDist

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


def _ramp(days: int = 200, start: float = 5.0, end: float = 25.0) -> np.ndarray:
    """Demand rising linearly from ``start`` to ``end`` units/day (a seasonal ramp)."""
    return np.round(np.linspace(start, end, days))


def test_lead_time_demand_is_floored_by_the_recent_rate():
    y = np.r_[np.full(150, 2.0), np.full(24, 20.0)]  # demand jumped 24 days ago
    model = AutoForecaster(candidates=("window_average_48",), combine=1).fit(y)
    plain = cal.lead_time_demand(model, 18, recent_window=None)
    assert plain == pytest.approx(18 * (24 * 2 + 24 * 20) / 48)
    assert cal.lead_time_demand(model, 18) == pytest.approx(18 * 20.0)
    # on flat demand the floor changes nothing
    flat = AutoForecaster(candidates=("window_average_48",), combine=1).fit(
        np.full(150, 3.0)
    )
    assert cal.lead_time_demand(flat, 6) == pytest.approx(18.0)
    with pytest.raises(ValueError, match="steps"):
        cal.lead_time_demand(flat, 0)


def test_sum_errors_measure_the_floored_forecast_in_the_backtest():
    y = _ramp()
    model = AutoForecaster(candidates=("window_average_48",), combine=1).fit(y)
    plain = cal.sum_errors(model, 6)
    floored = cal.sum_errors(model, 6, recent_window=24)
    assert plain.shape == floored.shape == (4 * (24 - 6 + 1),)
    # on a linear ramp a w-day mean lags by (w + 1) / 2 days; a day k ahead of the
    # cut (12.5 on average over an origin of 24) is under-forecast by
    # slope * (lag + k): the 24-day floor cuts the error by (12.5 + 12.5) / (24.5 +
    # 12.5)
    assert (plain > 0).all() and (floored > 0).all()
    assert floored.mean() / plain.mean() == pytest.approx(25 / 37, rel=0.05)
    # by hand, first origin, first window
    cut, hist = model.origin_cuts_[0], model.history_
    actual = hist[cut : cut + 6].sum()
    forecast = max(hist[cut - 48 : cut].mean(), hist[cut - 24 : cut].mean()) * 6
    assert floored[0] == pytest.approx(actual - forecast)
    # scaled errors divide by the level at the origin
    scaled = cal.sum_errors(model, 6, scaled=True, recent_window=24)
    assert scaled[0] == pytest.approx(floored[0] / model.origin_levels_[0])


def test_protection_follows_a_ramp_that_began_after_the_backtest_saw_flat_demand():
    rng = np.random.default_rng(0)
    models, futures = [], []
    for k in range(40):
        base = 4.0 + k % 5
        # flat for 170 days, then demand triples over the next 48 (30 seen, 18 ahead)
        mu = np.r_[np.full(170, base), np.linspace(base, 3 * base, 48)]
        y = rng.poisson(mu).astype(float)
        models.append(
            AutoForecaster(candidates=("window_average_48",), combine=1).fit(y[:200])
        )
        futures.append(y[200:218].sum())
    # the errors standardised in sample, as when the floor was introduced: held out,
    # the ramp's last origin against the flat ones covers the ramp without a floor
    floored = cal.LeadTimeProtection(models, growth_cap=None, holdout=False)
    plain = cal.LeadTimeProtection(
        models, recent_window=None, growth_cap=None, holdout=False
    )
    lv_f = np.array([floored.level(m, 18, 0.95) for m in models])
    lv_p = np.array([plain.level(m, 18, 0.95) for m in models])
    covered_f = np.mean(np.array(futures) <= lv_f)
    covered_p = np.mean(np.array(futures) <= lv_p)
    # errors measured on flat months under-protect the ramp; the recent-rate floor
    # recovers part of it (neither reaches 95 % on a ramp this steep)
    assert covered_p <= 0.1 and covered_f >= covered_p + 0.15
    assert lv_f.mean() > 1.1 * lv_p.mean()
    m = models[0]
    assert floored.level(m, 18, 0.95) == pytest.approx(
        floored.demand(m, 18) + floored.safety_stock(m, 18, 0.95)
    )
    with pytest.raises(ValueError, match="scale"):
        cal.LeadTimeProtection(models, scale="units")


def test_protection_without_a_backtest_uses_the_model_sigma():
    short = AutoForecaster().fit(np.array([4.0, 6.0, 5.0, 5.0, 4.0, 6.0]))
    assert short.origin_errors_.size == 0
    protect = cal.LeadTimeProtection([short])
    ss = protect.safety_stock(short, 9, 0.95)
    z = NormalDist().inv_cdf(0.95)
    assert ss == pytest.approx(z * short.sigma_ * 3.0)
    assert protect.demand(short, 9) == pytest.approx(45.0)


def test_growth_factor_grows_the_error_unit_of_products_whose_demand_rose():
    rng = np.random.default_rng(1)
    rising, flat, futures = [], [], []
    for k in range(40):
        base = 4.0 + k % 5
        mu = np.r_[np.full(170, base), np.linspace(base, 3 * base, 48)]
        y = rng.poisson(mu).astype(float)
        fit = AutoForecaster(candidates=("window_average_48",), combine=1)
        rising.append(fit.fit(y[:200]))
        futures.append(y[200:218].sum())
        flat.append(
            AutoForecaster(candidates=("window_average_48",), combine=1).fit(
                rng.poisson(base, 200).astype(float)
            )
        )
    g_rise = np.array([cal.growth_factor(m, cap=2.0) for m in rising])
    g_flat = np.array([cal.growth_factor(m, cap=2.0) for m in flat])
    assert (g_rise > 1.1).all() and (g_rise <= 2.0).all()
    assert (g_flat < 1.3).all() and (g_flat >= 1.0).all() and g_flat.mean() < 1.1
    grown = cal.LeadTimeProtection(rising, holdout=False)
    plain = cal.LeadTimeProtection(rising, growth_cap=None, holdout=False)
    lv_g = np.array([grown.level(m, 18, 0.95) for m in rising])
    lv_p = np.array([plain.level(m, 18, 0.95) for m in rising])
    assert (lv_g >= lv_p).all()
    assert np.mean(np.array(futures) <= lv_g) > np.mean(np.array(futures) <= lv_p)
    with pytest.raises(ValueError, match="growth_cap"):
        cal.LeadTimeProtection(rising, growth_cap=0.5)


def _lumpy_origins(rng, n: int) -> np.ndarray:
    """(n, 24) daily errors: N(0, 1), and in a quarter of the origins one missed
    order of 40 units (a wholesale order the forecast cannot see coming)."""
    errors = rng.normal(0, 1, (n, 24))
    for k in range(n):
        if rng.random() < 0.25:
            errors[k, rng.integers(24)] += 40.0
    return errors


@pytest.mark.parametrize(
    ("q", "held_out_at_least", "in_sample_below"),
    [
        (0.95, 0.945, 0.945),
        (0.99, 0.985, 0.975),
    ],
)
def test_held_out_standardisation_keeps_the_tail_of_rare_large_orders(
    q, held_out_at_least, in_sample_below
):
    rng = np.random.default_rng(7)
    models = [_fitted(_lumpy_origins(rng, 4)) for _ in range(200)]
    fresh = [_lumpy_origins(rng, 1)[0] for _ in models]  # the next window, same law

    def coverage(holdout: bool) -> float:
        pooled = cal.lead_time_error_quantiles(models, steps=6, q=q, holdout=holdout)[
            "all"
        ]
        return float(
            np.mean(
                [
                    np.mean(np.convolve(f, np.ones(6), "valid") <= pooled * unit)
                    for f, unit in zip(
                        fresh, (cal.error_unit(m, 6) for m in models), strict=True
                    )
                ]
            )
        )

    # divided by its own RMS, a product's one large order shrinks its own z: the
    # pooled tail is too light and the level covers fewer windows than promised
    held_out, in_sample = coverage(True), coverage(False)
    assert held_out >= held_out_at_least
    assert in_sample < in_sample_below and in_sample < held_out


def test_held_out_standardisation_of_normal_errors_stays_near_z():
    rng = np.random.default_rng(8)
    models = [_fitted(rng.normal(0, 1, (4, 24))) for _ in range(100)]
    held = cal.lead_time_error_quantiles(models, steps=6, q=0.95)["all"]
    own = cal.lead_time_error_quantiles(models, steps=6, q=0.95, holdout=False)
    z = NormalDist().inv_cdf(0.95)
    # a spread estimated on 3 other origins adds a little (t-like) width, no more
    assert own["all"] < held < 1.15 * z + 0.05 and held > 0.95 * z


def test_products_with_one_origin_are_pooled_only_when_none_has_two():
    rng = np.random.default_rng(9)
    four = [_fitted(rng.normal(0, 1, (4, 24))) for _ in range(40)]
    # one origin of a constant error: z is 1 in sample, and cannot be held out
    one = [_fitted(np.full((1, 24), 2.0)) for _ in range(200)]
    z, held_out = cal.standardised_sum_errors(one[0], 6)
    assert not held_out and np.allclose(z, 1.0)
    z, held_out = cal.standardised_sum_errors(four[0], 6)
    assert held_out and z.shape == (4 * 19,)
    # by hand: the first origin's sums over the RMS of the other three origins'
    rows = cal.origin_sum_errors(four[0], 6)
    assert z[0] == pytest.approx(rows[0, 0] / np.sqrt(np.mean(rows[1:] ** 2)))
    mixed = cal.lead_time_error_quantiles(four + one, steps=6, q=0.95)["all"]
    assert mixed == pytest.approx(
        cal.lead_time_error_quantiles(four, steps=6, q=0.95)["all"]
    )
    assert cal.lead_time_error_quantiles(one, steps=6, q=0.95)["all"] == (
        pytest.approx(1.0)
    )
