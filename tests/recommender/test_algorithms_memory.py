"""Issue 12.6: every member of the served pipeline estimates its memory before
fitting and, over a (tiny) budget, switches to its documented alternative or stops
with an error naming the limit. Synthetic data only (no database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.algorithms import memory
from recommender.algorithms.knn import ItemKNN
from recommender.algorithms.memory import MemoryBudgetError
from recommender.algorithms.ranker import CandidateRanker, ranker_context
from recommender.algorithms.repeat import EASE
from recommender.algorithms.selection import served_pipeline
from recommender.algorithms.temporal import NextPeriodRidge

from .test_algorithms_ranker import SHAPE, SMALL, WINDOWS, make_events

MIB = memory.MIB
N_USERS, N_ITEMS = 400, 300


@pytest.fixture(scope="module")
def matrix() -> sp.csr_matrix:
    """Purchases with Zipf-like popularity: item j bought with p ~ 1 / (j + 5)."""
    rng = np.random.default_rng(0)
    p = 3.0 / (np.arange(N_ITEMS) + 5.0)
    dense = rng.random((N_USERS, N_ITEMS)) < p
    counts = dense * rng.integers(1, 4, size=dense.shape)
    return sp.csr_matrix(counts.astype(np.float32))


def _mb(n_items: int, cell_bytes: int = memory.DENSE_CELL_BYTES) -> float:
    """A budget in MiB that fits exactly ``n_items`` items."""
    return memory.dense_fit_bytes(n_items, cell_bytes) / MIB


def test_ease_over_the_budget_is_ease_on_the_most_popular_items(matrix, tmp_path):
    full = EASE(regularization=10.0).fit(matrix)
    assert full.items_ is None and full.memory_note_ == ""
    small = EASE(regularization=10.0, memory_budget_mb=_mb(150)).fit(matrix)
    buyers = np.bincount(matrix.indices, minlength=N_ITEMS)
    assert len(small.items_) == 150
    assert small.weights_.shape == (150, 150)
    # the kept items are the most bought (by distinct customers)
    assert buyers[small.items_].min() >= np.delete(buyers, small.items_).max()
    assert "EASE on the 150 most popular of 300 items" in small.memory_note_
    # exactly EASE fitted on those columns, 0 for the other items
    sub = EASE(regularization=10.0).fit(matrix[:, small.items_])
    users = np.arange(20)
    scores = small.score(users, matrix)
    assert scores.shape == (20, N_ITEMS)
    np.testing.assert_allclose(
        scores[:, small.items_], sub.score(users, matrix[:, small.items_]), rtol=1e-6
    )
    assert not np.delete(scores, small.items_, axis=1).any()
    path = tmp_path / "ease.npz"
    small.save(path)
    loaded = EASE.load(path)
    np.testing.assert_array_equal(loaded.items_, small.items_)
    np.testing.assert_allclose(loaded.score(users, matrix), scores)


def test_ease_refuses_when_not_even_the_floor_fits(matrix):
    budget = _mb(memory.MIN_DENSE_ITEMS) * 0.9
    with pytest.raises(MemoryBudgetError, match=r"EASE needs .* MiB for 300 items"):
        EASE(memory_budget_mb=budget).fit(matrix)
    with pytest.raises(ValueError, match="memory_budget_mb must be > 0"):
        EASE(memory_budget_mb=0).fit(matrix)


def test_ridge_over_the_budget_regresses_the_most_popular_items(matrix):
    future = matrix[::-1].tocsr()
    kw = {"regularization": 50.0, "new_only": False}
    small = NextPeriodRidge(**kw, memory_budget_mb=_mb(120, memory.RIDGE_CELL_BYTES))
    small.fit(matrix, future=future)
    assert small.weights_.shape == (120, 120)
    assert "next-period ridge on the 120 most popular" in small.memory_note_
    sub = NextPeriodRidge(**kw).fit(
        matrix[:, small.items_], future=future[:, small.items_]
    )
    scores = small.score(np.arange(10), matrix)
    np.testing.assert_allclose(
        scores[:, small.items_],
        sub.score(np.arange(10), matrix[:, small.items_]),
        rtol=1e-5,
        atol=1e-7,
    )
    assert not np.delete(scores, small.items_, axis=1).any()


def test_item_knn_in_small_blocks_is_the_same_model_or_refuses(matrix):
    full = ItemKNN(k=10, binary=True).fit(matrix)
    n = N_ITEMS
    budget = (12 * n * 10 + 24 * n * 7) / MIB  # room for 7 items per block
    assert memory.knn_block_size(n, 10, budget * MIB, shrinkage=False) == 7
    small = ItemKNN(k=10, binary=True, memory_budget_mb=budget).fit(matrix)
    assert (small.similarity_ != full.similarity_).nnz == 0
    with pytest.raises(MemoryBudgetError, match="item k-NN needs .* with k=10"):
        ItemKNN(k=10, memory_budget_mb=12 * n * 10 / MIB).fit(matrix)


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return make_events()


def test_ranker_features_in_chunks_are_the_same(events):
    context = ranker_context(
        events, reference="2011-06-01", shape=SHAPE, new_only=False
    )
    users = np.arange(SHAPE[0])
    whole = context.features(users)
    context.memory_budget_mb = memory.CELL_BYTES * SHAPE[1] * 7 / MIB  # 7 a chunk
    chunked = context.features(users)
    for name in ("users", "rows", "items"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))
    # float32 products summed in another order: equal up to rounding
    np.testing.assert_allclose(chunked.features, whole.features, rtol=1e-5)


def test_ranker_learns_from_a_share_of_customers_over_the_budget(events):
    full = CandidateRanker(**SMALL)
    x_full, _ = full.training_set(events, WINDOWS, SHAPE)
    assert full.memory_note_ == ""
    need = len(x_full) * memory.ROW_BYTES  # the bound is at least the rows built
    small = CandidateRanker(**SMALL, memory_budget_mb=need / 2 / MIB)
    x_small, y_small = small.training_set(events, WINDOWS, SHAPE)
    assert len(x_small) < len(x_full) and len(y_small) == len(x_small)
    assert "ranker trained on" in small.memory_note_
    tiny = CandidateRanker(**SMALL, memory_budget_mb=memory.ROW_BYTES * 10 / MIB)
    with pytest.raises(MemoryBudgetError, match="ranker's training set needs"):
        tiny.training_set(events, WINDOWS, SHAPE)


def _wide_events(seed: int = 0) -> pd.DataFrame:
    """300 products, 150 customers buying weekly baskets for six months."""
    rng = np.random.default_rng(seed)
    p = 1.0 / (np.arange(N_ITEMS) + 5.0)
    p /= p.sum()
    rows, invoice = [], 0
    for u in range(150):
        staples = rng.choice(N_ITEMS, 3, replace=False, p=p)
        day = pd.Timestamp("2011-01-03") + pd.Timedelta(days=int(rng.integers(7)))
        while day < pd.Timestamp("2011-07-01"):
            invoice += 1
            basket = set(staples[rng.random(3) < 0.6]) | set(
                rng.choice(N_ITEMS, 2, p=p)
            )
            rows += [(u, int(i), invoice, day) for i in sorted(basket)]
            day += pd.Timedelta(days=int(rng.integers(5, 12)))
    return pd.DataFrame(rows, columns=["u", "i", "invoice", "date"])


PIPELINE = {
    "origins": 3,
    "origin_window_days": 30,
    "origin_step_days": 14,
    "min_history_days": 60,
    "max_users": 100,
    "base": {"knn_k": 10, "ease_regularization": 10.0, "ranker_windows": 2},
    "ridge_grid": [10.0, 100.0],
    "tree_grid": [{"max_leaf_nodes": 4, "max_iter": 20}],
    "weight_grid": [0.0, 0.3, 1.0],
}


def test_served_pipeline_switches_members_within_a_small_budget():
    events = _wide_events()
    shape = (150, N_ITEMS)
    # one dense member's share 0.5 * total * 28 / (4 * 9 + 24): not all 300 items
    total_mb = 10.0
    keep = memory.dense_items_within(0.5 * total_mb * MIB * 28 / 60, N_ITEMS)
    assert keep < N_ITEMS
    model, tuned = served_pipeline(
        events,
        shape,
        new_only=False,
        settings=PIPELINE,
        reference="2011-07-01",
        memory_budget_mb=total_mb,
    )
    notes = " | ".join(tuned.memory_notes)
    assert f"EASE on the {keep} most popular of 300 items" in notes
    assert "next-period ridge on the" in notes
    assert "validation customers per origin instead of 100" in notes
    assert len(model.blend_.ease_.items_) == keep
    ids, _ = model.recommend(np.arange(5), model.history_, n=10, exclude_seen=False)
    assert ids.shape == (5, 10) and (ids >= 0).all()
    # the same data within a generous budget: nothing switched
    _, roomy = served_pipeline(
        events,
        shape,
        new_only=False,
        settings=PIPELINE,
        reference="2011-07-01",
        memory_budget_mb=4096.0,
    )
    assert roomy.memory_notes == []


def test_served_pipeline_stops_with_the_limit_named():
    events = _wide_events()
    with pytest.raises(MemoryBudgetError, match="raise RECOMMENDER"):
        served_pipeline(
            events,
            (150, N_ITEMS),
            new_only=False,
            settings=PIPELINE,
            reference="2011-07-01",
            memory_budget_mb=0.05,
        )


def test_budget_split_gives_dense_members_no_more_than_they_need():
    total = 1024 * MIB
    small = memory.member_budgets(total, dense_alive=12, n_items=500)
    assert small.dense == memory.dense_fit_bytes(500, memory.RIDGE_CELL_BYTES)
    left = total - (4 * 12 + memory.RIDGE_CELL_BYTES) * 500**2
    assert small.grids == pytest.approx(2 * left / 3)
    assert small.ranker == pytest.approx(left / 3)
    big = memory.member_budgets(total, dense_alive=12, n_items=50_000)
    assert big.dense == pytest.approx(0.5 * total * 28 / 72)
    plan = memory.pipeline_plan((70_000, 50_000), total)
    assert any(line.startswith("EASE: ") and "of 50,000 items" in line for line in plan)
    with pytest.raises(ValueError, match="total must be > 0"):
        memory.member_budgets(0, dense_alive=1)
