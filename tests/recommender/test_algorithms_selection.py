"""Rolling origins, the ``tune`` step and the promotion rule (no database)."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender.algorithms.selection import (
    NotEnoughData,
    common_ranker_windows,
    promotion_decision,
    served_pipeline,
    tune_temporal_blend,
    validation_origins,
)
from recommender.algorithms.temporal_blend import MEMBERS, TemporalBlend

from .test_algorithms_ranker import SHAPE, make_events

SMALL = {
    "origins": 3,
    "origin_window_days": 30,
    "origin_step_days": 14,
    "min_history_days": 60,
    "base": {"knn_k": 10, "ease_regularization": 10.0, "ranker_windows": 2},
}
TREES = ({"max_leaf_nodes": 4, "max_iter": 20}, {"max_leaf_nodes": 8, "max_iter": 20})


@pytest.fixture(scope="module")
def events():
    return make_events()


def test_origins_are_all_before_the_reference_and_step_back():
    origins = validation_origins("2011-09-01", "2010-12-01", n=3)
    assert len(origins) == 3
    assert [e for _, e in origins] == sorted(e for _, e in origins)
    assert all(e <= pd.Timestamp("2011-09-01") for _, e in origins)
    assert origins[-1][1] == pd.Timestamp("2011-09-01")
    assert origins[0][1] == pd.Timestamp("2011-09-01") - pd.Timedelta(days=60)
    assert all((e - s).days == 90 for s, e in origins)


@pytest.mark.parametrize("first", ["2011-08-31", "2011-06-01"])
def test_short_history_is_not_enough_data(first):
    with pytest.raises(NotEnoughData, match="not enough data: 3 validation origins"):
        validation_origins("2011-09-01", first, n=3)


def test_empty_or_one_day_of_events_is_not_enough_data(events):
    with pytest.raises(NotEnoughData, match="no purchase"):
        served_pipeline(events.iloc[:0], SHAPE, new_only=False, settings=SMALL)
    one_day = events[events["date"] == events["date"].min()]
    with pytest.raises(NotEnoughData, match="not enough data"):
        served_pipeline(one_day, SHAPE, new_only=False, settings=SMALL)


@pytest.fixture(scope="module")
def tuned(events):
    origins = validation_origins(
        "2011-07-01", events["date"].min(), n=3, window_days=30, step_days=14
    )
    return tune_temporal_blend(
        events,
        SHAPE,
        new_only=False,
        origins=origins,
        base=SMALL["base"],
        ridge_grid=(10.0, 100.0),
        tree_grid=TREES,
        incumbent={"weights": {"popularity": 1.0}, "ridge_regularization": 10.0},
    )


def test_tune_picks_weights_that_beat_popularity_on_every_origin(tuned):
    assert len(tuned.per_origin) == 3
    assert set(tuned.params["weights"]) <= set(MEMBERS)
    assert tuned.params["weights"]["repeat"] == 1.0  # the "for you" anchor
    # staples come back: the tuned blend beats popularity alone on the same origins
    assert tuned.incumbent_score is not None
    assert tuned.score > tuned.incumbent_score + 0.1
    assert set(tuned.table["ridge"]) == {"10.0", "100.0"}
    assert len(tuned.table["trees"]) == 2
    assert set(tuned.table["inputs"]) == {"counts", "decayed"}


def test_tuned_params_build_a_blend(tuned, events):
    model = TemporalBlend(**tuned.params).fit(events, shape=SHAPE)
    ids, _ = model.recommend(0, model.history_, n=1, exclude_seen=False)
    assert ids[0] == 7  # customer 0's fortnightly staple


def test_incumbent_with_a_setting_not_tried_is_not_comparable(events):
    origins = validation_origins(
        "2011-07-01", events["date"].min(), n=3, window_days=30, step_days=14
    )
    result = tune_temporal_blend(
        events,
        SHAPE,
        new_only=True,
        origins=origins,
        base=SMALL["base"],
        ridge_grid=(10.0,),
        tree_grid=TREES[:1],
        incumbent={"weights": {"ease": 1.0}, "ridge_regularization": 5.0},
    )
    assert result.incumbent_score is None
    # the ascent ran from EASE and from the member best alone on the origins;
    # the start that scored higher is kept, its weight 1
    name = result.params["input"]
    alone = result.table["alone"][name]
    anchors = result.table["anchor"][name]
    best_alone = max(alone, key=alone.get)
    assert set(anchors) == {"ease", best_alone, "chosen"}
    chosen = anchors["chosen"]
    assert anchors[chosen] == max(v for k, v in anchors.items() if k != "chosen")
    assert result.params["weights"][chosen] == 1.0
    assert result.table["inputs"][name] == anchors[chosen]
    assert "repeat" not in alone  # "discover" never scores what was bought
    per_origin = result.table["alone_per_origin"][name]
    assert set(per_origin) == set(alone)
    for member, scores in per_origin.items():
        assert len(scores) == len(result.per_origin)
        assert alone[member] == pytest.approx(sum(scores) / len(scores), abs=1e-3)
    assert "repeat" not in result.params["weights"]


def test_fixed_anchor_starts_discover_from_ease(events):
    origins = validation_origins(
        "2011-07-01", events["date"].min(), n=3, window_days=30, step_days=14
    )
    result = tune_temporal_blend(
        events,
        SHAPE,
        new_only=True,
        origins=origins,
        base=SMALL["base"],
        ridge_grid=(10.0,),
        tree_grid=TREES[:1],
        anchor="fixed",
    )
    assert result.params["weights"]["ease"] == 1.0
    assert all(a["chosen"] == "ease" for a in result.table["anchor"].values())
    with pytest.raises(ValueError, match="anchor"):
        tune_temporal_blend(
            events, SHAPE, new_only=True, origins=origins, anchor="first"
        )


def test_served_pipeline_fits_at_the_reference(events):
    model, tuned = served_pipeline(
        events, SHAPE, new_only=True, settings=SMALL, reference="2011-07-01"
    )
    assert model.reference_ == pd.Timestamp("2011-07-01")
    assert model.get_params()["weights"] == tuned.params["weights"]
    seen = model.history_[3].indices
    ids, _ = model.recommend(3, model.history_, n=5)
    assert not set(ids.tolist()) & set(seen.tolist())


@pytest.mark.parametrize(
    ("kwargs", "action", "words"),
    [
        (
            {"candidate": 0.2, "active": None, "has_active": False},
            "promote",
            "no model",
        ),
        (
            {"candidate": 0.2, "active": 0.3, "has_active": True},
            "reject",
            "< the active model",
        ),
        (
            {"candidate": 0.3, "active": 0.3, "has_active": True},
            "promote",
            "vs the active model 0.3000",
        ),
        (
            {"candidate": 0.29, "active": 0.3, "has_active": True, "tolerance": 0.02},
            "promote",
            "vs the active model",
        ),
        (
            {
                "candidate": None,
                "active": 0.3,
                "has_active": True,
                "why_not_scored": "x",
            },
            "keep",
            "keeps serving",
        ),
        ({"candidate": None, "active": None, "has_active": True}, "promote", "newer"),
        (
            {"candidate": 0.1, "active": None, "has_active": True},
            "promote",
            "could not be scored",
        ),
        (
            {
                "candidate": 0.2,
                "active": 0.3,
                "has_active": True,
                "active_label": "x:v2",
            },
            "reject",
            "< active x:v2 0.3000",
        ),
        (
            {
                "candidate": None,
                "active": None,
                "has_active": False,
                "why_not_scored": "w",
            },
            "promote",
            "no model was active; (w)",
        ),
    ],
)
def test_promotion_decision(kwargs, action, words):
    decision = promotion_decision(**kwargs)
    assert decision.action == action
    assert words in decision.reason


def test_common_ranker_windows_are_those_the_earliest_origin_has():
    origins = validation_origins("2011-09-01", "2010-12-01", n=3)
    base = {"ranker_windows": 4, "ranker_window_days": 90, "ranker_step_days": 30}
    # the earliest origin starts 2011-04-04: windows starting 2011-01-04 and
    # 2010-12-05 fit after the first event, the next two do not
    assert common_ranker_windows(origins, "2010-12-01", base) == 2
    assert common_ranker_windows(origins, "2010-06-01", base) == 4
    assert common_ranker_windows(origins, "2011-03-01", base) == 1
