"""Forecasting algorithms on synthetic series with known answers (no database)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from inventory.algorithms import forecasting as fc
from inventory.algorithms import intermittent as im
from inventory.algorithms import metrics
from inventory.algorithms.backtest import CANDIDATES, AutoForecaster
from inventory.algorithms.demand import TradingCalendar, classify_demand


def _check_output(out, h):
    assert set(out) == {"mean", "lo-80", "hi-80", "lo-95", "hi-95"}
    for key, values in out.items():
        assert values.shape == (h,), key
        assert np.isfinite(values).all(), key
        assert (values >= 0).all(), key
    assert (out["lo-95"] <= out["lo-80"] + 1e-9).all()
    assert (out["lo-80"] <= out["mean"] + 1e-9).all()
    assert (out["mean"] <= out["hi-80"] + 1e-9).all()
    assert (out["hi-80"] <= out["hi-95"] + 1e-9).all()


def test_ten_day_series_falls_back_and_says_why():
    y = np.array([3, 0, 5, 2, 0, 4, 1, 0, 6, 2], dtype=float)
    model = AutoForecaster(horizon=24).fit(y)
    assert model.model_name_ == "window_average_10"
    assert "too short for a backtest" in model.reason_
    out = model.predict(24)
    _check_output(out, 24)
    assert out["mean"][0] == pytest.approx(y.mean())


def test_all_zero_series_gives_zero_forecast_with_reason():
    model = AutoForecaster().fit(np.zeros(200))
    assert model.model_name_ == "zero"
    assert model.reason_ == "no sales in the history"
    out = model.predict(24)
    _check_output(out, 24)
    assert out["mean"].sum() == 0 and out["hi-95"].sum() == 0


def test_single_spike_is_intermittent_and_forecast_is_small_and_finite():
    y = np.zeros(200)
    y[120] = 50.0
    model = AutoForecaster().fit(y)
    out = model.predict(24)
    _check_output(out, 24)
    # one sale of 50 in 80 listed days: nothing like 50 a day is forecast
    assert out["mean"].max() < 5
    assert model.demand_class_.label in ("intermittent", "lumpy")


def test_gap_of_months_in_the_middle():
    rng = np.random.default_rng(0)
    y = rng.poisson(8, 300).astype(float)
    y[100:220] = 0  # four months without sales (e.g. not listed)
    model = AutoForecaster().fit(y)
    out = model.predict(24)
    _check_output(out, 24)
    # the recent 80 days sell ~8/day; the forecast follows the recent level
    assert 4 < out["mean"].mean() < 12


def test_leading_zeros_are_trimmed_before_the_first_sale():
    y = np.concatenate([np.zeros(250), np.full(60, 10.0)])
    model = AutoForecaster().fit(y)
    assert model.predict(24)["mean"].mean() == pytest.approx(10.0)


def test_seasonal_series_picks_a_seasonal_model_and_is_accurate():
    week = np.array([10, 20, 30, 20, 10, 5], dtype=float)
    y = np.tile(week, 40)
    model = AutoForecaster(combine=1).fit(y)
    assert model.model_name_ in ("seasonal_naive", "seasonal_window_average")
    np.testing.assert_allclose(model.predict(12)["mean"], np.tile(week, 2))


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(fc.NotFittedError):
        fc.WindowAverage(window=3).predict(5)


def test_bad_input_is_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="NaN"):
        fc.WindowAverage(window=2).fit([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="negative"):
        fc.WindowAverage(window=2).fit([1.0, -1.0, 2.0])
    with pytest.raises(fc.SeriesTooShort):
        fc.WindowAverage(window=30).fit(np.ones(5))
    with pytest.raises(ValueError, match="unknown candidate"):
        AutoForecaster(candidates=("prophet",))


@pytest.mark.parametrize("name", sorted(set(CANDIDATES) - {"sarimax"}))
def test_every_candidate_honours_the_contract(name):
    rng = np.random.default_rng(1)
    y = rng.poisson(3, 120).astype(float)
    out = CANDIDATES[name].build().fit(y).predict(10, level=(80, 95))
    _check_output(out, 10)


def test_croston_sba_tsb_known_values():
    # demand 4 every 2nd period: size 4, interval 2 -> rate 2 per period
    y = np.tile([0.0, 4.0], 50)
    assert im.Croston(alpha=0.1).fit(y).predict(1)["mean"][0] == pytest.approx(2.0)
    assert im.SBA(alpha=0.1).fit(y).predict(1)["mean"][0] == pytest.approx(1.9)
    tsb = im.TSB(alpha_d=0.1, alpha_p=0.1).fit(y).predict(1)["mean"][0]
    assert tsb == pytest.approx(2.0, abs=0.25)


def test_damped_holt_matches_statsmodels_with_the_same_parameters():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = np.linspace(10, 40, 60) + np.sin(np.arange(60))
    ours = fc.DampedHolt(alphas=(0.3,), betas=(0.1,), phis=(0.9,)).fit(y)
    ref = ExponentialSmoothing(
        y,
        trend="add",
        damped_trend=True,
        initialization_method="known",
        initial_level=float(y[:12].mean()),
        initial_trend=0.0,
    ).fit(
        smoothing_level=0.3,
        smoothing_trend=0.1,
        damping_trend=0.9,
        optimized=False,
    )
    np.testing.assert_allclose(ours.predict(6)["mean"], ref.forecast(6), rtol=1e-6)


def test_classification_cutoffs():
    smooth = classify_demand(np.array([10, 11, 9, 10, 12, 10, 9, 11.0]))
    assert smooth.label == "smooth" and smooth.adi == 1.0
    erratic = classify_demand(np.array([1, 30, 2, 25, 1, 40, 3, 1.0]))
    assert erratic.label == "erratic"
    intermittent = classify_demand(np.array([0, 5, 0, 0, 5, 0, 6, 0.0]))
    assert intermittent.label == "intermittent"
    assert intermittent.adi == pytest.approx(8 / 3)
    lumpy = classify_demand(np.array([0, 1, 0, 0, 40, 0, 2, 0.0]))
    assert lumpy.label == "lumpy"
    # exactly at the cut-off ADI = 1.32 counts as intermittent
    y = np.ones(132)
    y[:32] = 0
    assert classify_demand(y).label == "intermittent"
    assert classify_demand(np.zeros(5)).label == "no_demand"


def test_calendar_quirks():
    cal = TradingCalendar()
    assert not cal.is_open(date(2011, 6, 4))  # a Saturday
    assert cal.is_open(date(2011, 6, 5))  # Sunday trades
    assert not cal.is_open(date(2010, 12, 24))
    assert not cal.is_open(date(2011, 1, 3))
    assert cal.is_open(date(2011, 1, 4))
    # learnt holidays: a weekday without any trade in the history
    seen = pd.DatetimeIndex(
        [d for d in pd.date_range("2011-04-18", "2011-04-30") if d.weekday() != 5]
    ).drop(pd.Timestamp("2011-04-22"))
    learnt = TradingCalendar.from_history(
        seen, start=date(2011, 4, 18), end=date(2011, 4, 30)
    )
    assert date(2011, 4, 22) in learnt.holidays
    assert learnt.next_trading_days(date(2011, 4, 21), 2) == [
        date(2011, 4, 24),
        date(2011, 4, 25),
    ]


def test_metrics_known_values():
    y_train = np.array([1, 2, 3, 4, 5, 6, 7, 8.0])
    scale = metrics.seasonal_naive_scale(y_train, 7)
    assert scale == 7.0
    assert metrics.mase([1, 2], [2, 4], scale=scale) == pytest.approx(1.5 / 7)
    assert metrics.wape([2, 2], [1, 4]) == pytest.approx(0.75)
    assert metrics.bias([2, 2], [1, 4]) == pytest.approx(0.5)
    assert metrics.coverage([1, 5, 9], [0, 0, 0], [4, 5, 8]) == pytest.approx(2 / 3)
    assert metrics.pinball([10], [8], 0.9) == pytest.approx(1.8)
    assert np.isnan(metrics.mase([1], [1], scale=0.0))


def test_real_data_slice_forecasts_are_valid(online_retail_slice):
    """First 5,000 real rows (Dec 2010, cancellations included): every product's
    forecast is finite, non-negative and ordered within its intervals."""
    raw = pd.read_csv(online_retail_slice, dtype=str, keep_default_na=False)
    raw = raw[raw["StockCode"].str.match(r"^\d{5}")]
    raw["day"] = pd.to_datetime(raw["InvoiceDate"]).dt.normalize()
    daily = (
        raw.assign(q=raw["Quantity"].astype(int))
        .groupby(["StockCode", "day"])["q"]
        .sum()
        .clip(lower=0)
        .unstack(fill_value=0)
    )
    cal = TradingCalendar()
    open_days = cal.open_mask(daily.columns)
    assert open_days.sum() == len(daily.columns)  # Dec 2010 trades Sun..Fri only
    for code in daily.sum(axis=1).nlargest(40).index:
        model = AutoForecaster(horizon=6).fit(daily.loc[code].to_numpy(float))
        _check_output(model.predict(6), 6)
        assert model.reason_
