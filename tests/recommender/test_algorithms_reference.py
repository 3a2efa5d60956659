"""Our algorithms against the reference libraries (surprise, implicit) on small data.

Pure numpy/scipy/torch; no database. Slices of MovieLens keep this fast.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.algorithms.knn import ItemKNN, UserKNN
from recommender.algorithms.metrics import rmse
from recommender.algorithms.mf_als import ExplicitALS, ImplicitALS
from recommender.algorithms.mf_sgd import SGDMatrixFactorization
from recommender.algorithms.predictors import BaselineOnly
from recommender.algorithms.splits import kfold_indices, rating_folds, read_ratings
from tests.conftest import MOVIELENS_RATINGS

surprise = pytest.importorskip("surprise")
implicit = pytest.importorskip("implicit")

pytestmark = [
    pytest.mark.filterwarnings("ignore:Method expects CSR input"),
    pytest.mark.filterwarnings("ignore:OpenBLAS is configured"),
]


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    return read_ratings(MOVIELENS_RATINGS)


def _fold(frame: pd.DataFrame):
    data = surprise.Dataset.load_from_df(
        frame[["user", "item", "rating"]], surprise.Reader(rating_scale=(0.5, 5.0))
    )
    kfold = surprise.model_selection.KFold(n_splits=5, shuffle=True, random_state=0)
    trainset, testset = next(kfold.split(data))
    return next(rating_folds(frame)), trainset, testset


def _fit(model, fold):
    return model.fit_ratings(
        fold.train_users,
        fold.train_items,
        fold.train_ratings,
        n_users=fold.n_users,
        n_items=fold.n_items,
    )


def test_kfold_indices_equal_surprise_folds(ratings):
    frame = ratings.iloc[:997]
    data = surprise.Dataset.load_from_df(
        frame[["user", "item", "rating"]], surprise.Reader(rating_scale=(0.5, 5.0))
    )
    kfold = surprise.model_selection.KFold(n_splits=5, shuffle=True, random_state=0)
    raw = list(zip(frame["user"], frame["item"], strict=True))
    for (train, test), (_, testset) in zip(
        kfold_indices(len(frame)), kfold.split(data), strict=True
    ):
        assert [raw[i] for i in test] == [(u, i) for (u, i, _) in testset]
        assert len(train) + len(test) == len(frame)


@pytest.mark.parametrize(
    "ours, sim_options, ref_cls",
    [
        (
            lambda: UserKNN(k=40),
            {"name": "pearson", "user_based": True},
            "KNNWithMeans",
        ),
        (
            lambda: UserKNN(k=5, min_k=2),
            {"name": "pearson", "user_based": True},
            "KNNWithMeans",
        ),
        (
            lambda: ItemKNN(k=40, similarity="pearson", n_store=100_000),
            {"name": "pearson", "user_based": False},
            "KNNWithMeans",
        ),
        (
            lambda: ItemKNN(
                k=40,
                similarity="pearson_baseline",
                baseline="baseline",
                shrinkage=100,
                min_support=2,
                n_store=100_000,
            ),
            {"name": "pearson_baseline", "user_based": False},
            "KNNBaseline",
        ),
        (
            lambda: UserKNN(
                k=40,
                baseline="baseline",
                similarity="pearson_baseline",
                shrinkage=100,
                min_support=2,
            ),
            {"name": "pearson_baseline", "user_based": True},
            "KNNBaseline",
        ),
    ],
)
def test_knn_predictions_equal_surprise(ratings, ours, sim_options, ref_cls):
    fold, trainset, testset = _fold(ratings.iloc[:6000])
    kwargs = {"k": 40} if "k=40" in repr(ours) else {}
    model = _fit(ours(), fold)
    ref = getattr(surprise, ref_cls)(
        k=model.k, min_k=model.min_k, sim_options=sim_options, verbose=False, **kwargs
    )
    ref.fit(trainset)
    expected = np.array([p.est for p in ref.test(testset)])
    got = model.predict(fold.test_users, fold.test_items)
    np.testing.assert_allclose(got.estimate, expected, atol=1e-6)
    unknown = (fold.test_users < 0) | (fold.test_items < 0)
    assert got.impossible[unknown].all()


def test_user_knn_flags_single_rating_and_zero_variance():
    users = np.array([0, 0, 0, 1, 1, 1, 2, 3, 3])
    items = np.array([0, 1, 2, 0, 1, 2, 0, 0, 1])
    values = np.array([5.0, 3.0, 4.0, 4.0, 2.0, 3.0, 4.0, 3.0, 3.0])
    model = UserKNN(k=5).fit_ratings(users, items, values)
    pred = model.predict([2, 3, 0, 9, 0], [1, 2, 2, 0, 7])
    assert pred.estimate[0] == pytest.approx(4.0)  # the user's mean, not mu
    assert pred.reason[0] == "user has a single rating: user mean"
    assert pred.estimate[1] == pytest.approx(3.0)
    assert pred.reason[1] == "user ratings have zero variance: user mean"
    assert not pred.impossible[2]
    assert pred.reason[3].startswith("unknown user") and pred.impossible[3]
    assert pred.reason[4].startswith("unknown item") and pred.impossible[4]


def test_baseline_only_equals_surprise(ratings):
    fold, trainset, testset = _fold(ratings.iloc[:6000])
    model = _fit(BaselineOnly(), fold)
    ref = surprise.BaselineOnly(verbose=False).fit(trainset)
    expected = np.array([p.est for p in ref.test(testset)])
    got = model.predict(fold.test_users, fold.test_items).estimate
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_sgd_mf_equals_surprise_svd(ratings):
    fold, trainset, testset = _fold(ratings.iloc[:5000])
    ref = surprise.SVD(random_state=0).fit(trainset)
    ours = _fit(SGDMatrixFactorization(random_state=0), fold)
    np.testing.assert_allclose(ours.user_factors_, ref.pu, atol=1e-9)
    np.testing.assert_allclose(ours.item_bias_, ref.bi, atol=1e-9)
    expected = np.array([p.est for p in ref.test(testset)])
    got = ours.predict(fold.test_users, fold.test_items).estimate
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_sgd_mf_shuffled_order_is_seeded_and_learns(ratings):
    fold, *_ = _fold(ratings.iloc[:20000])
    test = fold.test_users, fold.test_items

    def fit(**kw):
        return _fit(SGDMatrixFactorization(order="shuffle", **kw), fold)

    a, b = fit(random_state=1), fit(random_state=1)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)
    c = fit(random_state=2)
    assert not np.allclose(a.user_factors_, c.user_factors_)
    our_rmse = rmse(fold.test_ratings, a.predict(*test).estimate)
    bias_only = rmse(
        fold.test_ratings, fit(random_state=1, n_epochs=0).predict(*test).estimate
    )
    assert our_rmse < bias_only - 0.02, (our_rmse, bias_only)
    with pytest.raises(ValueError, match="order"):
        _fit(SGDMatrixFactorization(order="random"), fold)


@pytest.mark.slow
def test_explicit_als_beats_the_baseline(ratings):
    fold, *_ = _fold(ratings)
    als = _fit(
        ExplicitALS(n_factors=10, regularization=0.1, n_epochs=8, random_state=0), fold
    )
    base = _fit(BaselineOnly(), fold)
    test = fold.test_users, fold.test_items
    als_rmse = rmse(fold.test_ratings, als.predict(*test).estimate)
    base_rmse = rmse(fold.test_ratings, base.predict(*test).estimate)
    assert als_rmse < base_rmse - 0.003, (als_rmse, base_rmse)


def _blocks(seed=0):
    rng = np.random.default_rng(seed)
    dense = np.zeros((60, 40), np.float32)
    dense[:30, :20] = rng.random((30, 20)) < 0.4
    dense[30:, 20:] = rng.random((30, 20)) < 0.4
    return sp.csr_matrix(dense * rng.uniform(0.5, 3.0, dense.shape))  # no ties


def test_item_knn_equals_implicit_cosine():
    from implicit.nearest_neighbours import CosineRecommender

    data = _blocks()
    ours = ItemKNN(k=10).fit(data)
    ref = CosineRecommender(K=10, num_threads=1)
    ref.fit(data, show_progress=False)
    diff = abs(ours.similarity_ - ref.similarity.tocsr()).max()
    assert diff < 1e-6
    users = np.arange(data.shape[0])
    _, ours_scores = ours.recommend(users, data, n=5)
    _, ref_scores = ref.recommend(users, data, N=5)
    np.testing.assert_allclose(ours_scores, ref_scores, rtol=1e-5)


@pytest.mark.parametrize("solver", ["cg", "cholesky"])
def test_implicit_als_gives_implicits_top_items(solver):
    from implicit.cpu.als import AlternatingLeastSquares

    data = _blocks()
    users = np.arange(data.shape[0])
    ours = ImplicitALS(
        factors=4, iterations=10, regularization=1.0, solver=solver, random_state=0
    ).fit(data)
    ref = AlternatingLeastSquares(
        factors=4, iterations=10, regularization=1.0, random_state=0, num_threads=1
    )
    ref.fit(data, show_progress=False)
    ours_ids, _ = ours.recommend(users, data, n=3)
    ref_ids, _ = ref.recommend(users, data, N=3)
    same = np.mean([set(a) == set(b) for a, b in zip(ours_ids, ref_ids, strict=True)])
    assert same >= 0.9
    own = (ours_ids < 20) == (users[:, None] < 30)
    assert own.all()
    if solver == "cg":  # same algorithm, same start: the same factors
        np.testing.assert_allclose(
            ours.user_factors_ @ ours.item_factors_.T,
            ref.user_factors @ ref.item_factors.T,
            atol=1e-3,
        )
