"""The two-stage ranker (candidates, then a GBDT re-ranker) on small synthetic events.

The frames are built here: a few dozen customers, 20 products, January to July
2011. Each customer has a "staple" product bought every two weeks, plus a few
random other products now and then; the ranker must learn that staples come back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.algorithms.ranker import (
    FEATURES,
    CandidateRanker,
    CandidateSet,
    candidate_features,
    check_events,
    select_by_transfer,
    window_targets,
)

N_USERS, N_ITEMS = 40, 20
SHAPE = (N_USERS, N_ITEMS)
START = pd.Timestamp("2011-01-03")
END = pd.Timestamp("2011-07-01")
STAPLE_OF_0 = 7  # customer 0 buys product 7 every 14 days
WINDOWS = [("2011-04-01", "2011-05-01"), ("2011-05-01", "2011-06-01")]
ORIGIN = pd.Timestamp("2011-06-01")
# Small trees, so that the whole file stays fast on 40 customers.
SMALL = {"max_iter": 30, "min_samples_leaf": 20, "max_leaf_nodes": 8}


def make_events(seed: int = 0, n_users: int = N_USERS) -> pd.DataFrame:
    """Dated invoices: a staple every 14 days (random phase) plus random extras."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, N_ITEMS + 1)
    popularity /= popularity.sum()
    rows, invoice = [], 0
    for u in range(n_users):
        staple = STAPLE_OF_0 if u == 0 else int(rng.integers(N_ITEMS))
        day = START + pd.Timedelta(days=int(rng.integers(0, 14)))
        while day < END:
            invoice += 1
            basket = {staple}
            if rng.random() < 0.5:
                basket.add(int(rng.choice(N_ITEMS, p=popularity)))
            rows += [(u, i, invoice, day) for i in sorted(basket)]
            day += pd.Timedelta(days=14)
        for _ in range(int(rng.integers(1, 4))):  # one-off purchases
            invoice += 1
            day = START + pd.Timedelta(days=int(rng.integers(0, 178)))
            rows.append((u, int(rng.integers(N_ITEMS)), invoice, day))
    return pd.DataFrame(rows, columns=["u", "i", "invoice", "date"])


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return make_events()


@pytest.fixture(scope="module")
def fitted_all(events) -> CandidateRanker:
    return CandidateRanker(new_only=False, **SMALL).fit(events, WINDOWS, SHAPE)


@pytest.fixture(scope="module")
def fitted_new(events) -> CandidateRanker:
    return CandidateRanker(new_only=True, **SMALL).fit(events, WINDOWS, SHAPE)


def bought_before(events: pd.DataFrame, reference) -> sp.csr_matrix:
    past = events[events["date"] < pd.Timestamp(reference)]
    return sp.csr_matrix(
        (np.ones(len(past)), (past["u"], past["i"])), shape=SHAPE
    ).tocsr()


# --- the ranker, end to end ---------------------------------------------------------
def test_a_fortnightly_staple_is_ranked_first(fitted_all, events):
    users = np.arange(N_USERS)
    ids = fitted_all.recommend(events, ORIGIN, users, n=5)
    assert ids.shape == (N_USERS, 5)
    assert ids[0, 0] == STAPLE_OF_0
    # Not only customer 0: most customers get their staple first.
    staples = events[events["u"] > 0].groupby("u")["i"].agg(lambda s: s.mode()[0])
    assert (ids[staples.index, 0] == staples.to_numpy()).mean() >= 0.8
    # Ranked best first and without repeats.
    for row in ids:
        kept = row[row >= 0]
        assert len(set(kept.tolist())) == len(kept)


def test_the_ranking_follows_the_predicted_probability(fitted_all, events):
    users = np.array([0, 3, 11])
    candidates = fitted_all.candidates(events, ORIGIN, users, SHAPE)
    proba = fitted_all.score_candidates(candidates)
    assert proba.shape == (len(candidates.rows),)
    assert np.all((proba >= 0) & (proba <= 1))
    ids = fitted_all.recommend(events, ORIGIN, users, n=3)
    for row, user_ids in enumerate(ids):
        mine = candidates.rows == row
        order = np.argsort(-proba[mine], kind="stable")
        best = proba[mine][order[:3]]
        got = [proba[mine][candidates.items[mine] == i][0] for i in user_ids]
        np.testing.assert_allclose(got, best)


def test_new_only_never_recommends_a_product_bought_before(fitted_new, events):
    users = np.arange(N_USERS)
    ids = fitted_new.recommend(events, ORIGIN, users, n=N_ITEMS)  # all of them
    seen = bought_before(events, ORIGIN).toarray() > 0
    for u, row in zip(users, ids, strict=True):
        kept = row[row >= 0]
        assert kept.size > 0
        assert not seen[u, kept].any()
    assert STAPLE_OF_0 not in ids[0]


def test_same_random_state_gives_the_same_result(events):
    a = CandidateRanker(**SMALL, random_state=3).fit(events, WINDOWS, SHAPE)
    b = CandidateRanker(**SMALL, random_state=3).fit(events, WINDOWS, SHAPE)
    users = np.arange(N_USERS)
    candidates = a.candidates(events, ORIGIN, users, SHAPE)
    np.testing.assert_array_equal(
        a.score_candidates(candidates), b.score_candidates(candidates)
    )
    np.testing.assert_array_equal(
        a.recommend(events, ORIGIN, users), b.recommend(events, ORIGIN, users)
    )


# --- candidate_features -------------------------------------------------------------
@pytest.mark.parametrize("new_only", [False, True])
def test_features_have_one_finite_row_per_candidate(events, new_only):
    users = np.array([0, 5, 9, 39])
    got = candidate_features(
        events, reference=ORIGIN, users=users, shape=SHAPE, new_only=new_only
    )
    m = len(got.rows)
    assert m > 0
    assert got.features.shape == (m, len(FEATURES))
    assert got.features.dtype == np.float32
    assert np.isfinite(got.features).all()
    assert got.items.shape == (m,)
    assert got.rows.min() >= 0 and got.rows.max() < len(users)
    assert got.reference == ORIGIN
    np.testing.assert_array_equal(got.users, users)
    pairs = set(zip(got.rows.tolist(), got.items.tolist(), strict=True))
    assert len(pairs) == m  # no pair twice
    seen = bought_before(events, ORIGIN).toarray()[users] > 0
    if new_only:
        assert not seen[got.rows, got.items].any()
    else:  # every bought product is a candidate
        for row in range(len(users)):
            bought = set(np.flatnonzero(seen[row]).tolist())
            assert bought <= set(got.items[got.rows == row].tolist())


def test_features_read_only_events_before_the_reference(events):
    users = np.arange(N_USERS)
    kwargs = dict(reference=ORIGIN, users=users, shape=SHAPE, new_only=False)
    before = candidate_features(events, **kwargs)
    later = pd.DataFrame(
        {
            "u": [0, 0, 1, 2, 39],
            "i": [3, STAPLE_OF_0, 19, 0, 12],
            "invoice": [10_001, 10_001, 10_002, 10_003, 10_004],
            "date": pd.to_datetime(
                ["2011-06-01", "2011-06-01", "2011-06-02", "2011-08-01", "2012-01-01"]
            ),
        }
    )
    after = candidate_features(pd.concat([events, later]), **kwargs)
    np.testing.assert_array_equal(after.rows, before.rows)
    np.testing.assert_array_equal(after.items, before.items)
    np.testing.assert_array_equal(after.features, before.features)
    # The same events a day before the reference do change them.
    earlier = later.assign(date=ORIGIN - pd.Timedelta(days=1))
    changed = candidate_features(pd.concat([events, earlier]), **kwargs)
    assert changed.features.shape != before.features.shape or not np.array_equal(
        changed.features, before.features
    )


def test_feature_values_of_the_staple(events):
    """Customer 0's staple: bought on most invoices, recently, by one buyer only."""
    got = candidate_features(
        events, reference=ORIGIN, users=[0], shape=SHAPE, new_only=False
    )
    column = {name: j for j, name in enumerate(FEATURES)}
    staple = got.features[got.items == STAPLE_OF_0][0]
    others = got.features[got.items != STAPLE_OF_0]
    assert staple[column["share"]] > 0.7
    assert staple[column["last_age"]] <= 15
    assert staple[column["last_rel"]] < 1.0
    assert staple[column["share"]] > others[:, column["share"]].max()
    never = others[:, column["share"]] == 0
    assert never.any()
    assert np.all(others[never, column["last_rel"]] == 2.0)
    assert np.all(others[never, column["first_rel"]] == 2.0)


def test_users_without_history_get_finite_features(events):
    early = events[events["u"] != 5]
    got = candidate_features(
        early, reference=ORIGIN, users=[5, 6], shape=SHAPE, new_only=False
    )
    assert np.isfinite(got.features).all()
    assert set(got.rows.tolist()) == {0, 1}


def test_n_candidates_bounds_the_candidates_of_a_customer_without_history(events):
    """Three generators, ``n_candidates`` each: at most 3 x n_candidates products."""
    for n_candidates, low, high in ((1, 1, 3), (2, 2, 6), (N_ITEMS, N_ITEMS, N_ITEMS)):
        got = candidate_features(
            events[events["u"] != 5],
            reference=ORIGIN,
            users=[5],
            shape=SHAPE,
            new_only=False,
            n_candidates=n_candidates,
        )
        assert low <= len(got.items) <= high


@pytest.mark.parametrize("n_candidates", [2, 5])
def test_as_many_candidates_as_products_gives_every_product(n_candidates):
    """Everyone buys product 0; with n_candidates >= 2 both products are candidates."""
    rows = [
        (u, 0, 10 * u + k, f"2011-0{k // 2 + 1}-{10 + 5 * (k % 2) + u}")
        for u in range(6)
        for k in range(6)
    ]
    events = dated([*rows, (1, 1, 999, "2011-01-05")])
    got = candidate_features(
        events,
        reference="2011-04-01",
        users=[6],
        shape=(7, 2),
        new_only=False,
        n_candidates=n_candidates,
    )
    assert sorted(got.items.tolist()) == [0, 1]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_candidates": 0}, "n_candidates"),
        ({"users": []}, "users is empty"),
        ({"reference": "2010-01-01"}, "no purchase event before"),
    ],
)
def test_candidate_features_rejects_bad_arguments(events, kwargs, message):
    arguments = dict(reference=ORIGIN, users=[0], shape=SHAPE, new_only=False)
    with pytest.raises(ValueError, match=message):
        candidate_features(events, **{**arguments, **kwargs})


# --- CandidateSet -------------------------------------------------------------------
def small_set() -> CandidateSet:
    return CandidateSet(
        users=np.array([2, 5]),
        rows=np.array([0, 0, 1, 1, 1]),
        items=np.array([1, 3, 0, 3, 4]),
        features=np.zeros((5, len(FEATURES)), np.float32),
        reference=ORIGIN,
    )


def test_labels_match_a_hand_made_relevant_matrix():
    relevant = sp.csr_matrix(
        ([1.0, 1.0, 1.0, 1.0], ([2, 2, 5, 4], [1, 0, 3, 3])), shape=(6, 7)
    )
    # (2, 0) is not a candidate and user 4 is not in the set.
    labels = small_set().labels(relevant)
    assert labels.dtype == bool
    np.testing.assert_array_equal(labels, [True, False, False, True, False])
    np.testing.assert_array_equal(
        small_set().labels(sp.csr_matrix((6, 5))), [False] * 5
    )


def test_top_orders_by_score_and_pads_with_minus_one():
    scores = np.array([0.2, 0.9, 0.1, 0.7, 0.3])
    ids = small_set().top(scores, 4, n_items=6)
    np.testing.assert_array_equal(ids, [[3, 1, -1, -1], [3, 4, 0, -1]])
    np.testing.assert_array_equal(small_set().top(scores, 1, n_items=6), [[3], [3]])


# --- window_targets -----------------------------------------------------------------
def dated(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["u", "i", "invoice", "date"])
    return frame.assign(date=pd.to_datetime(frame["date"]))


def test_window_targets_users_bought_and_new():
    events = dated(
        [
            (0, 1, 1, "2011-01-10"),  # before
            (0, 1, 2, "2011-02-01"),  # inside (start is included), re-bought
            (0, 2, 2, "2011-02-01"),  # inside, new
            (0, 2, 3, "2011-02-10"),  # inside again: still 1
            (1, 3, 4, "2011-02-05"),  # inside only: not a user
            (2, 4, 5, "2011-01-05"),  # before only: not a user
            (2, 5, 6, "2011-03-01"),  # at the end: outside
            (3, 0, 7, "2011-01-20"),  # before
            (3, 0, 8, "2011-02-20"),  # inside, re-bought only
        ]
    )
    users, bought, new = window_targets(
        events, start="2011-02-01", end="2011-03-01", shape=(5, 6)
    )
    np.testing.assert_array_equal(users, [0, 3])
    assert users.dtype == np.int64
    expected = np.zeros((5, 6))
    expected[0, [1, 2]] = expected[1, 3] = expected[3, 0] = 1
    np.testing.assert_array_equal(bought.toarray(), expected)
    expected_new = np.zeros((5, 6))
    expected_new[0, 2] = expected_new[1, 3] = 1
    np.testing.assert_array_equal(new.toarray(), expected_new)
    assert sp.issparse(new) and new.nnz == 2


@pytest.mark.parametrize("end", ["2011-02-01", "2011-01-01"])
def test_window_targets_rejects_an_empty_window(end):
    events = dated([(0, 1, 1, "2011-01-10")])
    with pytest.raises(ValueError, match="not after its start"):
        window_targets(events, start="2011-02-01", end=end, shape=(2, 2))


# --- check_events -------------------------------------------------------------------
def test_check_events_drops_duplicate_lines():
    events = dated([(0, 1, 1, "2011-01-10"), (0, 1, 1, "2011-01-10")])
    assert len(check_events(events, (2, 2))) == 1


@pytest.mark.parametrize("column", ["u", "i", "invoice", "date"])
def test_check_events_names_a_missing_column(column):
    events = dated([(0, 1, 1, "2011-01-10")]).drop(columns=column)
    with pytest.raises(ValueError, match=f"'{column}'"):
        check_events(events, (2, 2))


def test_check_events_wants_datetime_dates():
    events = dated([(0, 1, 1, "2011-01-10")]).assign(date="2011-01-10")
    with pytest.raises(ValueError, match="'date'.*datetime"):
        check_events(events, (2, 2))


@pytest.mark.parametrize(
    "column, value, shape",
    [("u", 2, (2, 5)), ("u", -1, (2, 5)), ("i", 5, (2, 5)), ("i", -1, (2, 5))],
)
def test_check_events_names_the_column_with_ids_outside_the_shape(column, value, shape):
    events = dated([(0, 1, 1, "2011-01-10"), (1, 0, 2, "2011-01-11")])
    events.loc[1, column] = value
    with pytest.raises(ValueError, match=f"'{column}' has ids outside"):
        check_events(events, shape)


# --- CandidateRanker errors ---------------------------------------------------------
def test_recommend_before_fit_raises(events):
    with pytest.raises(ValueError, match="not fitted"):
        CandidateRanker().recommend(events, ORIGIN, [0])
    with pytest.raises(ValueError, match="not fitted"):
        CandidateRanker().score_candidates(small_set())


@pytest.mark.parametrize("n", [0, -3])
def test_recommend_wants_n_at_least_one(fitted_all, events, n):
    with pytest.raises(ValueError, match="n must be >= 1"):
        fitted_all.recommend(events, ORIGIN, [0], n=n)


def test_fit_without_windows_raises(events):
    with pytest.raises(ValueError, match="windows is empty"):
        CandidateRanker(**SMALL).fit(events, [], SHAPE)


@pytest.mark.parametrize("new_only", [False, True])
def test_fit_on_windows_nobody_bought_in_raises(events, new_only):
    windows = [("2011-08-01", "2011-09-01"), ("2011-09-01", "2011-10-01")]
    ranker = CandidateRanker(new_only=new_only, **SMALL)
    with pytest.raises(ValueError, match="no customer bought"):
        ranker.fit(events, windows, SHAPE)
    assert not hasattr(ranker, "model_")


def test_fit_with_only_repeat_purchases_raises_in_new_only():
    """Everyone re-buys what they bought before: no new product to learn from."""
    rows = [
        (u, u % 3, 100 * u + k, f"2011-0{k + 1}-1{u % 9}")
        for u in range(10)
        for k in range(4)
    ]
    events = dated(rows)
    with pytest.raises(ValueError, match="no customer bought"):
        CandidateRanker(new_only=True, **SMALL).fit(
            events, [("2011-03-01", "2011-05-01")], (10, 3)
        )


# --- select_by_transfer -------------------------------------------------------------
TRAIN, EVAL = ("2011-04-01", "2011-05-01"), ("2011-05-01", "2011-06-01")


def test_select_by_transfer_tries_every_setting(events):
    grid = {"max_leaf_nodes": [4, 16], "learning_rate": [0.05, 0.2], "max_iter": [20]}
    best, table = select_by_transfer(
        events,
        SHAPE,
        train_window=TRAIN,
        eval_window=EVAL,
        grid=grid,
        new_only=False,
        min_samples_leaf=20,
    )
    assert len(table) == 4
    settings = [setting for setting, _ in table]
    expected = [
        {"learning_rate": lr, "max_iter": 20, "max_leaf_nodes": leaves}
        for lr in (0.05, 0.2)
        for leaves in (4, 16)
    ]
    assert sorted(settings, key=str) == sorted(expected, key=str)
    scores = [ndcg for _, ndcg in table]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert max(scores) > 0.3  # staples are easy to predict
    assert best in expected
    assert max(table, key=lambda row: row[1])[0] == best
    again, table_again = select_by_transfer(
        events,
        SHAPE,
        train_window=TRAIN,
        eval_window=EVAL,
        grid=grid,
        new_only=False,
        min_samples_leaf=20,
    )
    assert again == best and table_again == table


def test_select_by_transfer_rejects_overlapping_windows(events):
    with pytest.raises(ValueError, match="leak"):
        select_by_transfer(
            events,
            SHAPE,
            train_window=("2011-04-01", "2011-05-15"),
            eval_window=EVAL,
            grid={"max_iter": [10]},
            new_only=False,
        )


def test_select_by_transfer_rejects_an_empty_grid(events):
    with pytest.raises(ValueError, match="grid is empty"):
        select_by_transfer(
            events, SHAPE, train_window=TRAIN, eval_window=EVAL, grid={}, new_only=True
        )


def test_select_by_transfer_names_a_grid_key_without_values(events):
    with pytest.raises(ValueError, match="no value for \\['max_iter'\\]"):
        select_by_transfer(
            events,
            SHAPE,
            train_window=TRAIN,
            eval_window=EVAL,
            grid={"max_iter": [], "max_leaf_nodes": [4]},
            new_only=False,
        )


def test_labels_of_an_empty_candidate_set_are_empty():
    empty = CandidateSet(
        users=np.array([0]),
        rows=np.zeros(0, np.int64),
        items=np.zeros(0, np.int64),
        features=np.zeros((0, len(FEATURES)), np.float32),
        reference=ORIGIN,
    )
    labels = empty.labels(sp.csr_matrix((2, 3)))
    assert labels.shape == (0,) and labels.dtype == bool


def test_a_history_too_short_for_the_ridge_scores_it_zero():
    """One invoice per customer: nobody bought both before and inside the ridge's
    window, so the next-period member is 0 and the other features still work."""
    rows = [(u, u % 4, u, f"2011-01-{u + 1:02d}") for u in range(12)]
    candidates = candidate_features(
        dated(rows),
        reference="2011-02-01",
        users=np.arange(12),
        shape=(12, 4),
        new_only=False,
        n_candidates=2,
    )
    features = candidates.features
    assert np.isfinite(features).all()
    np.testing.assert_array_equal(features[:, FEATURES.index("next_period")], 0.0)
    assert (features[:, FEATURES.index("share")] > 0).any()
