"""Metrics, splits and tuning helpers (pure, no database)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from benchmarks.lab.tuning import (
    mean_over_windows,
    select_on_windows,
    tune_ratings,
)
from recommender.algorithms import metrics, splits
from recommender.algorithms.predictors import BaselineOnly
from recommender.algorithms.repeat import decayed_counts


def test_rmse_mae_known_values():
    assert metrics.rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    assert metrics.mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        metrics.rmse([1, 2], [1])


def test_ranking_metrics_by_hand():
    relevant = sp.csr_matrix(
        np.array([[1, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 1, 0]])
    )
    spend = sp.csr_matrix(
        np.array([[10.0, 0, 30.0, 0, 0], [0] * 5, [0, 0, 0, 60.0, 0]])
    )
    ids = np.array([[2, 1, -1], [0, 1, 2], [0, 1, 4]])
    out = metrics.ranking_metrics(ids, relevant, k=3, spend=spend, n_catalogue=5)
    assert out["users"] == 2  # the row without held-out items is skipped
    # row 0: hit at rank 1 only; |T| = 2. row 2: no hit.
    assert out["precision@3"] == pytest.approx((1 / 3 + 0) / 2)
    assert out["recall@3"] == pytest.approx((1 / 2 + 0) / 2)
    assert out["ndcg@3"] == pytest.approx((1.0 / (1 + 1 / math.log2(3))) / 2)
    assert out["map@3"] == pytest.approx((1.0 / 2) / 2)
    assert out["hit@3"] == pytest.approx(0.5)
    assert out["revenue@3"] == pytest.approx(30.0 / 100.0)
    assert out["coverage@3"] == pytest.approx(4 / 5)  # items 0, 1, 2, 4


def test_ranking_metrics_rejects_bad_shapes():
    with pytest.raises(ValueError):
        metrics.ranking_metrics(np.zeros((2, 3), int), sp.csr_matrix((3, 4)), k=3)
    with pytest.raises(ValueError, match="k must be"):
        metrics.ranking_metrics(np.zeros((3, 3), int), sp.csr_matrix((3, 4)), k=0)


def _lines(rows):
    cols = ["invoice", "code", "quantity", "date", "price", "customer", "country"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["spend"] = frame["quantity"] * frame["price"]
    return frame


def test_purchase_split_all_and_new():
    lines = _lines(
        [
            ("1", "10001", 2, "2011-08-01", 1.0, "A", "UK"),
            ("2", "10002", 1, "2011-08-02", 2.0, "B", "FR"),
            ("3", "10001", 1, "2011-09-05", 1.0, "A", "UK"),  # re-buy
            ("3", "10003", 4, "2011-09-05", 5.0, "A", "UK"),  # new, new product
            ("4", "10002", 1, "2011-09-06", 2.0, "C", "UK"),  # C not in train
        ]
    )
    split = splits.purchase_split(lines, cutoff="2011-09-01")
    assert list(split.customers) == ["A", "B"]
    assert split.n_items == 2 and list(split.items) == ["10001", "10002", "10003"]
    assert split.test_all[0].indices.tolist() == [0, 2]
    assert split.test_new[0].indices.tolist() == [2]
    assert split.spend_all[0, 2] == pytest.approx(20.0)
    assert split.users_with_test("all").tolist() == [0]
    with pytest.raises(ValueError, match="empty"):
        splits.purchase_split(lines, cutoff="2012-01-01")


def test_read_purchases_cleans_the_real_slice(online_retail_slice):
    lines = splits.read_purchases(online_retail_slice)
    assert len(lines) > 1000
    assert (lines["quantity"] > 0).all() and (lines["price"] > 0).all()
    assert lines["code"].str.match(r"^\d{5}").all()
    assert not lines["invoice"].str.startswith("C").any()
    assert not lines["customer"].str.endswith(".0").any()


def test_decayed_counts_half_life():
    m = decayed_counts([0, 0], [1, 1], [0.0, 10.0], shape=(1, 2), half_life_days=10)
    assert m[0, 1] == pytest.approx(1.5)
    with pytest.raises(ValueError):
        decayed_counts([0], [0], [-1.0], shape=(1, 1), half_life_days=5)


def test_tune_ratings_picks_the_better_regularisation():
    rng = np.random.default_rng(0)
    users = rng.integers(0, 50, 2000)
    items = rng.integers(0, 40, 2000)
    keys = np.unique(users * 40 + items)
    users, items = keys // 40, keys % 40
    ratings = np.clip(3 + 0.05 * (users - 25) + rng.normal(0, 0.3, len(users)), 1, 5)
    best, results, model = tune_ratings(
        lambda reg_u: BaselineOnly(reg_u=reg_u),
        {"reg_u": [0.1, 1e6]},
        users,
        items,
        ratings,
    )
    assert best == {"reg_u": 0.1}
    assert len(results) == 2 and model is not None
    with pytest.raises(ValueError):
        tune_ratings(BaselineOnly, {}, users, items, ratings)


def test_select_on_windows_keeps_the_best_on_average():
    # "spike" wins one window by a little and loses the others by a lot: the
    # single-window argmax of window 0 would pick it, the mean picks "steady".
    table = {
        "spike": (0.50, 0.20, 0.25),
        "steady": (0.48, 0.40, 0.42),
        "poor": (0.10, 0.10, 0.10),
    }
    windows = [lambda c, w=w: table[c][w] for w in range(3)]
    best, mean, per_window, scores = select_on_windows(list(table), windows)
    assert best == "steady"
    assert mean == pytest.approx((0.48 + 0.40 + 0.42) / 3)
    np.testing.assert_allclose(per_window, table["steady"])
    assert scores.shape == (3, 3)
    assert select_on_windows(list(table), windows[:1])[0] == "spike"
    assert mean_over_windows(windows)("spike") == pytest.approx(0.95 / 3)
    with pytest.raises(ValueError):
        select_on_windows([], windows)
    with pytest.raises(ValueError):
        mean_over_windows([])


def test_per_row_metrics_are_the_terms_ranking_metrics_averages():
    relevant = sp.csr_matrix(
        ([1.0, 1.0, 1.0, 1.0], ([0, 0, 1, 3], [2, 5, 0, 4])), shape=(4, 6)
    )
    ids = np.array([[2, 1, 5], [3, 4, -1], [0, 1, 2], [4, 0, 1]])
    rows = metrics.per_row_metrics(ids, relevant, k=3)
    means = metrics.ranking_metrics(ids, relevant, k=3)
    evaluated = np.array([True, True, False, True])  # row 2 has nothing held out
    for name, values in rows.items():
        assert values.shape == (4,)
        assert np.isclose(values[evaluated].mean(), means[name]), name
    np.testing.assert_allclose(rows["hit@3"], [1.0, 0.0, 0.0, 1.0])
    assert rows["ndcg@3"][3] == 1.0  # the only relevant item ranked first
    with pytest.raises(ValueError, match="k must be >= 1"):
        metrics.per_row_metrics(ids, relevant, k=0)
