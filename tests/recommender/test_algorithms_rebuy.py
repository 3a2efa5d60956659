"""Buy It Again timing (RCP x Poisson-gamma), on small synthetic purchases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.algorithms.rebuy import RepeatTiming, purchase_timing

REF = pd.Timestamp("2011-09-01")


def lines(rows):
    """rows: (user, item, days before REF) -> users, items, dates."""
    users, items, ago = zip(*rows, strict=True)
    dates = [REF - pd.Timedelta(days=d) + pd.Timedelta(hours=10) for d in ago]
    return np.array(users), np.array(items), pd.to_datetime(dates)


def cyclic_shop():
    """Customer 0 buys item 1 every 30 days (last 30 days ago: due now) and item 0
    every 90 days (last yesterday), three times each, so that purchase counts tie
    (and an index tie-break would favour item 0); customers 1..4 re-buy both so
    RCP is equal."""
    rows = [(0, 1, d) for d in (30, 60, 90)]
    rows += [(0, 0, d) for d in (1, 91, 181)]
    for user in range(1, 5):
        rows += [(user, 1, 20), (user, 1, 50), (user, 0, 10), (user, 0, 100)]
    return lines(rows)


def test_purchase_timing_by_hand():
    # two lines on one day count once; a line on the reference date is ignored
    u, i, t = lines([(0, 1, 10), (0, 1, 10), (0, 1, 40), (1, 0, 3), (1, 0, 0)])
    counts, since, span = purchase_timing(u, i, t, reference=REF, shape=(2, 2))
    assert counts.toarray().tolist() == [[0, 2], [1, 0]]
    assert since.nnz == span.nnz == counts.nnz == 2
    np.testing.assert_allclose(since[0, 1], 10.0)  # whole days to the reference
    np.testing.assert_allclose(span[0, 1], 30.0)
    assert span[1, 0] == 0.0 and span.nnz == 2  # a single purchase: 0 kept


def test_due_30_day_cycle_ranks_above_90_day_cycle_bought_yesterday():
    u, i, t = cyclic_shop()
    counts, since, span = purchase_timing(u, i, t, reference=REF, shape=(5, 3))
    model = RepeatTiming(horizon_days=30, shrinkage=0.3).fit(
        counts, since=since, span=span
    )
    np.testing.assert_allclose(model.rcp_[0], model.rcp_[1])
    ids, scores = model.recommend(0, counts, n=2, exclude_seen=False)
    assert ids.tolist() == [1, 0]
    assert counts[0, 0] == counts[0, 1]  # buy-again alone cannot tell them apart
    # posterior rates ~ 2/99 and 2/208 a day (2 re-buys over the exposure since the
    # first purchase, plus the prior): P(>= 1 in 30 days) ~ 0.46 and 0.27
    p = model.probability_.toarray()[0]
    assert 0.35 < p[1] < 0.6 and 0.2 < p[0] < 0.35
    # a long silence lowers the rate: the same history seen 300 days later
    later = REF + pd.Timedelta(days=300)
    counts2, since2, span2 = purchase_timing(u, i, t, reference=later, shape=(5, 3))
    p2 = RepeatTiming(horizon_days=30, shrinkage=0.3).fit(
        counts2, since=since2, span=span2
    )
    assert p2.probability_[0, 1] < p[1] / 2


def test_never_rebought_product_and_unbought_items():
    # item 2 has buyers who never re-buy: its RCP is lower than item 0's
    u, i, t = cyclic_shop()
    extra = lines([(user, 2, 5) for user in range(5)])
    u, i, t = (np.concatenate([a, b]) for a, b in zip((u, i, t), extra, strict=True))
    t = pd.to_datetime(t)
    counts, since, span = purchase_timing(u, i, t, reference=REF, shape=(6, 4))
    model = RepeatTiming(horizon_days=90).fit(counts, since=since, span=span)
    assert model.rcp_[2] < model.rcp_[0]
    # customer 5 bought nothing: popularity tie-break only, never item 3 (no buyer)
    ids, _ = model.recommend(5, counts, n=3, exclude_seen=False)
    assert 3 not in ids.tolist()


def test_bad_input_and_save_load(tmp_path):
    u, i, t = cyclic_shop()
    counts, since, span = purchase_timing(u, i, t, reference=REF, shape=(5, 3))
    with pytest.raises(ValueError, match="horizon_days"):
        RepeatTiming(horizon_days=0).fit(counts, since=since, span=span)
    with pytest.raises(ValueError, match="shrinkage"):
        RepeatTiming(shrinkage=0).fit(counts, since=since, span=span)
    with pytest.raises(ValueError, match="since must have the sparsity"):
        RepeatTiming().fit(counts, since=since[:, :2], span=span)
    with pytest.raises(ValueError, match="outside shape"):
        purchase_timing(u, i, t, reference=REF, shape=(2, 3))
    model = RepeatTiming().fit(counts, since=since, span=span)
    with pytest.raises(ValueError, match="counts given to fit"):
        model.recommend(0, counts[:, :2], n=1)
    model.save(tmp_path / "m.npz")
    again = RepeatTiming.load(tmp_path / "m.npz")
    np.testing.assert_allclose(
        again.score([0, 1], counts), model.score([0, 1], counts), rtol=1e-6
    )


def test_repeat_cycles_median_gap_and_due_date():
    import pandas as pd

    from recommender.algorithms.rebuy import repeat_cycles

    dates = pd.to_datetime(
        [
            "2011-01-01 09:00",
            "2011-02-05 09:00",
            "2011-03-12 15:00",
            "2011-03-12 08:00",
            "2011-09-01 09:00",
        ]
    )
    cycles = repeat_cycles([7, 7, 7, 7, 3], dates)
    staple = cycles[7]
    assert staple.orders == 3  # two lines on one day count once
    assert staple.interval_days == 35.0
    assert staple.due == pd.Timestamp("2011-04-16")
    once = cycles[3]
    assert once.orders == 1 and once.interval_days is None and once.due is None
    with pytest.raises(ValueError, match="same length"):
        repeat_cycles([1, 2], dates[:1])


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (1.0, "about every day"),
        (6.0, "about every 6 days"),
        (35.0, "every 5 weeks"),
        (91.0, "about every 3 months"),
    ],
)
def test_rebuy_reason_reads_like_a_person(days, words):
    import pandas as pd

    from recommender.algorithms.rebuy import RepeatCycle
    from recommender.services.surfaces import rebuy_reason

    last = pd.Timestamp("2011-11-02")
    cycle = RepeatCycle(1, 3, last, days, last + pd.Timedelta(days=days))
    text = rebuy_reason(cycle, today=pd.Timestamp("2011-12-01"))
    assert words in text and text.endswith("last bought 2 Nov")
    other_year = rebuy_reason(cycle, today=pd.Timestamp("2026-12-07"))
    assert other_year.endswith("last bought 2 Nov 2011")
