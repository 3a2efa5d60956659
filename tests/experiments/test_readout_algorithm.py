"""The readout's sequential test on synthetic traffic with a known answer."""

import math

import numpy as np
import pytest

from experiments.algorithms.readout import cumulative_lift, sequential_outcome
from experiments.algorithms.stats import (
    error_spending_bounds,
    error_spending_bounds_correlated,
    look_correlation,
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


def _regulars_first(rng, n=3000, days=30):
    """Arrivals front-loaded; the first four days' arrivals (the regulars) spend 8x
    more, so their spread is larger than late, one-off customers' (as on the order
    history)."""
    first = np.minimum((days * rng.random(n) ** 2).astype(int), days - 1)
    spend = rng.lognormal(3.0, 1.0, n) * np.where(first < 4, 8.0, 1.0)
    daily = np.zeros((n, days))
    daily[np.arange(n), first] = spend * (rng.random(n) < 0.6)
    return first, np.cumsum(daily, axis=1)


def _welch_z_paths(first, values, window, looks, splits, seed):
    """z of the readout's own tested values at each look, for ``splits`` random
    50/50 re-splits of the same units (a permutation check), shape (splits, k)."""
    arms = (np.random.default_rng(seed).random((splits, first.size)) < 0.5) * 1.0
    z = np.zeros((splits, looks.size))
    for q, j in enumerate(looks):
        y, mature = sequential_outcome(first, values, window=window, look=int(j))
        y = np.where(mature, y, 0.0)
        nt = arms @ mature
        nc = mature.sum() - nt
        st, st2 = arms @ y, arms @ (y * y)
        sc, sc2 = y.sum() - st, (y * y).sum() - st2
        mt, mc = st / nt, sc / nc
        v = (st2 - nt * mt**2) / (nt - 1) / nt + (sc2 - nc * mc**2) / (nc - 1) / nc
        z[:, q] = (mt - mc) / np.sqrt(v)
    return z


def test_planned_stop_boundaries_hold_alpha_when_early_arrivals_spend_more():
    """Permutation check: re-splitting the same customers 4,000 times, the readout's
    boundaries are crossed about alpha of the time. Boundaries from the canonical
    information ``1 / V`` (the readout before this check) err about half as often:
    the looks are more correlated than ``1 / V`` says."""
    rng = np.random.default_rng(31)
    first, values = _regulars_first(rng)
    arm = rng.integers(0, 2, first.size)
    days, window = values.shape[1], 3
    out = cumulative_lift(arm, first, values, horizon=days, window=window)
    looks = np.flatnonzero(np.isfinite(out["seq_difference"]))
    z = _welch_z_paths(first, values, window, looks, 4000, seed=5)
    crossed = (np.abs(z) >= out["bound"][looks]).any(axis=1).mean()
    assert 0.04 <= crossed <= 0.06  # binomial s.e. 0.0035
    # the estimated correlation of the looks is the one the re-splits show
    present = first[:, None] + window - 1 <= looks[None, :]
    tested = np.column_stack(
        [sequential_outcome(first, values, window=window, look=int(j))[0]
         for j in looks]
    )  # fmt: skip
    estimated = look_correlation(tested, present, arm)
    observed = np.corrcoef(z.T)
    assert np.abs(estimated - observed).max() < 0.03
    canonical = np.sqrt(out["seq_variance"][looks][-1] / out["seq_variance"][looks])
    assert observed[0, -1] > canonical[0] + 0.15  # why 1 / V is not enough
    fraction = (looks - window + 2) / (days - window + 1)
    old = error_spending_bounds(1 / out["seq_variance"][looks], fraction)
    assert (np.abs(z) >= old).any(axis=1).mean() < 0.04


def test_correlated_bounds_match_the_canonical_ones_and_refuse_bad_input():
    info = np.arange(1, 21) / 20
    fraction = info.copy()
    canonical = np.sqrt(np.minimum.outer(info, info) / np.maximum.outer(info, info))
    correlated = error_spending_bounds_correlated(canonical, fraction)
    reference = error_spending_bounds(info, fraction)
    finite = np.isfinite(reference)
    assert np.array_equal(finite, np.isfinite(correlated))
    assert np.allclose(correlated[finite], reference[finite], atol=1e-3)
    # a bound depends only on the looks so far
    head = error_spending_bounds_correlated(canonical[:8, :8], fraction[:8])
    assert np.allclose(head, correlated[:8])
    # a day on which nobody joins repeats the previous look: still computable
    repeated = np.ones((2, 2))
    assert np.isfinite(error_spending_bounds_correlated(repeated, [1.0, 1.0])[0])
    with pytest.raises(ValueError, match="correlation must be"):
        error_spending_bounds_correlated(np.eye(3), [0.5, 1.0])
    with pytest.raises(ValueError, match="unit diagonal"):
        error_spending_bounds_correlated(2 * np.eye(2), [0.5, 1.0])
    with pytest.raises(ValueError, match="fraction"):
        error_spending_bounds_correlated(np.eye(2), [0.5, 0.4])
    with pytest.raises(ValueError, match="disagree"):
        look_correlation(np.zeros((4, 2)), np.ones((4, 3), bool), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="arm must be"):
        look_correlation(np.zeros((2, 2)), np.ones((2, 2), bool), [0, 2])
