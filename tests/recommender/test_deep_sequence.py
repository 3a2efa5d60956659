"""GRU4Rec-style basket-sequence model: learns a pattern, persists, fails clearly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.algorithms.base import NotFittedError
from recommender.algorithms.sequence import SequenceRecommender, basket_sequences

N_ITEMS = 12


def chain_sequences(n_users: int, rng: np.random.Generator) -> list[list[np.ndarray]]:
    """Users walk a deterministic cycle A -> B -> C -> ... (item i -> i + 1 mod n)."""
    seqs = []
    for _ in range(n_users):
        start = int(rng.integers(N_ITEMS))
        length = int(rng.integers(3, 7))
        seqs.append([np.array([(start + t) % N_ITEMS]) for t in range(length)])
    return seqs


def small_model(**kw) -> SequenceRecommender:
    params = dict(
        embedding_dim=16,
        hidden_dim=32,
        epochs=20,
        batch_size=50,
        learning_rate=0.03,
        dropout=0.0,
        random_state=0,
    )
    params.update(kw)
    return SequenceRecommender(**params)


@pytest.fixture(scope="module")
def trained() -> tuple[SequenceRecommender, list[list[np.ndarray]]]:
    seqs = chain_sequences(100, np.random.default_rng(1))
    return small_model().fit(seqs, n_items=N_ITEMS), seqs


def next_item_hit_rate(scores: np.ndarray, last_items: np.ndarray) -> float:
    expected = (last_items + 1) % N_ITEMS
    return float(np.mean(np.argmax(scores, axis=1) == expected))


@pytest.mark.slow
def test_learns_deterministic_next_item_pattern(trained):
    model, seqs = trained
    last = np.array([s[-1][0] for s in seqs])
    user_items = sp.csr_matrix((len(seqs), N_ITEMS), dtype=np.float32)
    train_hit = next_item_hit_rate(model.score(np.arange(len(seqs)), user_items), last)
    fresh = chain_sequences(60, np.random.default_rng(7))
    fresh_last = np.array([s[-1][0] for s in fresh])
    fresh_hit = next_item_hit_rate(model.score_sequences(fresh), fresh_last)
    # random guessing gives 1/12; the pattern is fully deterministic
    assert train_hit >= 0.9
    assert fresh_hit >= 0.9
    assert model.loss_history_[-1] < model.loss_history_[0] / 3


@pytest.mark.slow
def test_lstm_cell_learns_too():
    seqs = chain_sequences(100, np.random.default_rng(2))
    model = small_model(cell="lstm", epochs=25).fit(seqs, n_items=N_ITEMS)
    fresh = chain_sequences(60, np.random.default_rng(8))
    last = np.array([s[-1][0] for s in fresh])
    assert next_item_hit_rate(model.score_sequences(fresh), last) >= 0.8


def test_repeat_term_learns_rebuying():
    """Customers who always re-buy their first item: the repeat term must find it."""
    rng = np.random.default_rng(3)
    seqs = []
    for _ in range(100):
        fav = int(rng.integers(N_ITEMS))
        seqs.append([np.array([fav, int(rng.integers(N_ITEMS))]) for _ in range(4)])
    model = small_model().fit(seqs, n_items=N_ITEMS)
    favs = np.array([s[0][0] for s in seqs])
    top = model.recommend(
        np.arange(100), sp.csr_matrix((100, N_ITEMS)), n=1, exclude_seen=False
    )[0]
    assert np.mean(top[:, 0] == favs) >= 0.9


def test_recommend_contract_shapes_and_exclusion(trained):
    model, seqs = trained
    rows = [s[-1][0] for s in seqs[:5]]
    user_items = sp.csr_matrix(
        (np.ones(5), (np.arange(5), rows)), shape=(len(seqs), N_ITEMS)
    )
    ids, scores = model.recommend(np.arange(5), user_items, n=3)
    assert ids.shape == (5, 3) and scores.shape == (5, 3)
    assert ids.dtype == np.int64 and scores.dtype == np.float32
    assert not np.any(ids == np.array(rows)[:, None])
    assert np.all(np.diff(scores, axis=1) <= 0)
    all_ids, _ = model.recommend(0, user_items, n=50, exclude_seen=False)
    assert sorted(all_ids.tolist()) == list(range(N_ITEMS))


def test_unknown_user_is_encoded_from_user_items(trained):
    model, _ = trained
    user_items = sp.csr_matrix(([1.0], ([0], [4])), shape=(1, N_ITEMS))
    big = sp.vstack([sp.csr_matrix((model.n_users_, N_ITEMS)), user_items]).tocsr()
    ids, _ = model.recommend(model.n_users_, big, n=1)
    assert ids[0] == 5  # one basket {4} -> next is 5


def test_save_load_round_trip(trained, tmp_path):
    model, seqs = trained
    path = tmp_path / "gru.npz"
    model.save(path)
    loaded = SequenceRecommender.load(path)
    user_items = sp.csr_matrix((len(seqs), N_ITEMS), dtype=np.float32)
    users = np.arange(10)
    np.testing.assert_allclose(
        loaded.score(users, user_items), model.score(users, user_items), rtol=1e-5
    )
    fresh = chain_sequences(5, np.random.default_rng(9))
    np.testing.assert_allclose(
        loaded.score_sequences(fresh), model.score_sequences(fresh), rtol=1e-5
    )
    assert loaded.get_params() == model.get_params()
    with np.load(path, allow_pickle=False) as data:  # no pickles inside
        assert "net.rnn.weight_ih_l0" in data.files


def test_same_seed_same_model():
    seqs = chain_sequences(40, np.random.default_rng(4))
    a = small_model(epochs=3).fit(seqs, n_items=N_ITEMS).score_sequences(seqs[:5])
    b = small_model(epochs=3).fit(seqs, n_items=N_ITEMS).score_sequences(seqs[:5])
    np.testing.assert_array_equal(a, b)


def test_similar_items_uses_learned_embeddings(trained):
    model, _ = trained
    ids, scores = model.similar_items(3, n=4)
    assert ids.shape == (4,) and 3 not in ids.tolist()
    with pytest.raises(ValueError, match="item_ids"):
        model.similar_items([N_ITEMS], n=2)


def test_bad_input_is_named():
    with pytest.raises(NotFittedError):
        SequenceRecommender().score_sequences([[np.array([1])]])
    with pytest.raises(ValueError, match="cell"):
        SequenceRecommender(cell="rnn").fit([[np.array([0]), np.array([1])]])
    with pytest.raises(ValueError, match="out of range"):
        small_model().fit([[np.array([0]), np.array([20])]], n_items=5)
    with pytest.raises(ValueError, match="two or more baskets"):
        small_model().fit([[np.array([0])], [np.array([1])]], n_items=3)
    with pytest.raises(ValueError, match="negative"):
        small_model().fit([[np.array([-1]), np.array([1])]], n_items=3)
    with pytest.raises(TypeError):
        small_model().fit("abc")


def test_basket_sequences_orders_baskets_by_time():
    frame = pd.DataFrame(
        {
            "u": [0, 0, 0, 1, 0],
            "inv": ["B", "A", "A", "C", "B"],
            "i": [5, 1, 2, 3, 5],
            "t": pd.to_datetime(
                ["2011-02-01", "2011-01-01", "2011-01-01", "2011-01-05", "2011-02-01"]
            ),
        }
    )
    seqs = basket_sequences(
        frame.u.to_numpy(),
        frame.inv.to_numpy(),
        frame.i.to_numpy(),
        frame.t.to_numpy(),
        n_users=3,
    )
    assert [b.tolist() for b in seqs[0]] == [[1, 2], [5]]
    assert [b.tolist() for b in seqs[1]] == [[3]]
    assert seqs[2] == []
    with pytest.raises(ValueError, match="user_ids"):
        basket_sequences(
            np.array([5]), np.array(["x"]), np.array([0]), np.array([0]), n_users=2
        )


def test_untrained_users_and_empty_histories_still_get_scores():
    model = small_model(epochs=0).fit([], n_items=4)
    assert model.n_users_ == 0
    user_items = sp.csr_matrix(([1.0], ([1], [2])), shape=(2, 4))
    ids, _ = model.recommend([0, 1], user_items, n=4)
    assert ids.shape == (2, 4) and 2 not in ids[1].tolist()
    assert model.score_sequences([[]]).shape == (1, 4)
