"""EDLAE (EASE with emphasized denoising) and RP3beta, on small known answers.

The shared contract (shapes, exclusion, save/load, the checkerboard) runs over both
in ``test_algorithms_contract.py``; here: the formulas themselves.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from benchmarks.lab.graph import RP3beta
from recommender.algorithms.repeat import EASE, RepeatBlend


def random_counts(seed: int = 0, shape=(60, 25), density=0.2) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    dense = (rng.random(shape) < density) * rng.integers(1, 4, size=shape)
    dense[:, 0] = 0  # an item nobody bought
    return sp.csr_matrix(dense.astype(np.float32))


# --- EDLAE ------------------------------------------------------------------------
def edlae_by_formula(x: sp.csr_matrix, lam: float, p: float) -> np.ndarray:
    """Steck 2020: P = (G + Λ)⁻¹, Λ = λI + p/(1-p) diagMat(diag G), B = I - P/diag P."""
    binary = (x.toarray() != 0).astype(np.float64)
    gram = binary.T @ binary
    big_lambda = lam * np.eye(len(gram)) + p / (1 - p) * np.diag(np.diag(gram))
    inverse = np.linalg.inv(gram + big_lambda)
    return np.eye(len(gram)) - inverse @ np.diag(1.0 / np.diag(inverse))


def test_dropout_zero_is_plain_ease():
    x = random_counts()
    plain = EASE(regularization=20.0).fit(x).weights_
    zero = EASE(regularization=20.0, dropout=0.0).fit(x).weights_
    np.testing.assert_array_equal(plain, zero)
    np.testing.assert_allclose(zero, edlae_by_formula(x, 20.0, 0.0), atol=1e-6)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_gives_the_edlae_closed_form_with_zero_diagonal(p):
    x = random_counts(seed=1)
    weights = EASE(regularization=20.0, dropout=p).fit(x).weights_
    np.testing.assert_allclose(weights, edlae_by_formula(x, 20.0, p), atol=1e-6)
    assert np.all(np.diag(weights) == 0.0)
    plain = EASE(regularization=20.0).fit(x).weights_
    assert np.abs(weights - plain).max() > 1e-3


def test_more_dropout_shrinks_the_weights_of_popular_items():
    """The extra penalty p/(1-p)·G_jj grows with the dropout probability."""
    x = random_counts(seed=2)
    norms = [
        np.abs(EASE(regularization=20.0, dropout=p).fit(x).weights_).sum()
        for p in (0.0, 0.25, 0.5, 0.75)
    ]
    assert norms == sorted(norms, reverse=True)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_bad_dropout_raises(p):
    with pytest.raises(ValueError, match="dropout must be in"):
        EASE(dropout=p).fit(random_counts())


def test_repeat_blend_passes_the_dropout_to_its_ease_member(tmp_path):
    x = random_counts(seed=3)
    blend = RepeatBlend(knn_k=5, ease_regularization=20.0, ease_dropout=0.3).fit(x)
    expected = EASE(regularization=20.0, dropout=0.3).fit(x).weights_
    np.testing.assert_array_equal(blend.ease_.weights_, expected)
    assert RepeatBlend().ease_dropout == 0.0
    blend.save(tmp_path / "blend.npz")
    loaded = RepeatBlend.load(tmp_path / "blend.npz")
    assert loaded.ease_.dropout == 0.3
    np.testing.assert_array_equal(loaded.ease_.weights_, expected)
    with pytest.raises(ValueError, match="dropout"):
        RepeatBlend(knn_k=5, ease_dropout=1.0).fit(x)


# --- RP3beta ----------------------------------------------------------------------
# users 0: items {0, 1}; user 1: items {1, 2}
TINY = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]], dtype=np.float32))


def test_rp3beta_hand_checked_walk():
    # α = 1, β = 0 is the P³ walk: item -> user (1/deg_i) -> item (1/deg_u)
    walk = RP3beta(alpha=1.0, beta=0.0, k=3).fit(TINY).similarity_.toarray()
    expected = [[0.5, 0.5, 0.0], [0.25, 0.5, 0.25], [0.0, 0.5, 0.5]]
    np.testing.assert_allclose(walk, expected, atol=1e-7)
    # α = β = 0.5: each step's probability to the power 0.5, column j / pop_j^0.5
    # with pop = (1, 2, 1)
    h = np.sqrt(0.5)
    expected = [[h, h * h, 0.0], [0.5, 1.0 * h, 0.5], [0.0, h * h, h]]
    model = RP3beta(alpha=0.5, beta=0.5, k=3).fit(TINY)
    np.testing.assert_allclose(model.similarity_.toarray(), expected, atol=1e-6)
    # user 0 scores item 2 through item 1 only: W_12 = 0.5
    np.testing.assert_allclose(model.score([0], TINY), [[h + 0.5, 0.5 + h, 0.5]])
    ids, _ = model.recommend(0, TINY, n=2)
    assert ids.tolist() == [2, -1]


def rp3beta_dense(x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    user_to_item = x / np.maximum(x.sum(axis=1, keepdims=True), 1e-12)
    item_to_user = x.T / np.maximum(x.T.sum(axis=1, keepdims=True), 1e-12)
    walk = (item_to_user**alpha) @ (user_to_item**alpha)
    pop = np.maximum((x != 0).sum(axis=0), 1)
    return walk / pop[None, :] ** beta


@pytest.mark.parametrize("binary", [True, False])
def test_rp3beta_equals_the_dense_formula_when_nothing_is_cut(binary):
    x = random_counts(seed=4)
    dense = x.toarray() if not binary else (x.toarray() != 0).astype(float)
    model = RP3beta(alpha=0.7, beta=0.3, k=100, binary=binary).fit(x)
    np.testing.assert_allclose(
        model.similarity_.toarray(), rp3beta_dense(dense, 0.7, 0.3), rtol=1e-5
    )


def test_rp3beta_plain_walk_rows_are_probabilities():
    x = random_counts(seed=5)
    walk = RP3beta(alpha=1.0, beta=0.0, k=1000).fit(x).similarity_
    sums = np.asarray(walk.sum(axis=1)).ravel()
    bought = np.bincount(x.indices, minlength=x.shape[1]) > 0
    np.testing.assert_allclose(sums[bought], 1.0, rtol=1e-5)
    assert np.all(sums[~bought] == 0.0)


def test_rp3beta_shapes_and_top_k_sparsity():
    x = random_counts(seed=6, shape=(80, 40), density=0.3)
    model = RP3beta(alpha=0.8, beta=0.4, k=5).fit(x)
    assert model.similarity_.shape == (40, 40)
    assert model.similarity_.dtype == np.float32
    per_item = np.diff(model.similarity_.indptr)
    assert per_item.max() <= 5 and per_item[1:].min() == 5  # item 0 has no buyers
    full = rp3beta_dense((x.toarray() != 0).astype(float), 0.8, 0.4)
    for item in range(1, 40):  # the kept ones are the row's 5 largest
        kept = model.similarity_[item].toarray().ravel()
        assert kept[kept > 0].min() >= np.sort(full[item])[-5] * (1 - 1e-5)
    assert model.score(np.arange(7), x).shape == (7, 40)
    ids, scores = model.recommend(np.arange(7), x, n=4)
    assert ids.shape == scores.shape == (7, 4)
    near, _ = model.similar_items([3, 4], n=3)
    assert near.shape == (2, 3) and 3 not in near[0] and 4 not in near[1]


def test_rp3beta_without_self_loops():
    model = RP3beta(alpha=1.0, beta=0.0, k=3, include_self=False).fit(TINY)
    assert np.all(model.similarity_.diagonal() == 0.0)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alpha": 0.0}, "alpha must be > 0"),
        ({"alpha": -1.0}, "alpha must be > 0"),
        ({"beta": -0.1}, "beta must be >= 0"),
        ({"k": 0}, "k must be an integer >= 1"),
        ({"k": 2.5}, "k must be an integer >= 1"),
    ],
)
def test_rp3beta_bad_params_raise(params, message):
    with pytest.raises(ValueError, match=message):
        RP3beta(**params).fit(TINY)


def test_rp3beta_rejects_negative_values_and_other_widths():
    with pytest.raises(ValueError, match="non-negative"):
        RP3beta().fit(sp.csr_matrix(np.array([[1.0, -1.0]])))
    model = RP3beta(k=3).fit(TINY)
    with pytest.raises(ValueError, match="items"):
        model.score([0], sp.csr_matrix((2, 5)))
