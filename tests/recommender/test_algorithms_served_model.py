"""The served model's pieces: pickle-free trees, the ranker's file, the blend's file.

Synthetic data only (no database): a noisy rule for the trees, the ranker tests'
fortnightly staples for the ranker and the blend.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from recommender.algorithms.ranker import CandidateRanker
from recommender.algorithms.temporal_blend import MEMBERS, TemporalBlend
from recommender.algorithms.trees import TreeEnsemble, export_hist_gbdt

from .test_algorithms_ranker import SHAPE, SMALL, WINDOWS, make_events


@pytest.fixture(scope="module")
def classifier_and_x():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2000, 5)).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values take the learned side
    y = x[:, 0] + np.nan_to_num(x[:, 1]) * x[:, 2] > 0.3
    clf = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=8).fit(x, y)
    return clf, x


def test_numpy_trees_predict_exactly_what_sklearn_predicts(classifier_and_x):
    clf, x = classifier_and_x
    trees = TreeEnsemble.from_arrays(export_hist_gbdt(clf).to_arrays())
    assert trees.n_trees == clf.n_iter_
    np.testing.assert_allclose(
        trees.predict_proba(x), clf.predict_proba(x), rtol=0, atol=1e-12
    )


def test_tree_arrays_reject_tampering(classifier_and_x):
    arrays = export_hist_gbdt(classifier_and_x[0]).to_arrays()
    bad_child = dict(arrays)
    bad_child["trees.left"] = arrays["trees.left"].copy()
    bad_child["trees.left"][~arrays["trees.leaf"]] = 10_000
    with pytest.raises(ValueError, match="outside its tree"):
        TreeEnsemble.from_arrays(bad_child)
    bad_feature = dict(arrays)
    bad_feature["trees.feature"] = np.where(arrays["trees.leaf"], -1, 99)
    with pytest.raises(ValueError, match="feature out of range"):
        TreeEnsemble.from_arrays(bad_feature)
    short = {k: v for k, v in arrays.items() if k != "trees.value"}
    with pytest.raises(ValueError, match="missing"):
        TreeEnsemble.from_arrays(short)
    with pytest.raises(ValueError, match="shape"):
        TreeEnsemble.from_arrays(arrays).predict_proba(np.zeros((3, 2)))


def test_categorical_trees_are_refused():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, size=(300, 1)).astype(float)
    clf = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0])
    clf.fit(x, x[:, 0] == 2)
    with pytest.raises(ValueError, match="categorical"):
        export_hist_gbdt(clf)


@pytest.fixture(scope="module")
def events():
    return make_events()


@pytest.fixture(scope="module")
def ranker(events):
    return CandidateRanker(**SMALL).fit(events, WINDOWS, SHAPE, reference="2011-06-01")


def test_ranker_file_round_trip_scores_the_same(ranker, events, tmp_path):
    path = tmp_path / "ranker.npz"
    ranker.save(path)
    loaded = CandidateRanker.load(path)
    users = np.arange(SHAPE[0])
    np.testing.assert_allclose(loaded.score_users(users), ranker.score_users(users))
    # the exported trees agree with the sklearn model they came from
    candidates = ranker.context_.features(users)
    np.testing.assert_allclose(
        ranker.trees_.predict_proba(candidates.features),
        ranker.model_.predict_proba(candidates.features),
        atol=1e-12,
    )
    assert loaded.get_params() == ranker.get_params()
    with np.load(path, allow_pickle=False) as arrays:
        assert all(arrays[k].dtype != object for k in arrays.files)


def test_serving_context_matches_candidate_features_at_its_origin(ranker, events):
    users = np.array([0, 3, 17])
    fresh = ranker.candidates(events, "2011-06-01", users, SHAPE)
    served = ranker.context_.features(users, n_candidates=ranker.n_candidates)
    np.testing.assert_array_equal(fresh.items, served.items)
    np.testing.assert_allclose(fresh.features, served.features, rtol=1e-5)


def test_score_users_without_context_says_so(events):
    model = CandidateRanker(**SMALL).fit(events, WINDOWS, SHAPE)
    with pytest.raises(ValueError, match="serving context"):
        model.score_users([0])


def test_truncated_ranker_file_gives_a_clear_error(ranker, tmp_path):
    path = tmp_path / "ranker.npz"
    ranker.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="cannot load a CandidateRanker"):
        CandidateRanker.load(path)


def test_tampered_ranker_file_gives_a_clear_error(ranker, tmp_path):
    arrays = ranker.to_arrays()
    arrays["trees.right"] = arrays["trees.right"] + 1000
    arrays["__params__"] = np.frombuffer(b'{"new_only": false}', np.uint8)
    path = tmp_path / "tampered.npz"
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="outside its tree"):
        CandidateRanker.load(path)


@pytest.fixture(scope="module")
def blend(events):
    return TemporalBlend(knn_k=10, ease_regularization=10.0, ranker_max_iter=20).fit(
        events, shape=SHAPE, reference="2011-07-01"
    )


def test_blend_ranker_member_moves_the_scores(blend):
    users = np.arange(5)
    parts = blend.member_scores(users, blend.history_)
    assert set(parts) == set(MEMBERS)
    assert blend.ranker_ is not None and np.abs(parts["ranker"]).max() == 1.0
    # a customer folded in from outside (another shape) gets no ranker score
    one = blend.history_[[0]]
    assert np.abs(blend.member_scores([0], one)["ranker"]).max() == 0.0


def test_blend_staple_comes_first(blend):
    ids, _ = blend.recommend(0, blend.history_, n=3, exclude_seen=False)
    assert ids[0] == 7  # customer 0's fortnightly staple


def test_blend_without_ranker_weight_fits_no_ranker(events):
    model = TemporalBlend(weights={"repeat": 1.0}, knn_k=10).fit(
        events, shape=SHAPE, reference="2011-07-01"
    )
    assert model.ranker_ is None and model.ranker_note_ == "weight 0"


def test_blend_on_two_months_runs_without_a_ranker(events):
    short = events[events["date"] < "2011-03-01"]
    model = TemporalBlend(knn_k=10).fit(short, shape=SHAPE)
    assert model.ranker_ is None and "90 days" in model.ranker_note_


def test_blend_rejects_unknown_members_and_inputs(events):
    with pytest.raises(ValueError, match="unknown members"):
        TemporalBlend(weights={"tifu": 1.0}).fit(events, shape=SHAPE)
    with pytest.raises(ValueError, match="input must be"):
        TemporalBlend(input="ratings").fit(events, shape=SHAPE)
    with pytest.raises(ValueError, match="no purchase event before"):
        TemporalBlend().fit(events, shape=SHAPE, reference="2010-01-01")


def test_truncated_blend_file_gives_a_clear_error(blend, tmp_path):
    path = tmp_path / "blend.npz"
    blend.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 500])
    with pytest.raises(ValueError, match="cannot load a TemporalBlend"):
        TemporalBlend.load(path)
