"""The served pipeline's fit cache: shared fits give the same answers as fresh ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.algorithms.fitcache import FitCache
from recommender.algorithms.ranker import CandidateRanker, rolling_windows
from recommender.algorithms.repeat import EASE
from recommender.algorithms.selection import (
    _origin_data,
    _tree_scores,
    tune_temporal_blend,
    validation_origins,
)
from recommender.algorithms.temporal_blend import TemporalBlend

from .test_algorithms_ranker import SHAPE, make_events

BASE = {
    "knn_k": 10,
    "ease_regularization": 10.0,
    "ranker_windows": 2,
    "ranker_window_days": 28.0,
    "ranker_step_days": 14.0,
}
TREES = (
    {"max_leaf_nodes": 4, "max_iter": 15},
    {"max_leaf_nodes": 4, "max_iter": 40},
    {"max_leaf_nodes": 8, "max_iter": 15},
)


@pytest.fixture(scope="module")
def events():
    return make_events().drop_duplicates(["u", "i", "invoice"])


@pytest.fixture(scope="module")
def origins(events):
    return validation_origins(
        "2011-07-01", events["date"].min(), n=3, window_days=28, step_days=14
    )


def test_cache_memoises_and_counts():
    cache = FitCache()
    calls = []
    make = lambda: calls.append(1) or np.zeros(10)  # noqa: E731
    first = cache.get(("a", 1), make)
    assert cache.get(("a", 1), make) is first
    assert (cache.hits, cache.misses, len(calls)) == (1, 1, 1)
    assert cache.nbytes == first.nbytes


def test_cache_evicts_least_recently_used_beyond_its_budget():
    cache = FitCache(max_bytes=250)
    for key in "abc":
        cache.get(key, lambda: np.zeros(10))  # 80 bytes each
    cache.get("a", lambda: np.zeros(10))  # "a" used again: "b" is now oldest
    cache.get("d", lambda: np.zeros(10))
    assert len(cache) == 3 and cache.nbytes == 240
    misses = cache.misses
    cache.get("b", lambda: np.zeros(10))
    assert cache.misses == misses + 1  # "b" was evicted
    with pytest.raises(ValueError, match="max_bytes"):
        FitCache(max_bytes=-1)


def test_binding_other_events_empties_the_cache(events):
    cache = FitCache().bind(events)
    cache.get("x", lambda: np.ones(3))
    cache.bind(events.copy())  # same content: kept
    assert len(cache) == 1
    cache.bind(events.iloc[:-1])
    assert len(cache) == 0


def test_spd_inverse_gives_the_ease_of_a_general_inverse(events):
    x = np.zeros(SHAPE)
    x[events["u"], events["i"]] = 1.0
    ease = EASE(regularization=10.0).fit(x)
    gram = x.T @ x + 10.0 * np.eye(SHAPE[1])
    inverse = np.linalg.inv(gram)
    expected = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(ease.weights_, expected, rtol=1e-5, atol=1e-6)


def test_rolling_windows_step_back_in_days():
    windows = rolling_windows("2011-09-01", "2010-12-01", window_days=90, step_days=30)
    assert [(e - s).days for s, e in windows] == [90] * 4
    assert windows[-1][1] == pd.Timestamp("2011-09-01")
    assert windows[0][1] == pd.Timestamp("2011-09-01") - pd.Timedelta(days=90)
    assert rolling_windows("2011-09-01", "2011-07-01", n=4) == []
    with pytest.raises(ValueError, match="positive"):
        rolling_windows("2011-09-01", "2010-12-01", step_days=0)


def test_tuning_with_a_cache_chooses_what_it_chooses_without(events, origins):
    kwargs = {
        "new_only": True,
        "origins": origins,
        "base": BASE,
        "ridge_grid": (10.0, 100.0),
        "tree_grid": TREES,
    }
    fresh = tune_temporal_blend(events, SHAPE, **kwargs)
    cache = FitCache().bind(events)
    shared = tune_temporal_blend(events, SHAPE, **kwargs, cache=cache)
    assert cache.hits > 0  # the origins' windows and EASE were shared
    assert shared.params == fresh.params
    assert shared.score == pytest.approx(fresh.score, abs=1e-9)
    assert shared.table == fresh.table
    # the final fit reuses the cache and scores like a fresh fit
    a = TemporalBlend(**fresh.params).fit(events, shape=SHAPE, reference="2011-07-01")
    b = TemporalBlend(**fresh.params).fit(
        events, shape=SHAPE, reference="2011-07-01", cache=cache
    )
    users = np.arange(SHAPE[0])
    np.testing.assert_allclose(
        a.score(users, a.history_), b.score(users, b.history_), rtol=1e-5, atol=1e-6
    )


def test_shorter_trees_are_the_first_stages_of_the_longer_fit(events, origins):
    start, end = origins[-1]
    origin, past, _ = _origin_data(
        events, SHAPE, start, end, False, max_users=10_000, seed=0
    )
    windows = rolling_windows(start, past["date"].min(), window_days=28, step_days=14)
    staged = _tree_scores(past, start, SHAPE, origin, False, windows, TREES)
    probe = CandidateRanker(new_only=False)
    features, labels = probe.training_set(past, windows, SHAPE)
    candidates = probe.candidates(past, start, origin.users, SHAPE)
    for setting, grid in zip(TREES, staged, strict=True):
        model = CandidateRanker(**setting)._classifier().fit(features, labels)
        alone = candidates.grid(
            model.predict_proba(candidates.features)[:, 1], SHAPE[1], fill=0.0
        )
        np.testing.assert_allclose(grid, alone, rtol=1e-6, atol=1e-7)
