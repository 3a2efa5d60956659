"""NextPeriodRidge and its inputs, on synthetic purchases with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.algorithms.repeat import EASE, RepeatBlend
from recommender.algorithms.temporal import (
    NextPeriodRidge,
    next_period_matrices,
    stacked_next_period_matrices,
)

N_USERS, N_ITEMS = 60, 12
REF = pd.Timestamp("2011-09-01")


def sequel_events(seed: int = 0):
    """Half the customers buy item 0 and later (last 90 days) item 1; the other
    half item 2, later item 3. Items 4..11 are bought at random throughout, so
    co-occurrence in one history never links 0 with 1 or 2 with 3."""
    rng = np.random.default_rng(seed)
    users, items, dates = [], [], []

    def buy(u, i, days_before):
        users.append(u)
        items.append(i)
        dates.append(REF - pd.Timedelta(days=float(days_before)))

    for u in range(N_USERS):
        first, then = (0, 1) if u < N_USERS // 2 else (2, 3)
        buy(u, first, rng.uniform(120, 300))
        buy(u, then, rng.uniform(1, 89))
        for i in rng.choice(np.arange(4, N_ITEMS), 4, replace=False):
            buy(u, int(i), rng.uniform(1, 300))
    return np.array(users), np.array(items), pd.to_datetime(dates)


def test_next_period_matrices_split_and_decay():
    users = [0, 0, 1, 1]
    items = [0, 1, 0, 2]
    dates = pd.to_datetime(["2011-01-01", "2011-08-01", "2011-05-04", "2011-09-02"])
    history, future = next_period_matrices(
        users,
        items,
        dates,
        reference=REF,
        shape=(2, 3),
        window_days=90,
        half_life_days=30,
    )
    # window = [2011-06-03, 2011-09-01); 2011-05-04 is 30 days before its start
    assert history[1, 0] == pytest.approx(0.5)
    assert history[0, 1] == 0 and future[0, 1] == 1
    assert future[1, 2] == 0  # on/after the reference date: ignored
    assert future.nnz == 1
    with pytest.raises(ValueError, match="window_days"):
        next_period_matrices(
            users, items, dates, reference=REF, shape=(2, 3), window_days=0
        )
    with pytest.raises(ValueError, match="no purchase before or inside"):
        next_period_matrices(users, items, dates, reference="2010-01-01", shape=(2, 3))


def test_next_period_ridge_learns_what_follows():
    users, items, dates = sequel_events()
    history, future = next_period_matrices(
        users, items, dates, reference=REF, shape=(N_USERS, N_ITEMS)
    )
    model = NextPeriodRidge(regularization=1.0).fit(history, future=future)
    # score from the history before the window: 0 -> 1, 2 -> 3
    ids, _ = model.recommend(np.arange(N_USERS), history, n=1)
    expected = np.where(np.arange(N_USERS) < N_USERS // 2, 1, 3)
    np.testing.assert_array_equal(ids[:, 0], expected)
    # EASE, fit on the same history, cannot know it: 1 and 3 are never co-bought
    ease_ids, _ = (
        EASE(regularization=1.0)
        .fit(history)
        .recommend(np.arange(N_USERS), history, n=1)
    )
    assert (ease_ids[:, 0] == expected).mean() < 0.5


def test_new_only_drops_rebought_items_from_the_target():
    history = sp.csr_matrix(np.array([[1.0, 0.0], [1.0, 0.0]]))
    future = sp.csr_matrix(np.array([[1.0, 1.0], [1.0, 0.0]]))
    rebuy = NextPeriodRidge(regularization=0.1, new_only=False).fit(
        history, future=future
    )
    fresh = NextPeriodRidge(regularization=0.1, new_only=True).fit(
        history, future=future
    )
    assert rebuy.weights_[0, 0] > 0.5
    assert fresh.weights_[0, 0] == 0.0 and fresh.weights_[0, 1] > 0


def test_next_period_ridge_bad_input():
    history = sp.csr_matrix(np.eye(3, dtype=np.float32))
    with pytest.raises(ValueError, match="regularization"):
        NextPeriodRidge(regularization=0).fit(history)
    with pytest.raises(ValueError, match="future has shape"):
        NextPeriodRidge().fit(history, future=sp.csr_matrix((2, 3)))
    with pytest.raises(ValueError, match="both before and in the window"):
        NextPeriodRidge().fit(history, future=sp.csr_matrix((3, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        NextPeriodRidge().fit(-history)


def test_repeat_blend_tunes_and_saves_the_next_period_member(tmp_path):
    users, items, dates = sequel_events()
    shape = (N_USERS, N_ITEMS)
    history, future = next_period_matrices(
        users, items, dates, reference=REF, shape=shape
    )
    member = NextPeriodRidge(regularization=1.0).fit(history, future=future)
    blend = RepeatBlend(knn_k=5, ease_regularization=1.0).fit(
        history, next_period=member
    )
    truth = sp.csr_matrix(future)
    weights = blend.tune_weights(
        np.arange(N_USERS), history, truth, exclude_seen=True, grid=(0.0, 1.0, 5.0)
    )
    assert weights["next_period"] > 0 and weights["ndcg"] > 0.9
    path = tmp_path / "blend.npz"
    blend.save(path)
    again = RepeatBlend.load(path)
    np.testing.assert_array_equal(
        again.recommend(np.arange(N_USERS), history, n=2)[0],
        blend.recommend(np.arange(N_USERS), history, n=2)[0],
    )
    with pytest.raises(ValueError, match="next_period has"):
        RepeatBlend(knn_k=5).fit(history[:, :5], next_period=member)


def test_stacked_pairs_skip_empty_windows_and_decay():
    users = [0, 0, 1, 1]
    items = [0, 1, 0, 2]
    dates = pd.to_datetime(["2011-07-01", "2011-08-01", "2011-07-20", "2011-08-20"])
    history, future, weight = stacked_next_period_matrices(
        users,
        items,
        dates,
        reference=REF,
        shape=(2, 3),
        window_days=30,
        step_days=30,
        n_windows=4,
        half_life_days=None,
        pair_half_life_days=30,
    )
    # windows end 09-01 and 08-02 (kept), 07-03 and 06-03 (nothing before: skipped)
    assert history.shape == (4, 3) and future.shape == (4, 3)
    np.testing.assert_allclose(weight, [1, 1, 0.5, 0.5])
    assert future.nnz == 3 and future[1, 2] == 1  # 08-02..09-01: 08-20
    assert history[0, 1] == 1 and history[1, 0] == 1
    assert future[2, 1] == 1 and future[3, 0] == 1  # 07-03..08-02: 07-20, 08-01
    assert history[2, 0] == 1 and history[3].nnz == 0
    with pytest.raises(ValueError, match="step_days"):
        stacked_next_period_matrices(
            users, items, dates, reference=REF, shape=(2, 3), step_days=0
        )
    with pytest.raises(ValueError, match="no window"):
        stacked_next_period_matrices(
            users, items, dates, reference="2010-01-01", shape=(2, 3)
        )


def test_sample_weight_equals_repeated_rows():
    users, items, dates = sequel_events()
    history, future = next_period_matrices(
        users, items, dates, reference=REF, shape=(N_USERS, N_ITEMS)
    )
    weight = np.where(np.arange(N_USERS) % 3 == 0, 2.0, 1.0)
    weighted = NextPeriodRidge(regularization=1.0).fit(
        history, future=future, sample_weight=weight
    )
    twice = np.flatnonzero(weight == 2.0)
    repeated = NextPeriodRidge(regularization=1.0).fit(
        sp.vstack([history, history[twice]]).tocsr(),
        future=sp.vstack([future, future[twice]]).tocsr(),
    )
    np.testing.assert_allclose(weighted.weights_, repeated.weights_, atol=1e-5)
    with pytest.raises(ValueError, match="sample_weight"):
        NextPeriodRidge().fit(history, future=future, sample_weight=weight[:-1])
