"""The readout's sequential test on synthetic traffic with a known answer."""

import math

import numpy as np
import pytest

from experiments.algorithms.readout import cumulative_lift
from experiments.algorithms.stats import (
    error_spending_bounds,
    msprt_horizon_threshold,
    obrien_fleming_spending,
)


def test_horizon_threshold_is_below_the_open_ended_one_and_calibrated():
    looks = np.arange(1, 31) / 30
    log_c = msprt_horizon_threshold(looks, mixture_ratio=1.0, alpha=0.05)
    assert 0 < log_c < math.log(20)
    # a fresh set of null random walks crosses it about alpha of the time
    rng = np.random.default_rng(11)
    steps = rng.standard_normal((4000, 30)) * np.sqrt(1 / 30)
    z2 = np.cumsum(steps, axis=1) ** 2 / looks
    r = looks
    crossed = (-0.5 * np.log1p(r) + r * z2 / (2 * (1 + r))).max(axis=1) >= log_c
    assert 0.04 <= crossed.mean() <= 0.06


def test_horizon_threshold_refuses_bad_fractions():
    with pytest.raises(ValueError, match="fractions"):
        msprt_horizon_threshold([0.5, 0.4], mixture_ratio=1.0)
    with pytest.raises(ValueError, match="mixture_ratio"):
        msprt_horizon_threshold([0.5, 1.0], mixture_ratio=0.0)


def _traffic(rng, n=600, days=30, lift=0.0):
    """Units arriving uniformly, spending a heavy-tailed amount on random days."""
    first = rng.integers(0, days, n)
    arm = rng.integers(0, 2, n)
    daily = rng.lognormal(3.0, 1.2, (n, days)) * (rng.random((n, days)) < 0.08)
    daily[np.arange(days)[None, :] < first[:, None]] = 0
    daily *= np.where(arm == 1, 1 + lift, 1.0)[:, None]
    pre = rng.lognormal(3.0, 1.0, n) + daily[:, :10].sum(axis=1)  # correlated
    return arm, first, np.cumsum(daily, axis=1), pre


def test_sequential_readout_false_positives_and_power_on_synthetic_traffic():
    rng = np.random.default_rng(12)
    aa = [
        cumulative_lift(*_traffic(rng)[:3], horizon=30, window=5, min_units=10)[
            "reject"
        ][-1]
        for _ in range(120)
    ]
    assert 0.0 < np.mean(aa) <= 0.10  # alpha 0.05, daily looks, 120 experiments
    strong = [
        cumulative_lift(*_traffic(rng, lift=1.5)[:3], horizon=30, window=5)["reject"][
            -1
        ]
        for _ in range(30)
    ]
    assert np.mean(strong) >= 0.8


def test_readout_shapes_cuped_and_bad_input():
    rng = np.random.default_rng(13)
    arm, first, values, pre = _traffic(rng, n=400)
    out = cumulative_lift(arm, first, values, pre_period=pre, horizon=30, window=5)
    assert out["difference"].shape == (30,) and out["reject"].dtype == bool
    assert np.isnan(out["seq_difference"][:4]).all()  # no window has passed yet
    assert np.all(np.diff(out["seq_low"][np.isfinite(out["seq_low"])]) >= 0)
    assert np.nanmax(out["variance_reduction"]) > 0
    with pytest.raises(ValueError, match="disagree"):
        cumulative_lift(arm[:-1], first, values)
    with pytest.raises(ValueError, match="arm must be 0"):
        cumulative_lift(arm + 1, first, values)


def test_error_spending_holds_alpha_when_information_arrives_front_loaded():
    days = np.arange(1, 31) / 30
    info = days**0.3  # most customers arrive in the first days
    bounds = error_spending_bounds(info, days, alpha=0.05)
    assert np.isinf(bounds[0]) and np.all(np.isfinite(bounds[10:]))
    # fresh null paths on that information scale cross about alpha of the time
    rng = np.random.default_rng(21)
    steps = rng.standard_normal((20000, 30)) * np.sqrt(np.diff(info, prepend=0.0))
    z = np.abs(np.cumsum(steps, axis=1)) / np.sqrt(info)
    assert 0.045 <= (z >= bounds).any(axis=1).mean() <= 0.055
    # a boundary depends only on the looks so far: tomorrow does not move today
    assert np.array_equal(error_spending_bounds(info[:12], days[:12]), bounds[:12])
    # after the planned stop no error is left to spend
    late = error_spending_bounds(np.r_[info, 1.1], np.r_[days, 31 / 30])
    assert np.isinf(late[-1])


def test_spending_function_and_bad_input():
    spent = obrien_fleming_spending(np.array([0.0, 0.25, 0.5, 1.0, 2.0]))
    assert spent[0] == 0 and np.all(np.diff(spent) >= 0)
    assert spent[3] == pytest.approx(0.05) and spent[4] == pytest.approx(0.05)
    assert spent[1] == pytest.approx(8.9e-5, rel=0.05)  # Lan & DeMets 1983, OBF
    with pytest.raises(ValueError, match="information"):
        error_spending_bounds([1.0, 0.0], [0.5, 1.0])
    with pytest.raises(ValueError, match="fraction"):
        error_spending_bounds([1.0, 2.0], [0.5, 0.4])


def test_aa_false_positives_stay_at_alpha_with_front_loaded_arrivals_daily_looks():
    """A/A with daily looks, arrivals front-loaded (half on the first 3 of 30 days),
    heavy-tailed spend: the planned-stop readout rejects about alpha of the time."""
    rng = np.random.default_rng(22)
    rejected = []
    for _ in range(300):
        arm, first, values, pre = _traffic(rng, n=400)
        first = np.minimum((30 * rng.random(arm.size) ** 3).astype(int), 29)
        daily = np.diff(values, axis=1, prepend=0.0)
        daily[np.arange(30)[None, :] < first[:, None]] = 0
        out = cumulative_lift(
            arm, first, np.cumsum(daily, axis=1), pre_period=pre, horizon=30,
            window=5, min_units=10,
        )  # fmt: skip
        rejected.append(out["reject"][-1])
    # alpha 0.05, 300 experiments: binomial s.e. 0.013
    assert 0.02 <= np.mean(rejected) <= 0.085
