"""Contract of every rating predictor (pure, synthetic ratings with a known answer)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.lab.blend import RatingBlend
from recommender.algorithms import knn_ratings as kr
from recommender.algorithms.base import NotFittedError
from recommender.algorithms.knn import ItemKNN, UserKNN
from recommender.algorithms.mf_als import ExplicitALS
from recommender.algorithms.mf_sgd import SGDMatrixFactorization
from recommender.algorithms.popularity import Popularity
from recommender.algorithms.predictors import BaselineOnly

PREDICTORS = {
    "blend": lambda: RatingBlend(
        components=("baseline", "user_knn_baseline", "item_knn_baseline"),
        valid_fraction=0.2,
    ),
    "baseline": lambda: BaselineOnly(),
    "user_knn": lambda: UserKNN(k=10),
    "user_knn_baseline": lambda: UserKNN(k=10, baseline="baseline", shrinkage=10),
    "item_knn_adjusted": lambda: ItemKNN(k=10, similarity="adjusted_cosine"),
    "item_knn_sparse_damped": lambda: ItemKNN(
        k=10,
        similarity="pearson",
        n_store=5,
        shrinkage=10,
        fallback="baseline",
        damping=0.5,
    ),
    # The sparse top-k path, as taken when the full users x users matrix would not
    # fit the memory budget (issue 16.11).
    "user_knn_sparse": lambda: UserKNN(
        k=10, n_store=8, memory_budget_mb=(kr.similarity_memory_bytes(60) - 1) / 2**20
    ),
    "user_knn_damped": lambda: UserKNN(
        k=10, shrinkage=10, fallback="baseline", damping=0.5
    ),
    "item_knn_pearson_baseline": lambda: ItemKNN(
        k=10, similarity="pearson_baseline", baseline="baseline", shrinkage=10
    ),
    "mf_sgd": lambda: SGDMatrixFactorization(
        n_factors=4, n_epochs=30, lr_all=0.02, random_state=0
    ),
    "explicit_als": lambda: ExplicitALS(
        n_factors=2, regularization=0.05, random_state=0
    ),
}


def two_taste_ratings(seed: int = 0):
    """Users 0..29 love items 0..19 (5) and dislike 20..39 (1); users 30..59 the
    reverse; 60 % of the pairs observed, with a little noise."""
    rng = np.random.default_rng(seed)
    u, i = np.meshgrid(np.arange(60), np.arange(40), indexing="ij")
    u, i = u.ravel(), i.ravel()
    likes = (u < 30) == (i < 20)
    r = np.where(likes, 5.0, 1.0) + rng.choice([-0.5, 0.0, 0.5], len(u))
    observed = rng.random(len(u)) < 0.6
    return (
        u[observed],
        i[observed],
        np.clip(r[observed], 0.5, 5.0),
        (u, i, likes, observed),
    )


@pytest.fixture(scope="module")
def data():
    return two_taste_ratings()


@pytest.fixture(params=sorted(PREDICTORS))
def name(request):
    return request.param


def test_learns_the_two_tastes(name, data):
    users, items, ratings, (all_u, all_i, likes, observed) = data
    model = PREDICTORS[name]().fit_ratings(users, items, ratings)
    pred = model.predict(all_u[~observed], all_i[~observed])
    assert pred.estimate.shape == ((~observed).sum(),)
    liked = likes[~observed]
    if name == "baseline":  # no interaction term: cannot tell the tastes apart
        assert abs(pred.estimate[liked].mean() - pred.estimate[~liked].mean()) < 1.0
        return
    assert pred.estimate[liked].mean() > 4.0 and pred.estimate[~liked].mean() < 2.0


def test_unknown_ids_are_flagged_not_errors(name, data):
    users, items, ratings, _ = data
    model = PREDICTORS[name]().fit_ratings(users, items, ratings)
    pred = model.predict([0, 999, -1], [999, 0, 3])
    assert pred.impossible.all()
    assert all(r.startswith("unknown") for r in pred.reason)
    assert np.isfinite(pred.estimate).all()
    assert (pred.estimate >= 0.5).all() and (pred.estimate <= 5.0).all()


def test_unfitted_and_bad_input(name, data):
    users, items, ratings, _ = data
    with pytest.raises(NotFittedError):
        PREDICTORS[name]().predict([0], [0])
    with pytest.raises(ValueError, match="equally long"):
        PREDICTORS[name]().fit_ratings(users, items[:-1], ratings)
    with pytest.raises(ValueError, match="duplicate"):
        PREDICTORS[name]().fit_ratings([0, 0], [1, 1], [3.0, 4.0])
    with pytest.raises(ValueError, match="no ratings"):
        PREDICTORS[name]().fit_ratings([], [], [])
    # issue 16.12: one rating value is no scale; the error points to implicit mode
    with pytest.raises(ValueError, match=r"all 3 ratings equal 4.*implicit mode"):
        PREDICTORS[name]().fit_ratings([0, 1, 2], [0, 1, 1], [4.0, 4.0, 4.0])


def test_save_load_round_trip_and_determinism(name, data, tmp_path):
    users, items, ratings, (all_u, all_i, _, _) = data
    model = PREDICTORS[name]().fit_ratings(users, items, ratings)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = type(model).load(path)
    a = model.predict(all_u, all_i).estimate
    np.testing.assert_allclose(loaded.predict(all_u, all_i).estimate, a, atol=1e-12)
    again = PREDICTORS[name]().fit_ratings(users, items, ratings)
    np.testing.assert_allclose(again.predict(all_u, all_i).estimate, a, atol=1e-9)


def test_popularity_per_group_and_top_for_group():
    import scipy.sparse as sp

    x = sp.csr_matrix(np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 1]], float))
    model = Popularity(shrinkage=0.0).fit(x, groups=["UK", "UK", "FR", "FR"])
    ids, _ = model.top_for_group("FR", n=2)
    assert ids.tolist() == [1, 2]
    ids, _ = model.top_for_group("UK", n=1)
    assert ids.tolist() == [0]
    ids, _ = model.top_for_group("nowhere", n=3)  # unknown group -> overall
    assert ids[0] in (0, 1)
    with pytest.raises(ValueError, match="one label per user"):
        Popularity().fit(x, groups=["UK"])


def test_sparse_item_knn_equals_the_full_matrix_when_all_items_are_stored(data):
    users, items, ratings, (all_u, all_i, _, observed) = data
    all_u, all_i = all_u[~observed], all_i[~observed]  # unrated pairs
    kwargs = dict(k=10, similarity="pearson", shrinkage=10, fallback="baseline")
    sparse = ItemKNN(n_store=40, damping=0.5, **kwargs).fit_ratings(
        users, items, ratings
    )
    full = ItemKNN(n_store=40, damping=0.5, **kwargs).fit_ratings(users, items, ratings)
    values = kr.centred_values(full._data(), user_based=False, kind="pearson")
    full.similarity_ = kr.similarity_matrix(values, kind="pearson", shrinkage=10)
    assert isinstance(full.similarity_, np.ndarray)  # dense (40, 40)
    np.testing.assert_allclose(
        sparse.predict(all_u, all_i).estimate,
        full.predict(all_u, all_i).estimate,
        atol=1e-12,
    )
    # fewer stored neighbours change the answer (the check above can fail)
    few = ItemKNN(n_store=2, damping=0.5, **kwargs).fit_ratings(users, items, ratings)
    assert few.similarity_.nnz <= 2 * 40
    assert not np.allclose(
        few.predict(all_u, all_i).estimate, sparse.predict(all_u, all_i).estimate
    )


def test_knn_fallback_is_the_baseline_and_says_so():
    # item 2 has no positive similarity with the items user 0 rated
    users = np.array([0, 0, 1, 1, 1, 2, 2, 2, 3])
    items = np.array([0, 1, 0, 1, 2, 0, 1, 2, 2])
    values = np.array([5.0, 4.0, 5.0, 4.0, 1.0, 1.0, 2.0, 5.0, 2.0])
    for fallback, expected_reason in [("mean", "mean"), ("baseline", "baseline")]:
        model = ItemKNN(k=5, similarity="pearson", fallback=fallback).fit_ratings(
            users, items, values
        )
        pred = model.predict([0], [2])
        assert pred.impossible[0]
        assert pred.reason[0].endswith(expected_reason)
        if fallback == "mean":
            assert pred.estimate[0] == pytest.approx(values[items == 2].mean())
        else:
            base = model.global_mean_ + model.user_bias_[0] + model.item_bias_[2]
            assert pred.estimate[0] == pytest.approx(base)
            assert pred.estimate[0] != pytest.approx(values[items == 2].mean())
    user = UserKNN(k=5, fallback="baseline").fit_ratings(users, items, values)
    pred = user.predict([3], [0])  # single rating: no Pearson neighbour
    assert pred.reason[0] == "user has a single rating: baseline"
    assert pred.estimate[0] == pytest.approx(
        user.global_mean_ + user.user_bias_[3] + user.item_bias_[0]
    )


@pytest.mark.parametrize("cls", [ItemKNN, UserKNN])
def test_damping_pulls_the_neighbour_term_towards_the_base(cls, data):
    users, items, ratings, (all_u, all_i, _, observed) = data
    kwargs = dict(k=10, similarity="pearson_baseline", baseline="baseline")
    plain = cls(**kwargs).fit_ratings(users, items, ratings)
    damped = cls(damping=2.0, **kwargs).fit_ratings(users, items, ratings)
    u, i = all_u[~observed], all_i[~observed]
    base = plain.global_mean_ + plain.user_bias_[u] + plain.item_bias_[i]
    a = plain.predict(u, i, clip=False).estimate - base
    b = damped.predict(u, i, clip=False).estimate - base
    assert np.all(np.abs(b) <= np.abs(a) + 1e-12)
    assert np.abs(b).mean() < np.abs(a).mean()
    assert np.all(np.sign(b[b != 0]) == np.sign(a[b != 0]))
    with pytest.raises(ValueError, match="damping"):
        cls(damping=-1.0).fit_ratings(users, items, ratings)


def test_blend_answers_unknown_items_with_its_members_fallbacks(data):
    users, items, ratings, _ = data
    keep = items != 7  # item 7 is never rated in training
    blend = RatingBlend(
        components=("baseline", "user_knn_baseline"), valid_fraction=0.2
    ).fit_ratings(users[keep], items[keep], ratings[keep], n_items=40)
    pred = blend.predict([0, 999], [7, 7])  # known user / unknown user
    assert pred.impossible.all()
    assert pred.reason[0] == "unknown item: blend of the members' fallbacks"
    parts = [m.predict([0], [7], clip=False).estimate[0] for m in blend.models_]
    expected = blend.weights_[0] + np.dot(blend.weights_[1:], parts)
    assert pred.estimate[0] == pytest.approx(np.clip(expected, 0.5, 5.0))
    assert pred.estimate[0] != pytest.approx(blend.global_mean_)  # user 0 likes 0-19


def test_user_knn_keeps_top_k_neighbours_when_the_full_matrix_exceeds_the_budget(data):
    """Issue 16.11: the memory is estimated before fitting; beyond the budget only
    the ``n_store`` most similar users of each user are stored."""
    import scipy.sparse as sp

    users, items, ratings, _ = data
    dense = UserKNN(k=10).fit_ratings(users, items, ratings)
    assert isinstance(dense.similarity_, np.ndarray)  # 60 users fit 2 GiB
    budget = (kr.similarity_memory_bytes(60) - 1) / 2**20
    sparse = UserKNN(k=10, n_store=8, memory_budget_mb=budget).fit_ratings(
        users, items, ratings
    )
    assert sp.issparse(sparse.similarity_)
    assert np.diff(sparse.similarity_.indptr).max() <= 8
    # the stored neighbours are each user's most similar ones
    row = dense.similarity_[0].copy()
    row[0] = -np.inf
    stored = set(sparse.similarity_[0].indices)
    assert stored <= set(np.argsort(-row)[:8])
    # the default settings switch to the sparse path at 60,000 users
    assert UserKNN()._similarity_top_k(610) is None
    assert UserKNN()._similarity_top_k(60_000) == 300


def test_user_knn_refuses_clearly_when_even_top_k_exceeds_the_budget():
    from recommender.algorithms.knn import MemoryBudgetError

    users = np.array([0, 1, 59_999, 59_999])
    items = np.array([0, 1, 0, 1])
    model = UserKNN(memory_budget_mb=100)
    with pytest.raises(MemoryBudgetError) as err:
        model.fit_ratings(users, items, [1.0, 2.0, 3.0, 4.0])
    message = str(err.value)
    assert "60,000 users" in message and "memory_budget_mb=100" in message
    assert "n_store=300" in message
    assert not hasattr(model, "similarity_")
