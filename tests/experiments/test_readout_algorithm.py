"""The readout's sequential test on synthetic traffic with a known answer."""

import math

import numpy as np
import pytest

from experiments.algorithms.readout import cumulative_lift
from experiments.algorithms.stats import msprt_horizon_threshold


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
    assert np.all(np.diff(out["av_low"][np.isfinite(out["av_low"])]) >= 0)
    assert np.nanmax(out["variance_reduction"]) > 0
    with pytest.raises(ValueError, match="disagree"):
        cumulative_lift(arm[:-1], first, values)
    with pytest.raises(ValueError, match="arm must be 0"):
        cumulative_lift(arm + 1, first, values)
