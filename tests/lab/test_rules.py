"""Rule-based cold start on small frames with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.lab.rules import (
    PinnedRule,
    Ranked,
    apply_pins,
    bestsellers,
    bestsellers_by_country,
    new_arrivals,
    parse_pins,
    trending,
)

NOW = pd.Timestamp("2011-12-09 12:00")


def line(item, customer, country, days_ago, qty=1, price=1.0, order=None):
    return {
        "item_id": item,
        "customer_id": customer,
        "country": country,
        "placed_at": NOW - pd.Timedelta(days=days_ago),
        "quantity": qty,
        "unit_price": price,
        "order_id": order or f"{customer}-{days_ago}",
    }


@pytest.fixture
def lines() -> pd.DataFrame:
    rows = []
    # item 1: 5 UK customers long ago; item 2: 3 customers, one huge wholesale line
    rows += [line(1, c, "United Kingdom", 40) for c in "abcde"]
    rows += [
        line(2, c, "United Kingdom", 40, qty=q)
        for c, q in zip("abc", [1, 1, 900], strict=True)
    ]
    # item 3: France's favourite (4 French buyers)
    rows += [line(3, c, "France", 20) for c in "fghi"]
    rows += [line(1, "f", "France", 20)]
    # item 4: trending: 1 buyer in the previous week, 6 in the last week
    rows += [line(4, "j", "United Kingdom", 10)]
    rows += [line(4, c, "United Kingdom", 2) for c in "klmnop"]
    # item 5: 3 buyers last week, 3 the week before: flat, not trending
    rows += [line(5, c, "United Kingdom", 9) for c in "qrs"]
    rows += [line(5, c, "United Kingdom", 3) for c in "tuv"]
    # item 6: a single new buyer (0 -> 1), below min_current
    rows += [line(6, "w", "Germany", 1)]
    return pd.DataFrame(rows)


def test_bestsellers_by_each_measure(lines):
    top = bestsellers(lines, k=3)
    assert isinstance(top, Ranked) and top.strategy == "bestsellers"
    assert top.item_ids.tolist() == [4, 1, 5]  # 7, 6, 6 buyers; ties by item id
    assert top.reasons[0] == "bestseller: bought by 7 customers"
    assert bestsellers(lines, k=1, measure="quantity").item_ids.tolist() == [2]
    assert "sold 902 units" in bestsellers(lines, k=1, measure="quantity").reasons[0]
    assert bestsellers(lines, k=2, exclude=[4, 5]).item_ids.tolist() == [1, 3]
    recent = bestsellers(lines, k=5, since=NOW - pd.Timedelta(days=5))
    assert recent.item_ids.tolist() == [4, 5, 6]
    assert len(bestsellers(lines.iloc[0:0], k=3)) == 0


def test_bestsellers_per_country(lines):
    fr = bestsellers_by_country(lines, country="france", k=2)
    assert fr.strategy == "country_bestsellers"
    assert fr.item_ids.tolist() == [3, 1]
    assert fr.reasons[0] == "bestseller in france: bought by 4 customers there"
    # too few buyers in Germany: empty, so the chain falls back to overall
    assert len(bestsellers_by_country(lines, country="Germany", min_customers=3)) == 0
    assert len(bestsellers_by_country(lines, country="Narnia")) == 0
    with pytest.raises(ValueError, match="country is empty"):
        bestsellers_by_country(lines, country=" ")


def test_trending_growth_vs_previous_window(lines):
    top = trending(lines, now=NOW, window_days=7, k=5, min_current=2)
    assert top.strategy == "trending"
    assert top.item_ids.tolist() == [4]  # 6 vs 1; item 5 flat, item 6 too small
    assert top.scores[0] == pytest.approx((6 + 1) / (1 + 1))
    assert top.reasons[0] == "trending: 6 customers in the last 7 days, up from 1"
    lenient = trending(lines, now=NOW, k=5, min_current=1)
    assert lenient.item_ids.tolist() == [4, 6]
    tz_lines = lines.assign(placed_at=lines.placed_at.dt.tz_localize("UTC"))
    assert trending(tz_lines, now=NOW, min_current=2).item_ids.tolist() == [4]
    with pytest.raises(ValueError, match="window_days"):
        trending(lines, now=NOW, window_days=0)
    with pytest.raises(ValueError, match="now is not a date"):
        trending(lines, now="yesterday-ish")


def test_new_arrivals(lines):
    products = lines.groupby("item_id", as_index=False).placed_at.min()
    products = products.rename(columns={"placed_at": "first_seen"})
    new = new_arrivals(products, now=NOW, days=15, k=5)
    assert new.item_ids.tolist() == [6, 5, 4]
    assert new.reasons[0] == f"new arrival: added {NOW - pd.Timedelta(days=1):%Y-%m-%d}"
    assert new.scores.tolist() == pytest.approx([1.0, 9.0, 10.0])


def test_pinned_rules_by_country_category_and_dates():
    base = Ranked(np.array([10, 11, 12, 13]), np.array([4.0, 3, 2, 1]),
                  ["r10", "r11", "r12", "r13"], "bestsellers")  # fmt: skip
    rules = parse_pins([
        {"item_id": 99, "country": "France", "reason": "French pick"},
        {"item_id": 12, "position": 1, "category": "kitchen"},
        {"item_id": 77, "valid_from": "2012-01-01", "reason": "next year"},
        {"item_id": 55, "valid_until": "2011-12-01", "reason": "expired"},
    ])  # fmt: skip
    fr = apply_pins(base, rules, now=NOW, country="FRANCE", category="kitchen")
    assert fr.item_ids.tolist() == [99, 12, 10, 11, 13]
    assert fr.reasons[:2] == ["French pick", "featured"]
    assert fr.strategy == "bestsellers+pinned" and np.isinf(fr.scores[0])
    uk = apply_pins(base, rules, now=NOW, country="United Kingdom", k=3)
    assert uk.item_ids.tolist() == [10, 11, 12] and uk.strategy == "bestsellers"
    later = apply_pins(base, rules, now="2012-02-01", k=2)
    assert later.item_ids.tolist() == [77, 10]
    out_of_stock = apply_pins(base, rules, now=NOW, country="France", exclude=[99])
    assert 99 not in out_of_stock.item_ids.tolist()
    rule = PinnedRule(item_id=1, valid_from=pd.Timestamp("2011-12-01", tz="UTC"))
    assert rule.applies(now=NOW, country=None, category=None)


@pytest.mark.parametrize(
    "record, message",
    [
        ({"position": 1}, "pin 0: item_id is required"),
        ({"item_id": 1, "position": -1}, "pin 0: position must be >= 0"),
        ({"item_id": 1, "valid_from": "not a date"}, "pin 0: valid_from"),
        ({"item_id": 1, "valid_from": "2011-12-02", "valid_until": "2011-12-01"},
         "pin 0: valid_until must be after"),
        ({"item_id": 1, "colour": "red"}, r"pin 0: unknown field\(s\) \['colour'\]"),
    ],
)  # fmt: skip
def test_parse_pins_names_the_bad_field(record, message):
    with pytest.raises(ValueError, match=message):
        parse_pins([record])


def test_bad_input_is_named(lines):
    with pytest.raises(ValueError, match="k must be >= 1"):
        bestsellers(lines, k=0)
    with pytest.raises(ValueError, match="measure must be one of"):
        bestsellers(lines, measure="likes")
    with pytest.raises(ValueError, match="missing column"):
        bestsellers(lines.drop(columns="customer_id"))
    with pytest.raises(ValueError, match="'placed_at' must hold datetimes"):
        trending(lines.assign(placed_at="2011-12-01"), now=NOW)
    with pytest.raises(TypeError, match="DataFrame"):
        bestsellers([1, 2, 3])
