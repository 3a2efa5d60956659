"""TIFU-KNN and its PIF vectors, on small synthetic baskets with a known answer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.lab.tifu import TIFUKNN, pif_vectors

DAY = pd.Timestamp("2011-01-01")


def baskets(rows):
    """rows: (user, basket, item, day) -> the four arrays of pif_vectors."""
    users, keys, items, days = zip(*rows, strict=True)
    dates = [DAY + pd.Timedelta(days=d) for d in days]
    return np.array(users), np.array(keys), np.array(items), pd.to_datetime(dates)


def test_pif_matches_the_formula_by_hand():
    # user 0: baskets (oldest first) {0}, {0, 1}, {2}; m = 2: [{0}], [{0,1}, {2}]
    u, b, i, t = baskets(
        [(0, "a", 0, 0), (0, "b", 0, 5), (0, "b", 1, 5), (0, "b", 1, 5), (0, "c", 2, 9)]
    )
    pif = pif_vectors(
        u, b, i, t, shape=(2, 3), within_decay=0.5, group_decay=0.25, group_size=2
    ).toarray()
    recent = np.array([0.0, 0.0, 1.0]) + 0.5 * np.array([1.0, 1.0, 0.0])
    older = np.array([1.0, 0.0, 0.0])
    expected = (recent / 2 + 0.25 * older / 1) / 2  # (v_2 + r_g v_1) / k
    np.testing.assert_allclose(pif[0], expected, rtol=1e-6)
    assert not pif[1].any()  # a customer without baskets: empty row


def test_repeated_item_first_and_neighbours_supply_a_new_item():
    # customers 0..5 buy item 0 every time and item 1 now and then; customers 1..5
    # also buy item 2, which customer 0 never bought; customers 6..9 buy 3 and 4.
    rows = []
    for user in range(10):
        for week in range(6):
            key = f"{user}-{week}"
            if user < 6:
                rows.append((user, key, 0, 7 * week))
                if week % 3 == 0:
                    rows.append((user, key, 1, 7 * week))
                if user > 0 and week % 2 == 0:
                    rows.append((user, key, 2, 7 * week))
            else:
                rows += [(user, key, 3, 7 * week), (user, key, 4, 7 * week)]
    u, b, i, t = baskets(rows)
    model = TIFUKNN(alpha=0.7, n_neighbors=3, group_size=2)
    pif = model.pif(u, b, i, t, shape=(10, 6))
    model.fit(pif)
    ids, scores = model.recommend(0, pif, n=3, exclude_seen=False)
    assert ids[0] == 0  # the item bought in every basket ranks first
    assert 2 in ids  # never bought by customer 0, supplied by its neighbours
    assert not {3, 4} & set(ids[scores > 0].tolist())  # not from the other block
    new, _ = model.recommend(0, pif, n=1, exclude_seen=True)
    assert new[0] == 2
    own_only = TIFUKNN(alpha=1.0, group_size=2).fit(pif)
    assert 2 not in own_only.recommend(0, pif, n=3, exclude_seen=False)[0][:2]


def test_a_customer_is_not_its_own_neighbour(tmp_path):
    u, b, i, t = baskets([(0, "a", 0, 0), (1, "b", 1, 0), (2, "c", 1, 0)])
    pif = pif_vectors(u, b, i, t, shape=(3, 2))
    model = TIFUKNN(alpha=0.0, n_neighbors=1).fit(pif)
    near = model.neighbour_mean(np.array([0, 1]), pif)
    assert not near[0].any()  # its only similar customer would be itself
    assert near[1, 1] > 0 and near[1, 0] == 0  # customer 2
    path = tmp_path / "tifu.npz"
    model.save(path)
    again = TIFUKNN.load(path)
    np.testing.assert_allclose(again.score([0, 1, 2], pif), model.score([0, 1, 2], pif))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"within_decay": 0.0}, "within_decay"),
        ({"group_decay": 1.5}, "group_decay"),
        ({"group_size": 0}, "group_size"),
    ],
)
def test_pif_bad_parameters(kwargs, match):
    u, b, i, t = baskets([(0, "a", 0, 0)])
    with pytest.raises(ValueError, match=match):
        pif_vectors(u, b, i, t, shape=(1, 1), **kwargs)


def test_bad_input_is_named():
    u, b, i, t = baskets([(0, "a", 0, 0), (1, "b", 1, 0)])
    with pytest.raises(ValueError, match="same length"):
        pif_vectors(u, b, i[:1], t, shape=(2, 2))
    with pytest.raises(ValueError, match="outside shape"):
        pif_vectors(u, b, i, t, shape=(1, 2))
    pif = pif_vectors(u, b, i, t, shape=(2, 2))
    with pytest.raises(ValueError, match="alpha"):
        TIFUKNN(alpha=1.5).fit(pif)
    with pytest.raises(ValueError, match="n_neighbors"):
        TIFUKNN(n_neighbors=0).fit(pif)
