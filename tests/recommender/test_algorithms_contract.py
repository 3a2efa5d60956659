"""One contract suite over every top-N recommender (pure numpy, no database).

Synthetic data with a known answer: a checkerboard of two user blocks and two item
blocks; users interact only inside their own block, with a few items held out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from benchmarks.lab.graph import RP3beta
from benchmarks.lab.tifu import TIFUKNN
from recommender.algorithms.base import NotFittedError
from recommender.algorithms.knn import ItemKNN
from recommender.algorithms.mf_als import ImplicitALS
from recommender.algorithms.popularity import Popularity, RandomRecommender
from recommender.algorithms.repeat import EASE, BuyAgain, RepeatBlend
from recommender.algorithms.temporal import NextPeriodRidge
from recommender.algorithms.temporal_blend import TemporalBlend

N_USERS, N_ITEMS = 40, 30
SMALL_TREES = {"ranker_max_iter": 20, "ranker_max_leaf_nodes": 4}

# name -> (factory, learns_checkerboard)
MODELS = {
    "popularity": (lambda: Popularity(), False),
    "random": (lambda: RandomRecommender(random_state=3), False),
    "item_knn": (lambda: ItemKNN(k=10), True),
    "item_knn_shrunk": (lambda: ItemKNN(k=10, shrinkage=5.0, binary=True), True),
    "implicit_als_cg": (
        lambda: ImplicitALS(
            factors=2, iterations=10, regularization=1.0, random_state=0
        ),
        True,
    ),
    "implicit_als_cholesky": (
        lambda: ImplicitALS(
            factors=2,
            iterations=10,
            regularization=1.0,
            solver="cholesky",
            random_state=0,
        ),
        True,
    ),
    "ease": (lambda: EASE(regularization=10.0), True),
    "edlae": (lambda: EASE(regularization=10.0, dropout=0.25), True),
    "rp3beta": (lambda: RP3beta(alpha=0.8, beta=0.3, k=10), True),
    "buy_again": (lambda: BuyAgain(), False),
    "repeat_blend": (lambda: RepeatBlend(knn_k=10, ease_regularization=10.0), True),
    "next_period_ridge": (lambda: NextPeriodRidge(regularization=10.0), True),
    "tifu_knn": (lambda: TIFUKNN(alpha=0.5, n_neighbors=10), True),
    # fitted on dated events (checkerboard_events), scored from the count matrix
    "temporal_blend": (
        lambda: TemporalBlend(knn_k=10, ease_regularization=10.0, **SMALL_TREES),
        True,
    ),
    "temporal_blend_new": (
        lambda: TemporalBlend(
            new_only=True, knn_k=10, ease_regularization=10.0, **SMALL_TREES
        ),
        True,
    ),
}


def checkerboard(seed: int = 0) -> sp.csr_matrix:
    """Users 0..19 like items 0..14, users 20..39 like items 15..29 (70 % density)."""
    rng = np.random.default_rng(seed)
    dense = np.zeros((N_USERS, N_ITEMS), dtype=np.float32)
    half_u, half_i = N_USERS // 2, N_ITEMS // 2
    dense[:half_u, :half_i] = rng.random((half_u, half_i)) < 0.7
    dense[half_u:, half_i:] = rng.random((half_u, half_i)) < 0.7
    dense *= rng.integers(1, 4, size=dense.shape)
    for user in range(N_USERS):  # every user keeps >= 3 unseen items of the block
        block = np.arange(half_i) + (half_i if user >= half_u else 0)
        dense[user, rng.choice(block, 3, replace=False)] = 0
    return sp.csr_matrix(dense)


@pytest.fixture(scope="module")
def data() -> sp.csr_matrix:
    return checkerboard()


@pytest.fixture(params=sorted(MODELS))
def model_name(request) -> str:
    return request.param


def checkerboard_events(data: sp.csr_matrix, seed: int = 0) -> pd.DataFrame:
    """One invoice per unit of ``data``, on random days of Jan-Aug 2011 (so the
    event models see the same counts as the matrix models)."""
    rng = np.random.default_rng(seed)
    coo = data.tocoo()
    users = np.repeat(coo.row, coo.data.astype(int))
    items = np.repeat(coo.col, coo.data.astype(int))
    days = rng.integers(0, 240, size=users.size)
    return pd.DataFrame(
        {
            "u": users,
            "i": items,
            "invoice": np.arange(users.size),
            "date": pd.Timestamp("2011-01-01") + pd.to_timedelta(days, unit="D"),
        }
    )


def fitted(name: str, data: sp.csr_matrix):
    model = MODELS[name][0]()
    if isinstance(model, TemporalBlend):
        return model.fit(checkerboard_events(data), shape=data.shape)
    return model.fit(data)


def test_shapes_and_dtypes(model_name, data):
    model = fitted(model_name, data)
    ids, scores = model.recommend(np.arange(5), data, n=4)
    assert ids.shape == (5, 4) and scores.shape == (5, 4)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    one_ids, one_scores = model.recommend(3, data, n=4)
    assert one_ids.shape == (4,) and one_scores.shape == (4,)
    assert np.all(np.diff(scores, axis=1) <= 1e-6), "scores must be best first"


def test_excludes_seen_items(model_name, data):
    model = fitted(model_name, data)
    ids, _ = model.recommend(np.arange(N_USERS), data, n=N_ITEMS)
    for user in range(N_USERS):
        seen = set(data[user].indices)
        returned = set(ids[user][ids[user] >= 0])
        assert not seen & returned
        assert len(returned) == N_ITEMS - len(seen)


def test_exclude_seen_false_and_candidates(model_name, data):
    model = fitted(model_name, data)
    ids, _ = model.recommend(0, data, n=N_ITEMS, exclude_seen=False)
    assert set(ids[ids >= 0]) == set(range(N_ITEMS))
    cands = np.array([1, 7, 20])
    ids, _ = model.recommend(0, data, n=5, exclude_seen=False, candidate_items=cands)
    assert set(ids[ids >= 0]) <= set(cands.tolist())
    assert (ids == -1).sum() == 2


def test_n_larger_than_catalogue_pads(model_name, data):
    model = fitted(model_name, data)
    ids, scores = model.recommend(np.arange(3), data, n=N_ITEMS + 7)
    assert ids.shape == (3, N_ITEMS)
    seen = data[0].nnz
    assert (ids[0] == -1).sum() == seen
    assert np.all(np.isneginf(scores[0][ids[0] == -1]))


def test_unfitted_raises(model_name, data):
    model = MODELS[model_name][0]()
    with pytest.raises(NotFittedError):
        model.recommend(0, data, n=3)


@pytest.mark.parametrize("n", [0, -2])
def test_bad_n_raises(model_name, data, n):
    model = fitted(model_name, data)
    with pytest.raises(ValueError, match="n must be"):
        model.recommend(0, data, n=n)


def test_user_out_of_range_raises(model_name, data):
    model = fitted(model_name, data)
    with pytest.raises(ValueError, match="out of range"):
        model.recommend(N_USERS, data, n=3)


def test_save_load_round_trip(model_name, data, tmp_path):
    model = fitted(model_name, data)
    path = tmp_path / f"{model_name}.npz"
    model.save(path)
    loaded = type(model).load(path)
    a = model.recommend(np.arange(N_USERS), data, n=8)
    b = loaded.recommend(np.arange(N_USERS), data, n=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
    assert loaded.get_params() == model.get_params()


def test_saved_file_has_no_pickles(model_name, data, tmp_path):
    path = tmp_path / "m.npz"
    fitted(model_name, data).save(path)
    with np.load(path, allow_pickle=False) as arrays:
        assert all(arrays[k].dtype != object for k in arrays.files)


def test_deterministic(model_name, data):
    a = fitted(model_name, data).recommend(np.arange(N_USERS), data, n=6)
    b = fitted(model_name, data).recommend(np.arange(N_USERS), data, n=6)
    np.testing.assert_array_equal(a[0], b[0])


def test_learns_the_checkerboard(model_name, data):
    if not MODELS[model_name][1]:
        # the non-personalised baselines must NOT find the blocks: a check that
        # the checkerboard really needs personalisation
        model = fitted(model_name, data)
        ids, _ = model.recommend(np.arange(N_USERS), data, n=3)
        own = (ids < N_ITEMS // 2) == (np.arange(N_USERS)[:, None] < N_USERS // 2)
        assert own.mean() < 0.9
        return
    model = fitted(model_name, data)
    ids, _ = model.recommend(np.arange(N_USERS), data, n=3)
    own_block = (ids < N_ITEMS // 2) == (np.arange(N_USERS)[:, None] < N_USERS // 2)
    assert own_block.all()


def test_repeat_blend_recent_popularity_is_the_trending_prior(data):
    """With ``recent`` the popularity component follows recent weight, not buyers."""
    recent = sp.lil_matrix(data.shape, dtype=np.float32)
    recent[0, 29] = 5.0  # one recent purchase of item 29 outweighs everything
    model = RepeatBlend(weights={"popularity": 1.0}, knn_k=10).fit(
        data, recent=recent.tocsr()
    )
    ids, _ = model.recommend(np.array([0, 25]), data, n=1, exclude_seen=False)
    assert ids[:, 0].tolist() == [29, 29]
    plain = RepeatBlend(weights={"popularity": 1.0}, knn_k=10).fit(data)
    buyers = np.bincount(data.indices, minlength=N_ITEMS)
    top = plain.recommend(np.array([0]), data, n=1, exclude_seen=False)[0][0, 0]
    assert buyers[top] == buyers.max()
    with pytest.raises(ValueError, match="recent has shape"):
        RepeatBlend(knn_k=10).fit(data, recent=sp.csr_matrix((2, 2)))
