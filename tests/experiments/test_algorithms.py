"""Assignment and statistics of experiments on synthetic data with a known answer,
checked against scipy / statsmodels where they have the same computation."""

import math

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from experiments.algorithms.assignment import bucket, variant_index
from experiments.algorithms.stats import (
    always_valid_path,
    cuped_difference,
    cuped_theta,
    difference_in_means,
    msprt,
    srm_test,
)

# --- assignment -------------------------------------------------------------


def test_assignment_is_sticky_and_deterministic():
    units = [f"c:{i}" for i in range(500)]
    first = [variant_index("salt-a", u, [0.5, 0.5]) for u in units]
    again = [variant_index("salt-a", u, [0.5, 0.5]) for u in units]
    assert first == again
    assert bucket("salt-a", "s:abc") == bucket("salt-a", "s:abc")


def test_assignment_follows_the_shares():
    shares = [0.2, 0.3, 0.5]
    counts = np.bincount(
        [variant_index("x1", f"c:{i}", shares) for i in range(20000)], minlength=3
    )
    p = sps.chisquare(counts, 20000 * np.array(shares)).pvalue
    assert p > 0.001, counts


def test_assignments_of_two_experiments_are_independent():
    n = 20000
    a = [variant_index("exp-one", f"c:{i}", [0.5, 0.5]) for i in range(n)]
    b = [variant_index("exp-two", f"c:{i}", [0.5, 0.5]) for i in range(n)]
    table = np.zeros((2, 2))
    for i, j in zip(a, b, strict=True):
        table[i, j] += 1
    assert sps.chi2_contingency(table).pvalue > 0.001
    assert a != b  # a different salt reshuffles


@pytest.mark.parametrize(
    "shares", [[1.0], [0.5, 0.4], [0.5, 0.6, -0.1], [0.0, 1.0]], ids=str
)
def test_assignment_refuses_bad_shares(shares):
    with pytest.raises(ValueError, match="variants|shares"):
        variant_index("s", "c:1", shares)


def test_assignment_needs_a_unit():
    with pytest.raises(ValueError, match="unit"):
        bucket("s", "")


# --- difference in means ----------------------------------------------------


def test_difference_matches_statsmodels_welch():
    rng = np.random.default_rng(1)
    t = rng.gamma(0.5, 40.0, size=300)
    c = rng.gamma(0.5, 36.0, size=420)
    d = difference_in_means(t, c)
    cm = CompareMeans(DescrStatsW(t), DescrStatsW(c))
    low, high = cm.tconfint_diff(alpha=0.05, usevar="unequal")
    _, p, _ = cm.ttest_ind(usevar="unequal")
    assert d.difference == pytest.approx(t.mean() - c.mean())
    assert (d.low, d.high) == pytest.approx((low, high), rel=1e-9)
    assert d.p_value == pytest.approx(p, rel=1e-9)
    assert d.relative == pytest.approx(d.difference / c.mean())


def test_difference_interval_covers_the_truth_95_percent_of_the_time():
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(400):
        d = difference_in_means(rng.normal(1.0, 2, 80), rng.normal(0.5, 2, 80))
        hits += d.low <= 0.5 <= d.high
    assert 0.92 <= hits / 400 <= 0.98


def test_difference_refuses_too_few_units_and_nan():
    with pytest.raises(ValueError, match="treatment needs at least 2"):
        difference_in_means([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="control holds NaN"):
        difference_in_means([1.0, 2.0], [1.0, float("nan")])


# --- CUPED ------------------------------------------------------------------


def test_cuped_theta_is_the_ols_slope():
    rng = np.random.default_rng(3)
    x = rng.gamma(1.0, 50.0, 1000)
    y = 0.6 * x + rng.normal(0, 10, 1000)
    assert cuped_theta(y, x) == pytest.approx(sps.linregress(x, y).slope, rel=1e-9)
    assert cuped_theta(y, np.ones(1000)) == 0.0


def test_cuped_keeps_the_effect_and_narrows_the_interval():
    rng = np.random.default_rng(4)
    pre_t, pre_c = rng.gamma(1.0, 50.0, 2000), rng.gamma(1.0, 50.0, 2000)
    t = 0.8 * pre_t + rng.normal(0, 15, 2000) + 5.0  # true lift 5
    c = 0.8 * pre_c + rng.normal(0, 15, 2000)
    raw = difference_in_means(t, c)
    adjusted, reduction = cuped_difference(t, pre_t, c, pre_c)
    assert adjusted.low <= 5.0 <= adjusted.high
    # corr(y, x)^2 = 0.8^2 * 2500 / (0.8^2 * 2500 + 225) ~ 0.88
    assert 0.8 < reduction < 0.95
    assert (adjusted.high - adjusted.low) < 0.5 * (raw.high - raw.low)


def test_cuped_refuses_mismatched_covariate():
    with pytest.raises(ValueError, match="pre-period"):
        cuped_difference([1, 2, 3], [1, 2], [1, 2], [1, 2])


# --- SRM --------------------------------------------------------------------


def test_srm_matches_scipy_and_flags_a_broken_split():
    fine = srm_test([5030, 4970], [0.5, 0.5])
    assert not fine.mismatch
    ref = sps.chisquare([5030, 4970], [5000, 5000])
    assert fine.p_value == pytest.approx(ref.pvalue)
    broken = srm_test([5300, 4700], [0.5, 0.5])
    assert broken.mismatch and broken.p_value < 1e-8
    assert srm_test([0, 0], [0.5, 0.5]).mismatch is False


def test_srm_refuses_bad_shares():
    with pytest.raises(ValueError, match="sum to 1"):
        srm_test([10, 10], [0.5, 0.6])
    with pytest.raises(ValueError, match="one value per variant"):
        srm_test([10], [1.0])


# --- mSPRT ------------------------------------------------------------------


def test_msprt_matches_the_closed_form():
    look = msprt(2.0, 1.0, tau2=4.0, alpha=0.05)
    lr = math.sqrt(1 / 5) * math.exp(4 * 4 / (2 * 1 * 5))
    assert look.likelihood_ratio == pytest.approx(lr)
    assert look.p_value == pytest.approx(1 / lr)
    half = math.sqrt(5 / 4 * (2 * math.log(20) + math.log(5)))
    assert (look.low, look.high) == pytest.approx((2 - half, 2 + half))
    # the interval is exactly where the test does not reject theta0
    edge = msprt(half, 1.0, tau2=4.0, alpha=0.05)
    assert edge.likelihood_ratio == pytest.approx(20.0)


def _peeking(rng, lift: float, sims: int, looks: int = 30, per_look: int = 40):
    naive = sequential = 0
    for _ in range(sims):
        t = rng.normal(lift, 1.0, looks * per_look)
        c = rng.normal(0.0, 1.0, looks * per_look)
        diffs, vars_, naive_hit = [], [], False
        for n in range(per_look, looks * per_look + 1, per_look):
            d = difference_in_means(t[:n], c[:n])
            diffs.append(d.difference)
            vars_.append(d.std_error**2)
            naive_hit |= d.p_value < 0.05
        path = always_valid_path(diffs, vars_, tau2=0.04, alpha=0.05)
        naive += naive_hit
        sequential += bool(path["reject"][-1])
    return naive / sims, sequential / sims


def test_msprt_stays_valid_under_daily_peeking_where_the_t_test_does_not():
    naive, sequential = _peeking(np.random.default_rng(5), 0.0, sims=300)
    assert naive > 0.15  # peeking at a fixed-horizon test inflates the error
    assert sequential <= 0.07


def test_msprt_detects_a_real_lift():
    _, power = _peeking(np.random.default_rng(6), 0.2, sims=100)
    assert power >= 0.8


def test_always_valid_path_is_monotone_and_skips_empty_looks():
    path = always_valid_path(
        [0.0, 0.5, 0.1, 0.9], [0.0, 0.1, 0.05, 0.03], tau2=0.1, alpha=0.05
    )
    assert path["p_value"][0] == 1.0 and np.isinf(path["low"][0])
    assert np.all(np.diff(path["p_value"]) <= 0)
    assert np.all(np.diff(path["low"][1:]) >= 0)
    assert np.all(np.diff(path["high"][1:]) <= 0)
    with pytest.raises(ValueError, match="tau2"):
        msprt(0.1, 0.1, tau2=0.0)
